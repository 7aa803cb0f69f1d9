{#- A surrogate key over a model's grain columns (nulls kept distinct from empty strings). -#}
{% macro fundamentals_key(columns) -%}
    md5({% for column in columns -%}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '<null>')
        {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor %})
{%- endmacro %}
