{{ config(materialized='incremental', unique_key='load_id', incremental_strategy='delete+insert') }}
-- The ledger of the incremental price models: the IB bar loads they have processed, one row per
-- load_id. It runs after every price model (and their tests) succeeded:
-- depends_on: {{ ref('int_prices_adjusted') }}
-- depends_on: {{ ref('fct_prices_daily') }}
with loads as (
    select load_id from {{ ref('stg_ibkr__loads_to_process') }}
),

final as (
    select load_id from loads
)

select * from final
