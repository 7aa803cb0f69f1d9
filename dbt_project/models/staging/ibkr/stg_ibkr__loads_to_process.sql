{{ config(materialized='table') }}
-- The IB bar loads the price models have not processed yet, one row per load_id: loads that
-- int_prices__processed_loads (written after the price models succeeded) does not list. Every
-- load on a first build, after --full-refresh, or when the ledger is missing. A build that fails
-- leaves its loads unlisted, so the next one recomputes their symbols again.
{%- set processed_loads = prices_processed_loads() %}
with source as (
    select * from {{ source('raw', 'ib_bars') }}
),

loads as (
    select distinct load_id from source
),

final as (
    select load_id
    from loads
    {%- if processed_loads is not none %}
        where load_id not in (select processed.load_id from {{ processed_loads }} as processed)
    {%- endif %}
)

select * from final
