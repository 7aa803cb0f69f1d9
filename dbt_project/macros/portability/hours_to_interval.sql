{#- An interval of `hours` hours (an integer expression). -#}
{% macro hours_to_interval(hours) -%}
    {{ return(adapter.dispatch('hours_to_interval', 'factor_mart')(hours)) }}
{%- endmacro %}

{% macro default__hours_to_interval(hours) -%}
    make_interval(hours => {{ hours }})
{%- endmacro %}

{% macro duckdb__hours_to_interval(hours) -%}
    to_hours(cast({{ hours }} as bigint))
{%- endmacro %}
