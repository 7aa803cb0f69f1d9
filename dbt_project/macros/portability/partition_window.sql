{#- The partition window Dagster passes as `--vars {min_date, max_date}`: a filter on `column`
    when the vars are set (incremental runs), true otherwise. -#}
{% macro partition_window(column) -%}
    {%- set min_date = var('min_date', none) -%}
    {%- set max_date = var('max_date', none) -%}
    {%- if min_date is not none and max_date is not none -%}
        {{ column }} between cast('{{ min_date }}' as date) and cast('{{ max_date }}' as date)
    {%- elif min_date is not none or max_date is not none -%}
        {{ exceptions.raise_compiler_error(
            "Set both vars min_date and max_date (or neither); got min_date=" ~ min_date
            ~ ", max_date=" ~ max_date) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
