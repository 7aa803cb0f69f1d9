{#- A relation of every calendar day from `start_date` to `end_date` (ISO strings), one column
    `calendar_date`. -#}
{% macro date_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_series', 'factor_mart')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_series(start_date, end_date) -%}
    select cast(day_start as date) as calendar_date
    from generate_series(
        cast('{{ start_date }}' as date), cast('{{ end_date }}' as date), interval '1 day'
    ) as days (day_start)
{%- endmacro %}
