-- Every distinct value a period of a metric has had, in filing order: one row per
-- (cik, metric, period, known_from). A filing that repeats the known value (a 10-K's prior-year
-- comparatives) adds no version; a different value (a restatement) does.
with mapped_facts as (

    select * from {{ ref('int_fundamentals__facts_mapped') }}
    where {{ fundamentals_filers_to_refresh() }}

),

last_filing_per_day as (

    -- Two filings usable from the same session: the later one is what is known that day.
    select
        *,
        row_number() over (
            partition by cik, metric, period_start, period_end, known_from
            order by available_at desc, accession_number desc
        ) as filing_rank
    from mapped_facts

),

compared as (

    select
        *,
        lag(metric_value) over (
            partition by cik, metric, period_start, period_end order by known_from
        ) as previous_value
    from last_filing_per_day
    where filing_rank = 1

),

changes as (

    select * from compared
    where previous_value is null or metric_value <> previous_value

),

final as (

    select
        {{ fundamentals_key(['cik', 'metric', 'period_start', 'period_end',
                             'known_from']) }} as version_key,
        cik,
        metric,
        period_kind,
        is_additive,
        period_start,
        period_end,
        metric_value,
        known_from,
        lead(known_from) over (
            partition by cik, metric, period_start, period_end order by known_from
        ) as known_until,
        row_number() over (
            partition by cik, metric, period_start, period_end order by known_from
        ) = 1 as is_first_reported,
        taxonomy,
        concept,
        accession_number,
        form,
        filed_date,
        available_at
    from changes

)

select * from final
