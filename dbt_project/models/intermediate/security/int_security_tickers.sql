-- Ticker -> company from the current EDGAR metadata: one row per ticker (EDGAR lists every share
-- class of a CIK comma-joined). A ticker claimed by two CIKs goes to the one filed most recently.
-- Companies whose submissions were not loaded are named by the SEC's ticker map instead (no SIC
-- there). ticker_key spells share classes one way ('BRK B', 'BRK.B', 'BRK/B' -> 'BRK-B').
with companies as (
    select * from {{ ref('stg_edgar__companies') }}
    where valid_to is null and tickers is not null
),

exploded as (
    select
        cik,
        company_name,
        sic_code,
        sic_description,
        exchanges,
        valid_from,
        {{ split_to_rows('tickers', ',') }} as ticker
    from companies
),

from_submissions as (
    select
        cik,
        company_name,
        sic_code,
        sic_description,
        exchanges,
        valid_from,
        ticker,
        1 as source_rank
    from exploded
),

from_ticker_map as (
    select
        cik,
        company_name,
        cast(null as {{ dbt.type_string() }}) as sic_code,
        cast(null as {{ dbt.type_string() }}) as sic_description,
        cast(null as {{ dbt.type_string() }}) as exchanges,
        recorded_at as valid_from,
        ticker,
        2 as source_rank
    from {{ ref('stg_edgar__tickers') }}
),

keyed as (
    select
        upper(replace(replace(replace(trim(ticker), ' ', '-'), '.', '-'), '/', '-')) as ticker_key,
        cik,
        company_name,
        sic_code,
        sic_description,
        exchanges,
        valid_from,
        source_rank
    from (
        select * from from_submissions
        union all
        select * from from_ticker_map
    ) as candidates
    where trim(ticker) <> ''
),

ranked as (
    select
        *,
        row_number() over (
            partition by ticker_key order by source_rank asc, valid_from desc, cik desc
        ) as claim_rank
    from keyed
),

final as (
    select
        ticker_key,
        cik,
        company_name,
        sic_code,
        sic_description,
        exchanges,
        valid_from as metadata_known_from
    from ranked
    where claim_rank = 1
)

select * from final
