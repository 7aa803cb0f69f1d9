{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ prices_delete_recomputed('ex_date') }}",
) }}
-- Splits and cash dividends read off the steps in IB's adjustment factor: on an ex-date the
-- factor of earlier days shrinks by the split ratio, or by (1 - dividend / previous close).
-- Steps smaller than the noise of cent-rounded prices are ignored.
with factors as (
    select
        factors.symbol,
        factors.trading_date,
        factors.close_price,
        factors.ib_adjusted_close,
        factors.observed_factor
    from {{ ref('int_prices_adjustment_factors') }} as factors
    {{ prices_to_recompute('factors.symbol', 'factors.trading_date', with_context=true) }}
    where factors.observed_factor is not null
),

steps as (
    select
        symbol,
        trading_date as ex_date,
        observed_factor / lag(observed_factor) over (
            partition by symbol order by trading_date
        ) as factor_ratio,
        lag(close_price) over (partition by symbol order by trading_date) as previous_close,
        least(
            ib_adjusted_close,
            lag(ib_adjusted_close) over (partition by symbol order by trading_date)
        ) as smaller_adjusted_close
    from factors
),

actions as (
    select
        steps.symbol,
        steps.ex_date,
        steps.factor_ratio,
        steps.previous_close,
        case
            when steps.factor_ratio >= {{ var('split_min_factor_ratio') }} then 'split'
            when steps.factor_ratio <= 1.0 / {{ var('split_min_factor_ratio') }}
                then 'reverse_split'
            when steps.factor_ratio > 1 then 'dividend'
            -- A small drop in the factor is no corporate action we know: keep it visible.
            else 'unexplained_factor_drop'
        end as action_type
    from steps
    {{ prices_to_recompute('steps.symbol', 'steps.ex_date') }}
    where
        abs(steps.factor_ratio - 1) > {{ var('corporate_action_min_factor_change') }}
        + 0.01 / steps.smaller_adjusted_close
),

final as (
    select
        symbol,
        ex_date,
        action_type,
        factor_ratio,
        case
            when action_type in ('split', 'reverse_split') then {{ round_float('factor_ratio', 4) }}
        end as split_ratio,
        case
            when action_type = 'dividend'
                then {{ round_float('previous_close * (1 - 1 / factor_ratio)', 4) }}
        end as dividend_amount,
        'ib_adjusted_last' as detected_from
    from actions
)

select * from final
