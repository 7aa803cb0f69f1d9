{#- The fundamentals models are incremental by filer: an incremental run recomputes (delete +
    insert by cik) only the filers listed in stg_edgar__filers_to_refresh, i.e. those with facts
    from a load the fundamentals have not processed yet. Every value of these models depends on
    one filer's facts only (all windows and joins are keyed by cik), so recomputing a filer from
    all of its facts gives what a full rebuild gives. -#}

{#- A filter on `cik_column`: the filers to refresh in an incremental run, true otherwise. The
    ref is taken outside the branch so dbt records the dependency when it parses. Unit tests
    (always a full build) have no such input. -#}
{% macro fundamentals_filers_to_refresh(cik_column='cik') -%}
    {%- if execute and model.resource_type == 'unit_test' -%}
        1 = 1
    {%- else -%}
        {%- set filers = ref('stg_edgar__filers_to_refresh') -%}
        {%- if is_incremental() -%}
            {{ cik_column }} in (select filers.cik from {{ filers }} as filers)
        {%- else -%}
            1 = 1
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The ledger of processed loads (int_fundamentals__processed_loads), or none when every filer
    must be recomputed: it does not exist yet, or this is a --full-refresh. Looked up rather than
    ref'd: the ledger is written after the models that read this, so a ref would be a cycle. -#}
{% macro fundamentals_processed_loads() -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=target.database, schema='intermediate',
        identifier='int_fundamentals__processed_loads')) }}
{%- endmacro %}
