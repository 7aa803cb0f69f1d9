{{ config(materialized='table') }}
-- IB daily bars, one row per symbol, date and kind (TRADES raw, ADJUSTED_LAST adjusted).
-- A table, unlike the other staging models: three models and six tests read it, and as a view
-- each of them re-ran the dedup window over every raw bar (4.4 M at 1,000 symbols x 10 years).
with source as (
    select * from {{ source('raw', 'ib_bars') }}
),

ranked as (
    select
        upper(trim(symbol)) as symbol,
        bar_date,
        upper(what_to_show) as what_to_show,
        open as open_price,
        high as high_price,
        low as low_price,
        close as close_price,
        volume,
        average as vwap,
        bar_count,
        available_at,
        row_number() over (
            partition by upper(trim(symbol)), bar_date, upper(what_to_show)
            order by load_id desc
        ) as load_rank
    from source
),

final as (
    select
        symbol,
        bar_date,
        what_to_show,
        open_price,
        high_price,
        low_price,
        close_price,
        volume,
        vwap,
        bar_count,
        available_at
    from ranked
    where load_rank = 1
)

select * from final
