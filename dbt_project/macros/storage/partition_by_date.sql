{#- Post-hook for large date-keyed tables.
    PostgreSQL with TimescaleDB: turn the table into a hypertable on `column`.
    PostgreSQL without it: rebuild the table as a native RANGE-partitioned table, one partition
    per calendar year present in the data plus a DEFAULT partition for later incremental rows.
    DuckDB: nothing; models write rows in date order so zone maps prune date filters. -#}
{% macro partition_by_date(column) -%}
    {{ return(adapter.dispatch('partition_by_date', 'factor_mart')(column)) }}
{%- endmacro %}

{% macro default__partition_by_date(column) -%}{%- endmacro %}

{% macro postgres__partition_by_date(column) -%}
    {%- if execute -%}
        {%- set timescale = run_query(
            "select count(*) from pg_extension where extname = 'timescaledb'"
        ).columns[0].values()[0] > 0 -%}
        {%- if timescale -%}
            select create_hypertable(
                '{{ this }}', by_range('{{ column }}'), if_not_exists => true, migrate_data => true
            );
        {%- else -%}
            {{ postgres_native_range_partitions(column) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro postgres_native_range_partitions(column) -%}
    {%- set already_partitioned = run_query(
        "select count(*) from pg_partitioned_table as p"
        ~ " join pg_class as c on c.oid = p.partrelid"
        ~ " join pg_namespace as n on n.oid = c.relnamespace"
        ~ " where n.nspname = '" ~ this.schema ~ "' and c.relname = '" ~ this.identifier ~ "'"
    ).columns[0].values()[0] > 0 -%}
    {%- if not already_partitioned -%}
        {%- set bounds = run_query(
            "select cast(extract(year from min(" ~ column ~ ")) as integer),"
            ~ " cast(extract(year from max(" ~ column ~ ")) as integer) from " ~ this
        ).rows[0] -%}
        {%- set staged_name = this.identifier ~ "__unpartitioned" -%}
        {%- set staged = this.incorporate(path={"identifier": staged_name}) -%}
        {#- dbt renames the previous table to __dbt_backup and drops it after the hooks; its
            partitions carry the names we are about to reuse, so drop it now. -#}
        {%- set backup = this.incorporate(path={"identifier": this.identifier ~ "__dbt_backup"}) %}
        drop table if exists {{ backup }} cascade;
        alter table {{ this }} rename to {{ staged.identifier }};
        create table {{ this }} (like {{ staged }} including defaults)
            partition by range ({{ column }});
        {%- if bounds[0] is not none %}
            {%- for year in range(bounds[0], bounds[1] + 1) %}
        create table {{ this.incorporate(path={"identifier": this.identifier ~ "_y" ~ year}) }}
            partition of {{ this }}
            for values from ('{{ year }}-01-01') to ('{{ year + 1 }}-01-01');
            {%- endfor %}
        {%- endif %}
        create table {{ this.incorporate(path={"identifier": this.identifier ~ "_default"}) }}
            partition of {{ this }} default;
        insert into {{ this }} select * from {{ staged }};
        drop table {{ staged }};
    {%- endif -%}
{%- endmacro %}
