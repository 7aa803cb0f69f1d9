-- Raw TRADES bars with the split-and-dividend adjustment factor for each day: IB's
-- ADJUSTED_LAST close over the TRADES close where both exist, carried back from the next
-- observed day where IB's adjusted bar is missing, and rescaled so the newest observed factor
-- is 1 (the adjusted series ends at the raw price, as IB's does on the day it was pulled).
with bars as (
    select * from {{ ref('stg_ibkr__bars') }}
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

filled as (
    select
        *,
        max(observed_factor) over (partition by symbol, factor_group) as carried_factor,
        max(case when factor_group = 1 then observed_factor end) over (
            partition by symbol
        ) as anchor_factor
    from grouped
),

final as (
    select
        symbol,
        trading_date,
        open_price,
        high_price,
        low_price,
        close_price,
        volume,
        vwap,
        available_at,
        ib_adjusted_close,
        observed_factor,
        coalesce(carried_factor / anchor_factor, 1.0) as adjustment_factor
    from filled
)

select * from final
