-- One row per FRED series: the latest metadata landed.
with source as (
    select * from {{ source('raw', 'fred_series') }}
),

ranked as (
    select
        series_id,
        title,
        frequency,
        units,
        seasonal_adjustment,
        observation_start,
        observation_end,
        last_updated,
        notes,
        available_at,
        row_number() over (
            partition by series_id
            order by last_updated desc nulls last, available_at desc, load_id desc
        ) as recency_rank
    from source
),

final as (
    select
        series_id,
        title,
        frequency,
        units,
        seasonal_adjustment,
        observation_start,
        observation_end,
        last_updated,
        notes,
        available_at
    from ranked
    where recency_rank = 1
)

select * from final
