-- One row per traded symbol: CIK, name, SIC and sector, first and last trading date, delisted.
with bars as (
    select
        symbol,
        min(trading_date) as first_trading_date,
        max(trading_date) as last_trading_date,
        count(*) as bar_count,
        -- The same share-class spelling as int_security_tickers.ticker_key.
        upper(replace(replace(replace(symbol, ' ', '-'), '.', '-'), '/', '-')) as symbol_key
    from {{ ref('int_prices_adjusted') }}
    group by symbol
),

sessions as (
    select
        trading_date,
        row_number() over (order by trading_date) as session_number
    from {{ ref('int_trading_calendar') }}
),

latest_session as (
    select max(sessions.session_number) as session_number
    from sessions
    inner join bars on sessions.trading_date = bars.last_trading_date
),

tickers as (
    select
        *,
        case
            when
                translate(trim(sic_code), '0123456789', '') = ''
                and trim(sic_code) <> ''
                then cast(trim(sic_code) as integer)
        end as sic_number
    from {{ ref('int_security_tickers') }}
),

sectors as (
    select * from {{ ref('sic_sectors') }}
),

final as (
    select
        bars.symbol,
        tickers.cik,
        tickers.company_name,
        tickers.exchanges,
        tickers.sic_code,
        tickers.sic_description,
        sectors.sector,
        bars.first_trading_date,
        bars.last_trading_date,
        bars.bar_count,
        (latest_session.session_number - last_session.session_number)
        > {{ var('delisted_after_sessions') }} as is_delisted
    from bars
    cross join latest_session
    inner join sessions as last_session on bars.last_trading_date = last_session.trading_date
    left join tickers on bars.symbol_key = tickers.ticker_key
    left join sectors
        on tickers.sic_number between sectors.sic_start and sectors.sic_end
)

select * from final
