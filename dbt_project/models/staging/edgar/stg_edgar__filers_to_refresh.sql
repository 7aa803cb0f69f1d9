{{ config(materialized='table') }}
-- The filers whose fundamentals this build recomputes, one row per (cik, load_id): every CIK
-- with facts from a load that int_fundamentals__processed_loads (written after the fundamentals
-- models succeeded) does not list yet. Every filer on a first build, after --full-refresh, or
-- when the ledger is missing. A build that fails leaves its loads unlisted, so the next one
-- recomputes those filers again.
{%- set processed_loads = fundamentals_processed_loads() %}
with source as (

    select * from {{ source('raw', 'edgar_facts') }}

),

loads as (

    select distinct
        cast(cik as {{ dbt.type_bigint() }}) as cik,
        cast(load_id as {{ dbt.type_string() }}) as load_id
    from source

),

final as (

    select
        cik,
        load_id
    from loads
    {%- if processed_loads is not none %}
        where load_id not in (select processed.load_id from {{ processed_loads }} as processed)
    {%- endif %}

)

select * from final
