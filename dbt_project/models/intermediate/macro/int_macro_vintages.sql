{{ config(indexes=postgres_indexes([
    {'columns': ['series_id', 'observation_date', 'realtime_start']}
])) }}
-- Every vintage of every observation with its validity interval and the observation's first
-- release (the earliest vintage that gave it a value).
with observations as (
    select * from {{ ref('stg_fred__observations') }}
),

with_first_release as (
    select
        series_id,
        observation_date,
        realtime_start,
        realtime_end,
        value,
        row_number() over (
            partition by series_id, observation_date order by realtime_start
        ) as vintage_number,
        min(case when value is not null then realtime_start end) over (
            partition by series_id, observation_date
        ) as first_release_date
    from observations
),

final as (
    select
        with_first_release.series_id,
        with_first_release.observation_date,
        with_first_release.realtime_start,
        with_first_release.realtime_end,
        with_first_release.value,
        with_first_release.vintage_number,
        with_first_release.first_release_date,
        first_release.value as first_release_value,
        with_first_release.realtime_start = with_first_release.first_release_date
            as is_first_release
    from with_first_release
    left join with_first_release as first_release
        on
            with_first_release.series_id = first_release.series_id
            and with_first_release.observation_date = first_release.observation_date
            and with_first_release.first_release_date = first_release.realtime_start
)

select * from final
