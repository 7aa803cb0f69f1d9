{#- The price models (int_prices_adjustment_factors, int_prices_bad_bars, int_corporate_actions,
    int_prices_adjusted, fct_prices_daily) are incremental by symbol and date: an incremental run
    recomputes, for each symbol in int_prices__recompute, the rows after its `recompute_after`
    date (every row of the symbol when that is null) and keeps the others. Every value of these
    models depends on its own symbol's bars only, through one-row lags, the adjustment factor
    carried back from the next observed day and divided by the newest one, and the splits after
    the day; int_prices__recompute names the dates up to which none of these can have changed,
    so the recomputed rows are what a full rebuild gives. -#}

{#- An inner join keeping the rows to recompute: those after the symbol's recompute_after (at or
    after it with `with_context`: the row before the first recomputed one, which lags read), every
    row of a symbol without one; nothing on a full build. A join, not a correlated EXISTS: DuckDB
    runs the EXISTS as a 20x slower nested plan. Select `alias.*` from the joined relation. The
    ref is taken outside the branch so dbt records the dependency when it parses. Unit tests
    (always a full build) have no such input. -#}
{% macro prices_to_recompute(symbol_column, date_column, with_context=false) -%}
    {%- if not (execute and model.resource_type == 'unit_test') -%}
        {%- set recompute = ref('int_prices__recompute') -%}
        {%- if is_incremental() -%}
            inner join {{ recompute }} as recompute
                on
                    {{ symbol_column }} = recompute.symbol
                    and {{ date_column }} {{ '>=' if with_context else '>' }} coalesce(
                        recompute.recompute_after, cast('0001-01-01' as date)
                    )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the price models: an incremental run first deletes the rows it recomputes (rows
    that a recomputation no longer produces, such as a bar no longer judged bad, go too); the
    model then appends the recomputed rows. -#}
{% macro prices_delete_recomputed(date_column) -%}
    {%- if execute and is_incremental() -%}
        {%- set recompute = ref('int_prices__recompute') -%}
        delete from {{ this }}
        using {{ recompute }} as recompute
        where
            {{ this.identifier }}.symbol = recompute.symbol
            and {{ this.identifier }}.{{ date_column }} > coalesce(
                recompute.recompute_after, cast('0001-01-01' as date)
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The ledger of the incremental price models (int_prices__processed_loads), or none when every
    symbol must be recomputed: it does not exist yet, or this is a --full-refresh. Looked up
    rather than ref'd: the ledger is written after the models that read this (a ref would be a
    cycle). -#}
{% macro prices_processed_loads() -%}
    {{ return(prices_previous('int_prices__processed_loads')) }}
{%- endmacro %}

{#- A price model as the previous build left it (int_prices__recompute compares the new bars
    with it), or none on a --full-refresh or when it does not exist. -#}
{% macro prices_previous(identifier) -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=target.database, schema='intermediate', identifier=identifier)) }}
{%- endmacro %}

{#- IB's adjustment factor observed on a day: ADJUSTED_LAST close over TRADES close. -#}
{% macro prices_observed_factor(close_price, adjusted_close) -%}
    case
        when {{ close_price }} > 0 and {{ adjusted_close }} > 0
            then {{ adjusted_close }} / {{ close_price }}
    end
{%- endmacro %}
