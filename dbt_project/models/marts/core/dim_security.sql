-- The security master: symbol, CIK, name, SIC and sector, first/last trading date, delisted.
select
    symbol,
    cik,
    company_name,
    exchanges,
    sic_code,
    sic_description,
    sector,
    first_trading_date,
    last_trading_date,
    bar_count,
    is_delisted
from {{ ref('int_security_master') }}
