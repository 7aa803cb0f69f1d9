-- One row per exchange session with its neighbours, close time and period-end flags.
with sessions as (
    select * from {{ ref('int_trading_calendar') }}
),

with_neighbours as (
    select
        trading_date,
        session_close_utc,
        is_nyse_session,
        is_early_close,
        has_bars,
        row_number() over (order by trading_date) as trading_day_index,
        lag(trading_date) over (order by trading_date) as prev_trading_date,
        lead(trading_date) over (order by trading_date) as next_trading_date,
        cast(extract(year from trading_date) as integer) as calendar_year,
        cast(extract(quarter from trading_date) as integer) as calendar_quarter,
        cast(extract(month from trading_date) as integer) as calendar_month,
        cast(extract(isoyear from trading_date) as integer) * 100
        + cast(extract(week from trading_date) as integer) as iso_year_week
    from sessions
),

final as (
    select
        trading_date,
        trading_day_index,
        prev_trading_date,
        next_trading_date,
        session_close_utc,
        is_nyse_session,
        is_early_close,
        has_bars,
        calendar_year,
        calendar_quarter,
        calendar_month,
        iso_year_week,
        coalesce(
            lead(iso_year_week) over (order by trading_date) <> iso_year_week, true
        ) as is_week_end,
        coalesce(
            lead(calendar_month) over (order by trading_date) <> calendar_month, true
        ) as is_month_end,
        coalesce(
            lead(calendar_quarter) over (order by trading_date) <> calendar_quarter, true
        ) as is_quarter_end,
        coalesce(
            lead(calendar_year) over (order by trading_date) <> calendar_year, true
        ) as is_year_end,
        coalesce(
            lag(calendar_month) over (order by trading_date) <> calendar_month, true
        ) as is_month_start
    from with_neighbours
)

select * from final
