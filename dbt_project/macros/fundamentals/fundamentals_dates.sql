{#- Date helpers for the fundamentals models; both return a DATE on every backend. -#}

{% macro fundamentals_add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{#- First weekday on or after the day `available_at` falls on: the fallback for dates outside the
    trading calendar (which also knows exchange holidays). -#}
{% macro fundamentals_next_weekday(available_at) -%}
    {%- set available_date = 'cast(' ~ available_at ~ ' as date)' -%}
    {{ fundamentals_add_days(
        available_date,
        'case extract(isodow from ' ~ available_date ~ ') when 6 then 2 when 7 then 1 else 0 end'
    ) }}
{%- endmacro %}
