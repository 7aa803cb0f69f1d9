-- Discrete quarterly values as known over time: one row per (cik, metric, quarter end,
-- known_from).
-- A directly reported three-month value wins; otherwise the YTD difference stands in (always
-- for Q4 and for YTD-only cash flow tags). A new row only when the value changes.
with reported as (

    select * from {{ ref('int_fundamentals__reported_versions') }}
    where period_kind = 'quarter' and {{ fundamentals_filers_to_refresh() }}

),

derived as (

    select * from {{ ref('int_fundamentals__quarters_derived') }}
    where {{ fundamentals_filers_to_refresh() }}

),

quarter_events as (

    -- A quarter is identified by its end date: a directly reported quarter and the derived one
    -- for the same end are the same quarter.
    select
        cik,
        metric,
        period_end,
        known_from as event_at
    from reported
    union
    select
        cik,
        metric,
        period_end,
        known_from as event_at
    from derived

),

merged as (

    select
        quarter_events.cik,
        quarter_events.metric,
        coalesce(reported.period_start, derived.period_start) as period_start,
        quarter_events.period_end,
        quarter_events.event_at as known_from,
        coalesce(reported.metric_value, derived.metric_value) as metric_value,
        case when reported.metric_value is not null then 'reported' else 'derived' end
            as quarter_source,
        coalesce(reported.accession_number, derived.accession_number) as accession_number
    from quarter_events
    {{ fundamentals_asof_join(
        'reported', 'reported',
        [('quarter_events.cik', 'cik'), ('quarter_events.metric', 'metric'),
         ('quarter_events.period_end', 'period_end')],
        'quarter_events.event_at') }}
    {{ fundamentals_asof_join(
        'derived', 'derived',
        [('quarter_events.cik', 'cik'), ('quarter_events.metric', 'metric'),
         ('quarter_events.period_end', 'period_end')],
        'quarter_events.event_at') }}

),

compared as (

    select
        *,
        lag(metric_value) over (
            partition by cik, metric, period_end order by known_from
        ) as previous_value
    from merged

),

changes as (

    select * from compared
    where previous_value is null or metric_value <> previous_value

),

final as (

    select
        {{ fundamentals_key(['cik', 'metric', 'period_end', 'known_from']) }}
            as quarter_version_key,
        cik,
        metric,
        period_start,
        period_end,
        metric_value,
        quarter_source,
        known_from,
        lead(known_from) over (
            partition by cik, metric, period_end order by known_from
        ) as known_until,
        row_number() over (
            partition by cik, metric, period_end order by known_from
        ) = 1 as is_first_reported,
        accession_number
    from changes

)

select * from final
