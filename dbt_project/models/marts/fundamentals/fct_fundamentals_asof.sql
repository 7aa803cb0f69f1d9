-- The latest period of each metric as known over time, ready for an as-of join to trading
-- dates: one row per (cik, metric, period_kind, known_from), valid until known_until. A new row
-- whenever a newer period is filed or the latest period's value (or TTM) is revised.
--   select ... from prices p asof join fct_fundamentals_asof f
--     on f.cik = p.cik and f.metric = 'revenue' and f.period_kind = 'quarter'
--     and p.trade_date >= f.known_from
with pit as (

    select * from {{ ref('fct_fundamentals_pit') }}
    where {{ fundamentals_filers_to_refresh() }}

),

events as (

    select
        cik,
        metric,
        period_kind,
        known_from as event_at,
        max(period_end) as newest_period_end_filed
    from pit
    group by cik, metric, period_kind, known_from

),

latest_period as (

    select
        cik,
        metric,
        period_kind,
        event_at,
        max(newest_period_end_filed) over (
            partition by cik, metric, period_kind
            order by event_at
            rows between unbounded preceding and current row
        ) as period_end
    from events

),

valued as (

    select
        latest_period.cik,
        latest_period.metric,
        latest_period.period_kind,
        latest_period.event_at as known_from,
        pit.period_start,
        latest_period.period_end,
        pit.metric_value,
        pit.ttm_value,
        pit.value_source,
        pit.accession_number
    from latest_period
    {{ fundamentals_asof_join(
        'pit', 'pit',
        [('latest_period.cik', 'cik'), ('latest_period.metric', 'metric'),
         ('latest_period.period_kind', 'period_kind'), ('latest_period.period_end', 'period_end')],
        'latest_period.event_at') }}

),

compared as (

    select
        *,
        lag(period_end) over (
            partition by cik, metric, period_kind order by known_from
        ) as previous_period_end,
        lag(metric_value) over (
            partition by cik, metric, period_kind order by known_from
        ) as previous_value,
        lag(ttm_value) over (
            partition by cik, metric, period_kind order by known_from
        ) as previous_ttm_value
    from valued

),

changes as (

    select * from compared
    where
        previous_period_end is null
        or period_end <> previous_period_end
        or metric_value <> previous_value
        or coalesce(
            ttm_value <> previous_ttm_value,
            ttm_value is not null or previous_ttm_value is not null
        )

),

final as (

    select
        {{ fundamentals_key(['cik', 'metric', 'period_kind', 'known_from']) }}
            as fundamentals_asof_key,
        cik,
        metric,
        period_kind,
        known_from,
        lead(known_from) over (
            partition by cik, metric, period_kind order by known_from
        ) as known_until,
        period_start,
        period_end,
        metric_value,
        ttm_value,
        value_source,
        accession_number
    from changes

)

select * from final
