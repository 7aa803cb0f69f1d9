-- One row per (company, ticker) from the SEC's ticker map; the first recording of a pair wins.
with source as (

    select * from {{ source('raw', 'edgar_tickers') }}

),

renamed as (

    select
        cast(cik as {{ dbt.type_bigint() }}) as cik,
        cast(ticker as {{ dbt.type_string() }}) as ticker,
        cast(title as {{ dbt.type_string() }}) as company_name,
        cast(available_at as {{ dbt.type_timestamp() }}) as recorded_at,
        cast(load_id as {{ dbt.type_string() }}) as load_id
    from source

),

deduplicated as (

    select
        *,
        row_number() over (
            partition by cik, ticker order by recorded_at, load_id
        ) as copy_number
    from renamed

),

final as (

    select
        cik,
        ticker,
        company_name,
        recorded_at
    from deduplicated
    where copy_number = 1

)

select * from final
