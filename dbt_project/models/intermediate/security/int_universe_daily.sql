{{ config(materialized='view') }}
-- The point-in-time universe: a symbol belongs on every session from its first to its last
-- trading date, so a delisted name stays in history up to its last day and no later.
-- A view: no model or job reads it (the factors read fct_prices_daily and dim_security),
-- and as a table it was rebuilt in full every day (2.2 M rows at 1,000 symbols x 10 years,
-- the daily build's largest model) for a change of a few thousand rows.
with securities as (
    select * from {{ ref('int_security_master') }}
),

sessions as (
    select trading_date from {{ ref('int_trading_calendar') }}
),

bars as (
    select
        symbol,
        trading_date
    from {{ ref('int_prices_adjusted') }}
),

final as (
    select
        sessions.trading_date,
        securities.symbol,
        securities.cik,
        securities.sector,
        bars.symbol is not null as has_bar,
        sessions.trading_date = securities.last_trading_date and securities.is_delisted
            as is_last_day_before_delisting
    from securities
    inner join sessions
        on
            securities.first_trading_date <= sessions.trading_date
            and securities.last_trading_date >= sessions.trading_date
    left join bars
        on securities.symbol = bars.symbol and sessions.trading_date = bars.trading_date
)

select * from final
