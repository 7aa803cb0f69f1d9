{#- A set-returning select expression: one row per `delimiter`-separated part of `column`. -#}
{% macro split_to_rows(column, delimiter) -%}
    {{ return(adapter.dispatch('split_to_rows', 'factor_mart')(column, delimiter)) }}
{%- endmacro %}

{% macro default__split_to_rows(column, delimiter) -%}
    unnest(string_to_array({{ column }}, '{{ delimiter }}'))
{%- endmacro %}

{% macro duckdb__split_to_rows(column, delimiter) -%}
    unnest(string_split({{ column }}, '{{ delimiter }}'))
{%- endmacro %}
