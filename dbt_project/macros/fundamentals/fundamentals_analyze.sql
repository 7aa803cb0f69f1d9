{#- Post-hook for the fundamentals tables: refresh PostgreSQL's planner statistics right after a
    rebuild, so the next model is not planned as if the table were empty (which turns its joins
    into nested loops). DuckDB keeps its statistics as it writes. -#}
{% macro fundamentals_analyze(relation) -%}
    {{ return(adapter.dispatch('fundamentals_analyze', 'factor_mart')(relation)) }}
{%- endmacro %}

{% macro default__fundamentals_analyze(relation) -%}
    analyze {{ relation }}
{%- endmacro %}

{% macro duckdb__fundamentals_analyze(relation) -%}
    select 1
{%- endmacro %}
