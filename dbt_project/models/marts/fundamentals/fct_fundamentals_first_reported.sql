{{ config(materialized="view") }}

-- Each period's value as first reported: one row per (cik, metric, period_kind, period_end).
with pit as (

    select * from {{ ref('fct_fundamentals_pit') }}

),

final as (

    select
        fundamentals_pit_key,
        cik,
        metric,
        period_kind,
        period_start,
        period_end,
        metric_value,
        ttm_value,
        value_source,
        known_from,
        accession_number
    from pit
    where is_first_reported

)

select * from final
