{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ prices_delete_recomputed('trading_date') }}",
) }}
-- Bars kept out of the adjusted series, each with the first rule it breaks.
with factors as (
    select factors.* from {{ ref('int_prices_adjustment_factors') }} as factors
    {{ prices_to_recompute('factors.symbol', 'factors.trading_date', with_context=true) }}
),

bars as (
    select
        *,
        close_price * adjustment_factor as adjusted_close,
        lag(close_price) over (partition by symbol order by trading_date) as previous_close,
        lag(close_price * adjustment_factor) over (
            partition by symbol order by trading_date
        ) as previous_adjusted_close
    from factors
),

judged as (
    select
        symbol,
        trading_date,
        close_price,
        previous_close,
        case
            when
                coalesce(least(open_price, high_price, low_price, close_price), 0) <= 0
                then 'non_positive_price'
            when high_price < low_price then 'high_below_low'
            when
                open_price not between low_price and high_price
                or close_price not between low_price and high_price
                then 'open_or_close_outside_range'
            when volume < 0 then 'negative_volume'
            when volume = 0 and close_price <> previous_close then 'zero_volume_price_change'
            when
                abs(ln(adjusted_close / previous_adjusted_close))
                > {{ var('bad_bar_max_abs_log_return') }}
                then 'unexplained_jump'
        end as reason
    from bars
),

final as (
    select
        judged.symbol,
        judged.trading_date,
        judged.reason,
        judged.close_price,
        judged.previous_close
    from judged
    {{ prices_to_recompute('judged.symbol', 'judged.trading_date') }}
    where judged.reason is not null
)

select * from final
