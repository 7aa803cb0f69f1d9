{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=postgres_indexes([{'columns': ['trading_date', 'series_id']}]),
    pre_hook="{{ macro_panel_delete_recomputed() }}",
    post_hook="{{ partition_by_date('trading_date') }}",
) }}
-- The macro panel: every series on every trading date, valued as known at that session's close
-- (the ALFRED vintage in effect), with the observation it refers to, its first release and the
-- transforms computed on that same vintage. Incremental by date: a run recomputes the dates
-- from int_macro__recompute.recompute_from on (macros/macro_panel/macro_panel_recompute.sql).
with calendar as (
    select trading_date
    from {{ ref('dim_calendar') }}
    {%- if is_incremental() %}
        where trading_date >= {{ macro_panel_recompute_from() }}
    {%- endif %}
),

states as (
    select * from {{ ref('int_macro_vintage_states') }}
),

series as (
    select
        states.series_id,
        min(states.vintage_date) as first_vintage_date,
        max(series_metadata.frequency) as frequency
    from states
    left join {{ ref('stg_fred__series') }} as series_metadata
        on states.series_id = series_metadata.series_id
    group by states.series_id
),

horizon as (
    -- The newest date any source has data for; the panel does not run into the future.
    select horizon_date from {{ ref('int_macro__recompute') }}
),

panel as (
    select
        series.series_id,
        series.frequency,
        calendar.trading_date
    from series
    inner join calendar on series.first_vintage_date <= calendar.trading_date
    inner join horizon on calendar.trading_date <= horizon.horizon_date
),

final as (
    select
        panel.series_id,
        panel.trading_date,
        panel.frequency,
        known.vintage_date,
        known.observation_date,
        known.value as value_known,
        known.first_release_value,
        known.first_release_date,
        known.previous_observation_date,
        known.change,
        known.pct_change,
        known.year_ago_observation_date,
        known.yoy_change,
        known.yoy_pct_change,
        panel.trading_date - known.vintage_date as days_since_vintage
    from panel
    {{ asof_left_join(ref('int_macro_vintage_states'), 'known',
        [['panel.series_id', 'series_id']], 'panel.trading_date', 'vintage_date') }}
)

select * from final
order by trading_date, series_id
