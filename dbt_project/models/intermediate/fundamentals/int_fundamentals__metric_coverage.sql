-- Which metrics each filer's facts map to: one row per (cik, metric), 'unmapped' where none of
-- the metric's concepts appear for that filer (e.g. an IFRS filer with no gross profit line).
with facts as (

    select * from {{ ref('stg_edgar__facts') }}
    where {{ fundamentals_filers_to_refresh() }}

),

mapped_facts as (

    select * from {{ ref('int_fundamentals__facts_mapped') }}
    where {{ fundamentals_filers_to_refresh() }}

),

filers as (

    select
        cik,
        max(case when taxonomy = 'us-gaap' then 1 else 0 end) = 1 as reports_us_gaap,
        max(case when taxonomy = 'ifrs-full' then 1 else 0 end) = 1 as reports_ifrs
    from facts
    group by cik

),

metrics as (

    select distinct metric from {{ ref('concept_map') }}

),

usage as (

    select
        cik,
        metric,
        count(*) as mapped_fact_count,
        count(distinct concept) as concept_count,
        min(concept) as first_concept,
        max(concept) as last_concept,
        min(period_end) as first_period_end,
        max(period_end) as last_period_end
    from mapped_facts
    group by cik, metric

),

final as (

    select
        {{ fundamentals_key(['filers.cik', 'metrics.metric']) }} as coverage_key,
        filers.cik,
        metrics.metric,
        case when usage.cik is null then 'unmapped' else 'mapped' end as mapping_status,
        filers.reports_us_gaap,
        filers.reports_ifrs,
        coalesce(usage.mapped_fact_count, 0) as mapped_fact_count,
        coalesce(usage.concept_count, 0) as concept_count,
        usage.first_concept,
        usage.last_concept,
        usage.first_period_end,
        usage.last_period_end
    from filers
    cross join metrics
    left join usage
        on filers.cik = usage.cik and metrics.metric = usage.metric

)

select * from final
