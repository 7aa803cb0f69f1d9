-- Every version of every fundamental value: one row per (cik, metric, period_kind, period_end,
-- known_from). period_kind is 'quarter' (discrete three months, with ttm_value), 'annual'
-- (fiscal year) or 'instant' (balance sheet and share counts). A row is valid from known_from
-- (the first session after filing) until known_until (exclusive; null = still current).
with quarterly as (

    select * from {{ ref('int_fundamentals__quarterly_ttm') }}
    where {{ fundamentals_filers_to_refresh() }}

),

reported as (

    select * from {{ ref('int_fundamentals__reported_versions') }}
    where period_kind in ('annual', 'instant') and {{ fundamentals_filers_to_refresh() }}

),

unioned as (

    select
        cik,
        metric,
        'quarter' as period_kind,
        period_start,
        period_end,
        metric_value,
        ttm_value,
        quarter_source as value_source,
        known_from,
        known_until,
        is_first_reported,
        accession_number
    from quarterly

    union all

    select
        cik,
        metric,
        period_kind,
        period_start,
        period_end,
        metric_value,
        case when period_kind = 'annual' and is_additive then metric_value end as ttm_value,
        'reported' as value_source,
        known_from,
        known_until,
        is_first_reported,
        accession_number
    from reported

),

final as (

    select
        {{ fundamentals_key(['cik', 'metric', 'period_kind', 'period_end', 'known_from']) }}
            as fundamentals_pit_key,
        *
    from unioned

)

select * from final
