{#- The macro panel (fct_macro_asof) is incremental by date: a run recomputes every row on or
    after int_macro__recompute.recompute_from (every row when that is null) and keeps the rows
    before it. A row depends on the vintage states up to its date, its series' frequency, the
    calendar and the horizon; int_macro__recompute finds the first date any of them changed
    since the last build, so the kept rows are what a full rebuild gives. -#}

{#- What a panel row is made of besides the calendar and the horizon: each vintage state with
    its series' frequency. int_macro__recompute compares it with the copy the last build kept
    (int_macro__processed_states). -#}
{% macro macro_panel_inputs() -%}
    select
        states.series_id,
        states.vintage_date,
        states.observation_date,
        states.value,
        states.first_release_value,
        states.first_release_date,
        states.previous_observation_date,
        states.previous_value,
        states.change,
        states.pct_change,
        states.year_ago_observation_date,
        states.year_ago_value,
        states.yoy_change,
        states.yoy_pct_change,
        series_metadata.frequency
    from {{ ref('int_macro_vintage_states') }} as states
    left join {{ ref('stg_fred__series') }} as series_metadata
        on states.series_id = series_metadata.series_id
{%- endmacro %}

{#- A relation as the previous build left it, or none on a --full-refresh or when it does not
    exist. Looked up rather than ref'd: int_macro__recompute reads the panel and the ledger,
    which are built after it (a ref would be a cycle). -#}
{% macro macro_panel_previous(identifier, schema) -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=target.database, schema=schema, identifier=identifier)) }}
{%- endmacro %}

{#- The first recomputed date as a scalar subquery (the beginning of time when null). -#}
{% macro macro_panel_recompute_from() -%}
    (
        select coalesce(recompute.recompute_from, cast('0001-01-01' as date))
        from {{ ref('int_macro__recompute') }} as recompute
    )
{%- endmacro %}

{#- Pre-hook of fct_macro_asof: an incremental run first deletes the rows it recomputes (rows a
    recomputation no longer produces, after the horizon or on a date that is no longer a
    session, go too); the model then appends the recomputed rows. -#}
{% macro macro_panel_delete_recomputed() -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where trading_date >= {{ macro_panel_recompute_from() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
