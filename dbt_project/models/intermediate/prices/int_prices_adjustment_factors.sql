{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ prices_delete_recomputed('trading_date') }}",
) }}
-- Raw TRADES bars with the split-and-dividend adjustment factor for each day: IB's
-- ADJUSTED_LAST close over the TRADES close where both exist, carried back from the next
-- observed day where IB's adjusted bar is missing, and rescaled so the newest observed factor
-- is 1 (the adjusted series ends at the raw price, as IB's does on the day it was pulled).
-- Incremental: the rows int_prices__recompute names, from the day before them on (the anchor
-- and the factors carried back come from those days).
with bars as (
    select bars.* from {{ ref('stg_ibkr__bars') }} as bars
    {{ prices_to_recompute('bars.symbol', 'bars.bar_date', with_context=true) }}
),

trades as (
    select * from bars
    where what_to_show = 'TRADES'
),

adjusted as (
    select
        symbol,
        bar_date,
        close_price as adjusted_close
    from bars
    where what_to_show = 'ADJUSTED_LAST'
),

observed as (
    select
        trades.symbol,
        trades.bar_date as trading_date,
        trades.open_price,
        trades.high_price,
        trades.low_price,
        trades.close_price,
        trades.volume,
        trades.vwap,
        trades.available_at,
        adjusted.adjusted_close as ib_adjusted_close,
        case
            when trades.close_price > 0 and adjusted.adjusted_close > 0
                then adjusted.adjusted_close / trades.close_price
        end as observed_factor
    from trades
    left join adjusted
        on trades.symbol = adjusted.symbol and trades.bar_date = adjusted.bar_date
),

grouped as (
    select
        *,
        -- Rows up to (and including, going back in time) an observed factor share its group.
        count(observed_factor) over (
            partition by symbol order by trading_date desc
            rows between unbounded preceding and current row
        ) as factor_group
    from observed
),

group_factors as (
    -- Each group's one observed factor (none for the days after the newest observation). A
    -- group by and a join back: cheaper than two more window passes over every bar.
    select
        symbol,
        factor_group,
        max(observed_factor) as carried_factor
    from grouped
    group by symbol, factor_group
),

final as (
    select
        grouped.symbol,
        grouped.trading_date,
        grouped.open_price,
        grouped.high_price,
        grouped.low_price,
        grouped.close_price,
        grouped.volume,
        grouped.vwap,
        grouped.available_at,
        grouped.ib_adjusted_close,
        grouped.observed_factor,
        coalesce(group_factors.carried_factor / anchors.carried_factor, 1.0) as adjustment_factor
    from grouped
    left join group_factors
        on
            grouped.symbol = group_factors.symbol
            and grouped.factor_group = group_factors.factor_group
    -- The newest observed factor (group 1) is the anchor.
    left join group_factors as anchors
        on grouped.symbol = anchors.symbol and anchors.factor_group = 1
)

select final.* from final
{{ prices_to_recompute('final.symbol', 'final.trading_date') }}
