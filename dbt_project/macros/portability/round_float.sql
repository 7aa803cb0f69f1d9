{#- Round a double to `digits` decimals and keep it a double on every backend. -#}
{% macro round_float(expression, digits) -%}
    {{ return(adapter.dispatch('round_float', 'factor_mart')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_float(expression, digits) -%}
    cast(round(cast({{ expression }} as numeric), {{ digits }}) as {{ dbt.type_float() }})
{%- endmacro %}

{% macro duckdb__round_float(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}
