{#- The partition window: a filter on `column` when a window is set (incremental runs), true
    otherwise. Set it as `--vars {min_date, max_date}` by hand; Dagster passes it as the
    environment variables FACTOR_MART_MIN_DATE / FACTOR_MART_MAX_DATE, read only while running:
    dbt discards its saved parse whenever the --vars (or an env var read while parsing) differ
    from the last run's, and the window moves every month. Dates are ISO strings, inclusive. -#}
{% macro partition_window(column) -%}
    {%- set min_date = var('min_date', none) -%}
    {%- set max_date = var('max_date', none) -%}
    {%- if execute and min_date is none and max_date is none -%}
        {%- set min_date = env_var('FACTOR_MART_MIN_DATE', '') or none -%}
        {%- set max_date = env_var('FACTOR_MART_MAX_DATE', '') or none -%}
    {%- endif -%}
    {%- if min_date is not none and max_date is not none -%}
        {{ column }} between cast('{{ min_date }}' as date) and cast('{{ max_date }}' as date)
    {%- elif min_date is not none or max_date is not none -%}
        {{ exceptions.raise_compiler_error(
            "Set both min_date and max_date (or neither); got min_date=" ~ min_date
            ~ ", max_date=" ~ max_date) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
