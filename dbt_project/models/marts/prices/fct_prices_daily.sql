{{ config(
    materialized='incremental',
    tags=['date_partitioned'],
    unique_key=['symbol', 'trading_date'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=postgres_indexes([{'columns': ['trading_date', 'symbol']}, {'columns': ['symbol', 'trading_date']}]),
    post_hook="{{ partition_by_date('trading_date') }}",
) }}
-- Daily adjusted prices, one row per symbol and session with a good bar: adjusted OHLCV, the raw
-- close, simple and log returns and dollar volume. Partitioned by trading_date
-- (vars min_date/max_date); rows are written in date order for zone-map pruning on DuckDB.
with prices as (
    select * from {{ ref('int_prices_adjusted') }}
    where {{ partition_window('trading_date') }}
),

final as (
    select
        symbol,
        trading_date,
        adjusted_open,
        adjusted_high,
        adjusted_low,
        adjusted_close,
        adjusted_volume,
        close_price as raw_close,
        volume as raw_volume,
        adjustment_factor,
        simple_return,
        log_return,
        dollar_volume
    from prices
)

select * from final
order by trading_date, symbol
