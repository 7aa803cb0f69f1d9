{{ config(materialized='incremental', unique_key='cik', incremental_strategy='delete+insert') }}
-- One row per XBRL fact per filing (companyfacts): vendor names renamed, types cast, raw
-- re-deliveries of the same natural key collapsed to the first landed copy.
-- Stored, unlike the other staging models: three models and 13 tests read it, and as a view
-- each of them re-ran the dedup window and the key hash over every raw fact. Incremental by
-- filer like the fundamentals models (macros/fundamentals/fundamentals_refresh.sql).
with source as (

    select * from {{ source('raw', 'edgar_facts') }}
    where {{ fundamentals_filers_to_refresh() }}

),

renamed as (

    select
        cast(cik as {{ dbt.type_bigint() }}) as cik,
        cast(taxonomy as {{ dbt.type_string() }}) as taxonomy,
        cast(concept as {{ dbt.type_string() }}) as concept,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(value as double precision) as fact_value,
        cast(accession_number as {{ dbt.type_string() }}) as accession_number,
        cast(fiscal_year as {{ dbt.type_int() }}) as filing_fiscal_year,
        cast(fiscal_period as {{ dbt.type_string() }}) as filing_fiscal_period,
        cast(form as {{ dbt.type_string() }}) as form,
        cast(filed as date) as filed_date,
        cast(frame as {{ dbt.type_string() }}) as calendar_frame,
        cast(available_at as {{ dbt.type_timestamp() }}) as available_at,
        cast(load_id as {{ dbt.type_string() }}) as load_id
    from source

),

deduplicated as (

    select
        *,
        row_number() over (
            partition by
                cik, taxonomy, concept, unit, period_start, period_end, accession_number
            order by available_at, load_id
        ) as copy_number
    from renamed

),

final as (

    select
        {{ fundamentals_key(['cik', 'taxonomy', 'concept', 'unit', 'period_start',
                             'period_end', 'accession_number']) }} as fact_key,
        cik,
        taxonomy,
        concept,
        unit,
        period_start,
        period_end,
        fact_value,
        accession_number,
        filing_fiscal_year,
        filing_fiscal_period,
        form,
        filed_date,
        calendar_frame,
        available_at,
        load_id
    from deduplicated
    where copy_number = 1

)

select * from final
