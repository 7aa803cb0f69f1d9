{{ config(materialized='table') }}
-- One row: the horizon of the macro panel (the newest date any source has data for; the panel
-- does not run into the future) and recompute_from, the first trading date whose panel rows
-- this build recomputes (null: every row, on a first build, a --full-refresh or without the
-- ledger). The earliest of: the first vintage date whose state (or series frequency) differs
-- from the ledger of the last build, the first session added to or dropped from the calendar
-- within the panel, and the day after the panel's last date or the new horizon.
-- (macros/macro_panel/macro_panel_recompute.sql)
-- depends_on: {{ ref('stg_fred__series') }}, {{ ref('dim_calendar') }}
{%- set previous_states = macro_panel_previous('int_macro__processed_states', 'intermediate') %}
{%- set previous_panel = macro_panel_previous('fct_macro_asof', 'marts') %}
with horizon as (
    select max(latest_date) as horizon_date
    from (
        select max(bar_date) as latest_date from {{ ref('stg_ibkr__bars') }}
        union all
        select max(vintage_date) as latest_date from {{ ref('int_macro_vintage_states') }}
    ) as latest_dates
),

{% if previous_states is none or previous_panel is none -%}
    final as (
        select
            horizon_date,
            cast(null as date) as recompute_from
        from horizon
    )
{%- else -%}
    current_states as (
        {{ macro_panel_inputs() }}
    ),

    changed_states as (
        -- Added, revised and removed states (EXCEPT compares nulls as equal).
        select
            series_id,
            vintage_date
        from (
            select * from current_states
            except
            select * from {{ previous_states }}
        ) as added
        union all
        select
            series_id,
            vintage_date
        from (
            select * from {{ previous_states }}
            except
            select * from current_states
        ) as removed
    ),

    panel_dates as (
        select distinct trading_date from {{ previous_panel }}
    ),

    panel_range as (
        select
            min(trading_date) as first_date,
            max(trading_date) as last_date
        from panel_dates
    ),

    sessions as (
        select calendar.trading_date
        from {{ ref('dim_calendar') }} as calendar
        inner join panel_range
            on calendar.trading_date between panel_range.first_date and panel_range.last_date
    ),

    changed_sessions as (
        -- The panel's first date is the first series' first vintage: a new earlier vintage is
        -- a changed state.
        select trading_date
        from (
            select trading_date from sessions
            except
            select trading_date from panel_dates
        ) as added
        union all
        select trading_date
        from (
            select trading_date from panel_dates
            except
            select trading_date from sessions
        ) as removed
    ),

    changes as (
        select min(vintage_date) as changed_from from changed_states
        union all
        select min(trading_date) as changed_from from changed_sessions
        union all
        -- New days up to the horizon; rows after a horizon that moved back are deleted.
        select
            case
                when panel_range.last_date <= horizon.horizon_date
                    then panel_range.last_date + 1
                else horizon.horizon_date + 1
            end as changed_from
        from panel_range cross join horizon
    ),

    final as (
        select
            horizon.horizon_date,
            -- An empty panel (no last date) is rebuilt whole.
            case
                when (select panel_range.last_date from panel_range) is not null
                    then (select min(changes.changed_from) from changes)
            end as recompute_from
        from horizon
    )
{%- endif %}

select * from final
