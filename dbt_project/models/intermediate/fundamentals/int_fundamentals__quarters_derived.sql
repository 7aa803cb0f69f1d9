-- Discrete quarters derived from year-to-date figures of additive metrics: Q2 = 6M - Q1,
-- Q3 = 9M - 6M, Q4 = FY - 9M, pairing two cumulative periods that share their start. One row
-- per (cik, metric, quarter end, known_from): the difference as known at each moment either side
-- changed (it is known once the later of the two is known).
with versions as (

    select * from {{ ref('int_fundamentals__reported_versions') }}
    where is_additive and period_kind <> 'instant' and {{ fundamentals_filers_to_refresh() }}

),

cumulative_periods as (

    select distinct
        cik,
        metric,
        period_kind,
        period_start,
        period_end
    from versions

),

pairs as (

    select
        longer.cik,
        longer.metric,
        longer.period_start as cumulative_start,
        longer.period_end as longer_end,
        shorter.period_end as shorter_end,
        {{ fundamentals_add_days('shorter.period_end', 1) }} as period_start,
        longer.period_end
    from cumulative_periods as longer
    inner join cumulative_periods as shorter
        on
            longer.cik = shorter.cik
            and longer.metric = shorter.metric
            and longer.period_start = shorter.period_start
            and (
                (longer.period_kind = 'half_year_ytd' and shorter.period_kind = 'quarter')
                or (
                    longer.period_kind = 'nine_months_ytd' and shorter.period_kind = 'half_year_ytd'
                )
                or (longer.period_kind = 'annual' and shorter.period_kind = 'nine_months_ytd')
            )
    where {{ dbt.datediff('shorter.period_end', 'longer.period_end', 'day') }} between 80 and 100

),

pair_events as (

    -- Every moment either side of a pair got a new version.
    select distinct
        pairs.cik,
        pairs.metric,
        pairs.cumulative_start,
        pairs.longer_end,
        pairs.shorter_end,
        pairs.period_start,
        pairs.period_end,
        versions.known_from as event_at
    from pairs
    inner join versions
        on
            pairs.cik = versions.cik
            and pairs.metric = versions.metric
            and pairs.cumulative_start = versions.period_start
            and versions.period_end in (pairs.longer_end, pairs.shorter_end)

),

differenced as (

    select
        pair_events.cik,
        pair_events.metric,
        pair_events.period_start,
        pair_events.period_end,
        pair_events.event_at as known_from,
        longer.metric_value - shorter.metric_value as metric_value,
        row_number() over (
            partition by
                pair_events.cik, pair_events.metric, pair_events.period_end,
                pair_events.event_at
            order by pair_events.cumulative_start desc, pair_events.shorter_end desc
        ) as pair_rank,
        case
            when longer.known_from >= shorter.known_from then longer.accession_number
            else shorter.accession_number
        end as accession_number
    from pair_events
    {{ fundamentals_asof_join(
        'versions', 'longer',
        [('pair_events.cik', 'cik'), ('pair_events.metric', 'metric'),
         ('pair_events.cumulative_start', 'period_start'), ('pair_events.longer_end', 'period_end')],
        'pair_events.event_at') }}
    {{ fundamentals_asof_join(
        'versions', 'shorter',
        [('pair_events.cik', 'cik'), ('pair_events.metric', 'metric'),
         ('pair_events.cumulative_start', 'period_start'), ('pair_events.shorter_end', 'period_end')],
        'pair_events.event_at') }}

),

final as (

    select
        cik,
        metric,
        period_start,
        period_end,
        known_from,
        lead(known_from) over (
            partition by cik, metric, period_end order by known_from
        ) as known_until,
        metric_value,
        accession_number
    from differenced
    where metric_value is not null and pair_rank = 1

)

select * from final
