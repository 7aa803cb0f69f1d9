-- Exchange sessions: the generated NYSE calendar (weekdays minus holidays) plus any extra date on
-- which at least half the symbols of that year traded (the data outranks the rule set).
with days as (
    {{ date_series(var('calendar_start'), var('calendar_end')) }}
),

holidays as (
    select * from {{ ref('nyse_holidays') }}
),

bar_dates as (
    select
        bar_date,
        count(distinct symbol) as symbols_with_bars
    from {{ ref('stg_ibkr__bars') }}
    where what_to_show = 'TRADES'
    group by bar_date
),

busiest_day_per_year as (
    select
        extract(year from bar_date) as bar_year,
        max(symbols_with_bars) as max_symbols_with_bars
    from bar_dates
    group by extract(year from bar_date)
),

generated_sessions as (
    select
        days.calendar_date as trading_date,
        holidays.close_time_local
    from days
    left join holidays on days.calendar_date = holidays.calendar_date
    where
        extract(dow from days.calendar_date) between 1 and 5
        and coalesce(holidays.closure_kind, 'open') <> 'closed'
),

extra_sessions as (
    select bar_dates.bar_date as trading_date
    from bar_dates
    inner join busiest_day_per_year
        on extract(year from bar_dates.bar_date) = busiest_day_per_year.bar_year
    left join generated_sessions on bar_dates.bar_date = generated_sessions.trading_date
    where
        generated_sessions.trading_date is null
        and 2 * bar_dates.symbols_with_bars >= busiest_day_per_year.max_symbols_with_bars
),

sessions as (
    select
        trading_date,
        true as is_nyse_session,
        case when close_time_local = '13:00' then 13 else 16 end as close_hour_local
    from generated_sessions
    union all
    select
        trading_date,
        false as is_nyse_session,
        16 as close_hour_local
    from extra_sessions
),

final as (
    select
        sessions.trading_date,
        sessions.is_nyse_session,
        sessions.close_hour_local < 16 as is_early_close,
        bar_dates.bar_date is not null as has_bars,
        coalesce(bar_dates.symbols_with_bars, 0) as symbols_with_bars,
        cast(sessions.trading_date as {{ dbt.type_timestamp() }})
        + {{ hours_to_interval(
            'sessions.close_hour_local + '
            ~ us_eastern_utc_offset_hours('sessions.trading_date')) }} as session_close_utc
    from sessions
    left join bar_dates on sessions.trading_date = bar_dates.bar_date
)

select * from final
