-- Concepts a filer reports that feed no metric, for curating the concept map: one row per
-- (cik, taxonomy, concept, unit). Concepts in the map but in another unit (a non-USD filer) or
-- with the other period type are flagged as such.
with facts as (

    select * from {{ ref('stg_edgar__facts') }}
    where {{ fundamentals_filers_to_refresh() }}

),

concept_map as (

    select * from {{ ref('concept_map') }}

),

mapped_concepts as (

    select distinct
        cik,
        taxonomy,
        concept,
        unit
    from {{ ref('int_fundamentals__facts_mapped') }}
    where {{ fundamentals_filers_to_refresh() }}

),

reported as (

    select
        cik,
        taxonomy,
        concept,
        unit,
        count(*) as fact_count,
        min(period_end) as first_period_end,
        max(period_end) as last_period_end
    from facts
    group by cik, taxonomy, concept, unit

),

map_status as (

    select
        taxonomy,
        concept,
        max(unit) as mapped_unit,
        min(metric) as mapped_metric
    from concept_map
    group by taxonomy, concept

),

final as (

    select
        {{ fundamentals_key(['reported.cik', 'reported.taxonomy', 'reported.concept',
                             'reported.unit']) }} as unmapped_concept_key,
        reported.cik,
        reported.taxonomy,
        reported.concept,
        reported.unit,
        case
            when map_status.concept is null then 'concept_not_in_map'
            when map_status.mapped_unit <> reported.unit then 'unit_not_in_map'
            else 'never_used_outranked_or_period_mismatch'
        end as reason,
        map_status.mapped_metric,
        reported.fact_count,
        reported.first_period_end,
        reported.last_period_end
    from reported
    left join map_status
        on reported.taxonomy = map_status.taxonomy and reported.concept = map_status.concept
    left join mapped_concepts
        on
            reported.cik = mapped_concepts.cik
            and reported.taxonomy = mapped_concepts.taxonomy
            and reported.concept = mapped_concepts.concept
            and reported.unit = mapped_concepts.unit
    where mapped_concepts.cik is null

)

select * from final
