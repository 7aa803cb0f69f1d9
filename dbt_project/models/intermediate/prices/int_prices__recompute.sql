{{ config(materialized='table') }}
-- The symbols whose price rows this build recomputes: those with bars from IB loads the price
-- models have not processed (stg_ibkr__loads_to_process), each with recompute_after, the last
-- day before its first new bar that has an observed adjustment factor. No value up to that day
-- depends on a later bar unless the newest observed factor (every factor is divided by it) or
-- the splits after the day (adjusted volume multiplies them) change: then, and on a first build,
-- recompute_after is null and every row of the symbol is recomputed
-- (macros/prices/prices_recompute.sql).
{%- set previous_factors = prices_previous('int_prices_adjustment_factors') %}
{%- set previous_actions = prices_previous('int_corporate_actions') %}
-- The staged bars are named where they are read rather than in a CTE: read three times, a CTE
-- is materialized (every column of 4.4 M bars at 1,000 symbols x 10 years, half this model's
-- daily time).
with changed as (
    select
        bars.symbol,
        min(bars.bar_date) as first_changed_date
    from {{ ref('stg_ibkr__bars') }} as bars
    inner join {{ ref('stg_ibkr__loads_to_process') }} as loads on bars.load_id = loads.load_id
    group by bars.symbol
),

{% if previous_factors is none or previous_actions is none -%}
    final as (
        select
            symbol,
            cast(null as date) as recompute_after
        from changed
    )
{%- else -%}
    previous_observed as (
        select
            factors.symbol,
            factors.trading_date,
            factors.observed_factor,
            changed.first_changed_date
        from {{ previous_factors }} as factors
        inner join changed on factors.symbol = changed.symbol
        where factors.observed_factor is not null
    ),

    previous_dates as (
        -- The kept day: the last day before the first new bar with an observed factor; and the
        -- day of the newest observed factor, the one the previous build divided by.
        select
            symbol,
            max(case when trading_date < first_changed_date then trading_date end)
                as keep_through,
            max(trading_date) as anchor_date
        from previous_observed
        group by symbol
    ),

    kept as (
        select
            previous_observed.symbol,
            previous_observed.trading_date as keep_through,
            previous_observed.observed_factor
        from previous_observed
        inner join previous_dates
            on
                previous_observed.symbol = previous_dates.symbol
                and previous_observed.trading_date = previous_dates.keep_through
    ),

    previous_anchor as (
        select
            previous_observed.symbol,
            previous_observed.observed_factor as anchor_factor
        from previous_observed
        inner join previous_dates
            on
                previous_observed.symbol = previous_dates.symbol
                and previous_observed.trading_date = previous_dates.anchor_date
    ),

    observed_since_change as (
        -- The factors observed from the first new bar on, as the new build sees them.
        select
            trades.symbol,
            trades.bar_date as trading_date,
            {{ prices_observed_factor('trades.close_price', 'adjusted.close_price') }}
                as observed_factor
        from {{ ref('stg_ibkr__bars') }} as trades
        inner join changed
            on trades.symbol = changed.symbol and trades.bar_date >= changed.first_changed_date
        left join {{ ref('stg_ibkr__bars') }} as adjusted
            on
                trades.symbol = adjusted.symbol
                and trades.bar_date = adjusted.bar_date
                and adjusted.what_to_show = 'ADJUSTED_LAST'
        where trades.what_to_show = 'TRADES'
    ),

    observed_sequence as (
        -- The kept day's factor followed by the new ones: their steps are the corporate actions
        -- after the kept day; the newest is the new anchor.
        select
            symbol,
            trading_date,
            observed_factor
        from observed_since_change
        where observed_factor is not null
        union all
        select
            symbol,
            keep_through as trading_date,
            observed_factor
        from kept
    ),

    steps as (
        select
            symbol,
            observed_factor,
            observed_factor / lag(observed_factor) over (
                partition by symbol order by trading_date
            ) as factor_ratio,
            row_number() over (partition by symbol order by trading_date desc) as newest_first
        from observed_sequence
    ),

    new_state as (
        select
            symbol,
            max(case when newest_first = 1 then observed_factor end) as anchor_factor,
            -- A step as large as a split's (int_corporate_actions) changes the adjusted volume
            -- of every earlier day.
            max(
                case
                    when
                        factor_ratio >= {{ var('split_min_factor_ratio') }}
                        or factor_ratio <= 1.0 / {{ var('split_min_factor_ratio') }}
                        then 1
                    else 0
                end
            ) as has_split_step
        from steps
        group by symbol
    ),

    previous_splits as (
        select distinct actions.symbol
        from {{ previous_actions }} as actions
        inner join kept on actions.symbol = kept.symbol and actions.ex_date > kept.keep_through
        where actions.split_ratio is not null
    ),

    final as (
        select
            changed.symbol,
            case
                when
                    new_state.anchor_factor = previous_anchor.anchor_factor
                    and new_state.has_split_step = 0
                    and previous_splits.symbol is null
                    then kept.keep_through
            end as recompute_after
        from changed
        left join kept on changed.symbol = kept.symbol
        left join new_state on changed.symbol = new_state.symbol
        left join previous_anchor on changed.symbol = previous_anchor.symbol
        left join previous_splits on changed.symbol = previous_splits.symbol
    )
{%- endif %}

select * from final
