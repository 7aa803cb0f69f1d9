-- One row per (company, filing) from the submissions feed.
with source as (

    select * from {{ source('raw', 'edgar_filings') }}

),

renamed as (

    select
        cast(cik as {{ dbt.type_bigint() }}) as cik,
        cast(accession_number as {{ dbt.type_string() }}) as accession_number,
        cast(form as {{ dbt.type_string() }}) as form,
        cast(filing_date as date) as filing_date,
        cast(report_date as date) as report_date,
        cast(accepted_at as {{ dbt.type_timestamp() }}) as accepted_at,
        cast(is_xbrl as {{ dbt.type_boolean() }}) as is_xbrl,
        cast(primary_document as {{ dbt.type_string() }}) as primary_document,
        cast(available_at as {{ dbt.type_timestamp() }}) as available_at,
        cast(load_id as {{ dbt.type_string() }}) as load_id
    from source

),

deduplicated as (

    select
        *,
        row_number() over (
            partition by cik, accession_number order by available_at, load_id
        ) as copy_number
    from renamed

),

final as (

    select
        {{ fundamentals_key(['cik', 'accession_number']) }} as filing_key,
        cik,
        accession_number,
        form,
        filing_date,
        report_date,
        accepted_at,
        is_xbrl,
        primary_document,
        available_at,
        load_id
    from deduplicated
    where copy_number = 1

)

select * from final
