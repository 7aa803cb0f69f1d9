{#- Indexes help PostgreSQL's as-of lookups; dbt-duckdb's index handling breaks a second table
    build on the same file (the __dbt_backup rename), and DuckDB does not need them. -#}
{% macro postgres_indexes(indexes) -%}
    {{ return(indexes if target.type == 'postgres' else []) }}
{%- endmacro %}
