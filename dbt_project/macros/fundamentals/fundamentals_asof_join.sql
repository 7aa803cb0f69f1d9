{#- LEFT JOIN the version of `relation` that was current at `left_time`: the row with the latest
    `known_from` <= `left_time` among rows matching `keys` (pairs of left expression, right
    column). Rows of `relation` are versions with `known_from` and `known_until` (the next
    version's known_from within the same keys, null for the current one). -#}
{% macro fundamentals_asof_join(relation, alias, keys, left_time) -%}
    {{ return(adapter.dispatch('fundamentals_asof_join', 'factor_mart')(
        relation, alias, keys, left_time)) }}
{%- endmacro %}

{#- DuckDB has a native ASOF JOIN (sort-merge, no interval predicate needed). -#}
{% macro duckdb__fundamentals_asof_join(relation, alias, keys, left_time) -%}
    asof left join {{ relation }} as {{ alias }}
        on {% for left_expression, right_column in keys -%}
    {{ left_expression }} = {{ alias }}.{{ right_column }} and {% endfor -%}
    {{ left_time }} >= {{ alias }}.known_from
{%- endmacro %}

{#- PostgreSQL (and the rest): an equi-join on the keys, filtered to the version whose validity
    interval holds left_time. Equivalent to LATERAL ... ORDER BY known_from DESC LIMIT 1, but a
    hash join instead of one sub-scan per left row. -#}
{% macro default__fundamentals_asof_join(relation, alias, keys, left_time) -%}
    left join {{ relation }} as {{ alias }}
        on {% for left_expression, right_column in keys -%}
    {{ left_expression }} = {{ alias }}.{{ right_column }} and {% endfor -%}
    {{ left_time }} >= {{ alias }}.known_from
        and ({{ alias }}.known_until is null or {{ left_time }} < {{ alias }}.known_until)
{%- endmacro %}
