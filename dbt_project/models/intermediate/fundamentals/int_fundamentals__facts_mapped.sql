-- Facts mapped to metrics: one row per (cik, metric, period, filing), using the highest-priority
-- concept that filing reported for that period. Periods come from start/end only: durations are
-- classified by length, never by the filing's fiscal year/period labels.
with facts as (

    select * from {{ ref('stg_edgar__facts') }}
    where {{ fundamentals_filers_to_refresh() }}

),

concept_map as (

    select * from {{ ref('concept_map') }}

),

sessions as (

    select trading_date from {{ ref('dim_calendar') }}

),

mapped as (

    select
        facts.fact_key,
        facts.cik,
        concept_map.metric,
        concept_map.priority,
        concept_map.is_additive,
        facts.taxonomy,
        facts.concept,
        facts.unit,
        facts.period_start,
        facts.period_end,
        facts.fact_value * concept_map.sign as metric_value,
        facts.accession_number,
        facts.form,
        facts.filed_date,
        facts.available_at,
        case
            when facts.period_start is null then null
            else {{ dbt.datediff('facts.period_start', 'facts.period_end', 'day') }} + 1
        end as period_days
    from facts
    inner join concept_map
        on
            facts.taxonomy = concept_map.taxonomy
            and facts.concept = concept_map.concept
            and facts.unit = concept_map.unit
            and (facts.period_start is null) = (concept_map.period_type = 'instant')

),

classified as (

    select
        *,
        case
            when period_start is null then 'instant'
            when period_days between 80 and 100 then 'quarter'
            when period_days between 170 and 195 then 'half_year_ytd'
            when period_days between 260 and 290 then 'nine_months_ytd'
            when period_days between 350 and 380 then 'annual'
        end as period_kind
    from mapped

),

ranked as (

    select
        *,
        row_number() over (
            partition by cik, metric, period_start, period_end, accession_number
            order by priority, concept
        ) as concept_rank
    from classified
    where period_kind is not null

),

filing_days as (

    select distinct cast(available_at as date) as available_date from ranked

),

day_offsets as (

    -- Sessions are never more than a week apart (the longest gap: 10 to 17 September 2001), so
    -- the first session on or after a day is among the next ten days: an equi-join instead of
    -- an inequality join over the whole calendar (a nested loop on PostgreSQL).
    {% for offset in range(10) -%}
        select {{ offset }} as offset_days
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

first_sessions as (

    -- available_at is already the end of the filing day, so the session on or after it is the
    -- first one after filing.
    select
        filing_days.available_date,
        min(sessions.trading_date) as first_session
    from filing_days
    cross join day_offsets
    inner join sessions
        on sessions.trading_date = {{ fundamentals_add_days(
            'filing_days.available_date', 'day_offsets.offset_days') }}
    group by filing_days.available_date

),

final as (

    select
        {{ fundamentals_key(['cik', 'metric', 'period_start', 'period_end',
                             'accession_number']) }} as mapped_fact_key,
        ranked.fact_key,
        ranked.cik,
        ranked.metric,
        ranked.period_kind,
        ranked.is_additive,
        ranked.period_start,
        ranked.period_end,
        ranked.metric_value,
        ranked.taxonomy,
        ranked.concept,
        ranked.unit,
        ranked.priority,
        ranked.accession_number,
        ranked.form,
        ranked.filed_date,
        ranked.available_at,
        -- Outside the generated calendar's years, fall back to the next weekday.
        coalesce(
            first_sessions.first_session, {{ fundamentals_next_weekday('ranked.available_at') }}
        ) as known_from
    from ranked
    left join first_sessions
        on cast(ranked.available_at as date) = first_sessions.available_date
    where ranked.concept_rank = 1

)

select * from final
