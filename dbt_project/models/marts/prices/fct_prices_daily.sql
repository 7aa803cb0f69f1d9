{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ prices_delete_recomputed('trading_date') }}",
    on_schema_change='fail',
    indexes=postgres_indexes([{'columns': ['trading_date', 'symbol']}, {'columns': ['symbol', 'trading_date']}]),
    post_hook="{{ partition_by_date('trading_date') }}",
) }}
-- Daily adjusted prices, one row per symbol and session with a good bar: adjusted OHLCV, the raw
-- close, simple and log returns and dollar volume. Incremental like the intermediate price
-- models (macros/prices/prices_recompute.sql): the new days, and the whole history of a symbol
-- whose newest adjustment factor or splits changed. Rows are written in date order for zone-map
-- pruning on DuckDB; PostgreSQL partitions the table by trading_date.
with prices as (
    select adjusted.* from {{ ref('int_prices_adjusted') }} as adjusted
    {{ prices_to_recompute('adjusted.symbol', 'adjusted.trading_date') }}
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
