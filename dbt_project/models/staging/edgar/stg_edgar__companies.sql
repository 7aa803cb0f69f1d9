-- One row per version of a company's metadata (raw lands a new row only when something
-- changed); valid_from is when that version became known.
with source as (

    select * from {{ source('raw', 'edgar_companies') }}

),

renamed as (

    select
        cast(cik as {{ dbt.type_bigint() }}) as cik,
        cast(name as {{ dbt.type_string() }}) as company_name,
        cast(entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(tickers as {{ dbt.type_string() }}) as tickers,
        cast(exchanges as {{ dbt.type_string() }}) as exchanges,
        cast(sic as {{ dbt.type_string() }}) as sic_code,
        cast(sic_description as {{ dbt.type_string() }}) as sic_description,
        cast(fiscal_year_end as {{ dbt.type_string() }}) as fiscal_year_end_mmdd,
        cast(state_of_incorporation as {{ dbt.type_string() }}) as state_of_incorporation,
        cast(available_at as {{ dbt.type_timestamp() }}) as valid_from,
        cast(load_id as {{ dbt.type_string() }}) as load_id
    from source

),

deduplicated as (

    select
        *,
        row_number() over (
            partition by cik, valid_from
            order by load_id, company_name, tickers, exchanges, sic_code
        ) as copy_number
    from renamed

),

final as (

    select
        {{ fundamentals_key(['cik', 'valid_from']) }} as company_version_key,
        cik,
        company_name,
        entity_type,
        tickers,
        exchanges,
        sic_code,
        sic_description,
        fiscal_year_end_mmdd,
        state_of_incorporation,
        valid_from,
        lead(valid_from) over (partition by cik order by valid_from) as valid_to,
        load_id
    from deduplicated
    where copy_number = 1

)

select * from final
