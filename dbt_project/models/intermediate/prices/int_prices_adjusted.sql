{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ prices_delete_recomputed('trading_date') }}",
    indexes=postgres_indexes([{'columns': ['symbol', 'trading_date']}]),
) }}
-- Good bars only: raw and split/dividend-adjusted OHLCV and daily simple and log returns on the
-- adjusted close. A return next to a bad bar is left null rather than spanning it.
with factors as (
    select factors.* from {{ ref('int_prices_adjustment_factors') }} as factors
    {{ prices_to_recompute('factors.symbol', 'factors.trading_date', with_context=true) }}
),

bad_bars as (
    select * from {{ ref('int_prices_bad_bars') }}
),

splits as (
    select
        symbol,
        ex_date,
        split_ratio
    from {{ ref('int_corporate_actions') }}
    where split_ratio is not null
),

split_factors as (
    -- Shares outstanding change only with splits: volume is scaled by the splits after the day.
    select
        factors.symbol,
        factors.trading_date,
        exp(sum(ln(splits.split_ratio))) as later_split_ratio
    from factors
    inner join splits
        on factors.symbol = splits.symbol and factors.trading_date < splits.ex_date
    group by factors.symbol, factors.trading_date
),

flagged as (
    select
        factors.*,
        coalesce(split_factors.later_split_ratio, 1.0) as later_split_ratio,
        bad_bars.reason is not null as is_bad,
        lag(factors.close_price * factors.adjustment_factor) over (
            partition by factors.symbol order by factors.trading_date
        ) as previous_adjusted_close,
        lag(bad_bars.reason is not null) over (
            partition by factors.symbol order by factors.trading_date
        ) as previous_is_bad,
        lag(factors.trading_date) over (
            partition by factors.symbol order by factors.trading_date
        ) as previous_bar_date
    from factors
    left join bad_bars
        on factors.symbol = bad_bars.symbol and factors.trading_date = bad_bars.trading_date
    left join split_factors
        on
            factors.symbol = split_factors.symbol
            and factors.trading_date = split_factors.trading_date
),

kept as (
    select flagged.* from flagged
    {{ prices_to_recompute('flagged.symbol', 'flagged.trading_date') }}
    where not flagged.is_bad
),

final as (
    select
        symbol,
        trading_date,
        previous_bar_date,
        open_price,
        high_price,
        low_price,
        close_price,
        volume,
        vwap,
        adjustment_factor,
        open_price * adjustment_factor as adjusted_open,
        high_price * adjustment_factor as adjusted_high,
        low_price * adjustment_factor as adjusted_low,
        close_price * adjustment_factor as adjusted_close,
        volume * later_split_ratio as adjusted_volume,
        close_price * volume as dollar_volume,
        case
            when not coalesce(previous_is_bad, true)
                then close_price * adjustment_factor / previous_adjusted_close - 1
        end as simple_return,
        case
            when not coalesce(previous_is_bad, true)
                then ln(close_price * adjustment_factor / previous_adjusted_close)
        end as log_return,
        available_at
    from kept
)

select * from final
