{{ config(materialized='incremental', unique_key='load_id', incremental_strategy='delete+insert') }}
-- The ledger of the incremental fundamentals: the EDGAR fact loads they have processed, one row
-- per load_id. It runs after every fundamentals model (and their tests) succeeded:
-- depends_on: {{ ref('fct_fundamentals_asof') }}
-- depends_on: {{ ref('fct_fundamentals_first_reported') }}
-- depends_on: {{ ref('int_fundamentals__metric_coverage') }}
-- depends_on: {{ ref('int_fundamentals__unmapped_concepts') }}
with refreshed as (

    select distinct load_id from {{ ref('stg_edgar__filers_to_refresh') }}

),

final as (

    select load_id from refreshed

)

select * from final
