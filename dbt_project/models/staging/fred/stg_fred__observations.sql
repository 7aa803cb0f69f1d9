-- Every ALFRED vintage of every observation; value is null where that vintage reported '.'.
with source as (
    select * from {{ source('raw', 'fred_observations') }}
),

ranked as (
    select
        series_id,
        observation_date,
        realtime_start,
        realtime_end,
        value,
        available_at,
        row_number() over (
            partition by series_id, observation_date, realtime_start
            order by load_id desc
        ) as load_rank
    from source
),

final as (
    select
        series_id,
        observation_date,
        realtime_start,
        -- FRED writes 9999-12-31 for "still current"; null says the same without a magic date.
        case when realtime_end < cast('9999-12-31' as date) then realtime_end end
            as realtime_end,
        value,
        available_at
    from ranked
    where load_rank = 1
)

select * from final
