{#- For each left row, join the right row with the same keys and the latest `right_time` at or
    before `left_time` (null columns when there is none).
    keys: list of [left_expression, right_column] pairs.
    DuckDB has ASOF JOIN; PostgreSQL gets LATERAL ... ORDER BY ... LIMIT 1 (index the right
    table on keys + right_time, see the `indexes` config of the models used as right sides). -#}
{% macro asof_left_join(right_relation, right_alias, keys, left_time, right_time) -%}
    {{ return(adapter.dispatch('asof_left_join', 'factor_mart')(
        right_relation, right_alias, keys, left_time, right_time)) }}
{%- endmacro %}

{% macro default__asof_left_join(right_relation, right_alias, keys, left_time, right_time) -%}
    {%- set matches = [] -%}
    {%- for left_key, right_key in keys -%}
        {%- do matches.append('asof_candidate.' ~ right_key ~ ' = ' ~ left_key) -%}
    {%- endfor -%}
    left join lateral (
        select asof_candidate.*
        from {{ right_relation }} as asof_candidate
        where
            {{ matches | join(' and ') }}
            and asof_candidate.{{ right_time }} <= {{ left_time }}
        order by asof_candidate.{{ right_time }} desc
        limit 1
    ) as {{ right_alias }} on true
{%- endmacro %}

{% macro duckdb__asof_left_join(right_relation, right_alias, keys, left_time, right_time) -%}
    {%- set matches = [] -%}
    {%- for left_key, right_key in keys -%}
        {%- do matches.append(right_alias ~ '.' ~ right_key ~ ' = ' ~ left_key) -%}
    {%- endfor -%}
    asof left join {{ right_relation }} as {{ right_alias }}
        on
            {{ matches | join(' and ') }}
            and {{ left_time }} >= {{ right_alias }}.{{ right_time }}
{%- endmacro %}
