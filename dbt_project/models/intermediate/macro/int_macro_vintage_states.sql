{{ config(indexes=postgres_indexes([{'columns': ['series_id', 'vintage_date']}])) }}
-- What a series looked like on each of its vintage dates: the newest observation released so far,
-- its value in that vintage, its first release, and change / % change / year-over-year computed
-- from the previous and year-ago observations *as that same vintage states them*.
-- Between two vintage dates nothing changes, so the trading-day panel is an as-of join on this.
with vintages as (
    select * from {{ ref('int_macro_vintages') }}
),

vintage_releases as (
    select
        series_id,
        realtime_start as vintage_date,
        max(case when value is not null then observation_date end) as newest_observation_in_release
    from vintages
    group by series_id, realtime_start
),

vintage_dates as (
    select
        series_id,
        vintage_date,
        -- Observations are only ever added at the end; an observation withdrawn later ('.') keeps
        -- its date here and gets a null value below.
        max(newest_observation_in_release) over (
            partition by series_id order by vintage_date
            rows between unbounded preceding and current row
        ) as observation_date
    from vintage_releases
),

observation_dates as (
    select distinct
        series_id,
        observation_date
    from vintages
    where value is not null
),

observation_sweep as (
    -- Each observation date sorted together with its year-ago target date: running maxima of
    -- the real dates give the previous observation (at a real row) and the latest observation
    -- on or before the target (at a target row) in one sort, with no range join.
    select
        series_id,
        observation_date as sort_date,
        1 as sort_order,
        observation_date as real_date,
        observation_date
    from observation_dates
    union all
    select
        series_id,
        cast(observation_date - interval '1 year' as date) as sort_date,
        2 as sort_order,
        cast(null as date) as real_date,
        observation_date
    from observation_dates
),

swept as (
    select
        series_id,
        observation_date,
        sort_order,
        sort_date,
        max(real_date) over (
            partition by series_id order by sort_date, sort_order
            rows between unbounded preceding and 1 preceding
        ) as latest_real_date_before,
        max(real_date) over (
            partition by series_id order by sort_date, sort_order
            rows between unbounded preceding and current row
        ) as latest_real_date_upto
    from observation_sweep
),

observation_sequence as (
    -- The year-ago observation is the latest on or up to 10 days before the same date a year
    -- earlier: exact for monthly and quarterly series, the nearest prior print for daily/weekly.
    select
        series_id,
        observation_date,
        max(case when sort_order = 1 then latest_real_date_before end)
            as previous_observation_date,
        max(
            case
                when sort_order = 2 and latest_real_date_upto > sort_date - 10
                    then latest_real_date_upto
            end
        ) as year_ago_observation_date
    from swept
    group by series_id, observation_date
),

states as (
    select
        vintage_dates.series_id,
        vintage_dates.vintage_date,
        vintage_dates.observation_date,
        observation_sequence.previous_observation_date,
        observation_sequence.year_ago_observation_date
    from vintage_dates
    inner join observation_sequence
        on
            vintage_dates.series_id = observation_sequence.series_id
            and vintage_dates.observation_date = observation_sequence.observation_date
),

valued as (
    select
        states.series_id,
        states.vintage_date,
        states.observation_date,
        states.previous_observation_date,
        states.year_ago_observation_date,
        latest.first_release_value,
        latest.first_release_date,
        case
            when latest.realtime_end is null or latest.realtime_end >= states.vintage_date
                then latest.value
        end as value,
        case
            when previous.realtime_end is null or previous.realtime_end >= states.vintage_date
                then previous.value
        end as previous_value,
        case
            when year_ago.realtime_end is null or year_ago.realtime_end >= states.vintage_date
                then year_ago.value
        end as year_ago_value
    from states
    {{ asof_left_join(ref('int_macro_vintages'), 'latest',
        [['states.series_id', 'series_id'], ['states.observation_date', 'observation_date']],
        'states.vintage_date', 'realtime_start') }}
    {{ asof_left_join(ref('int_macro_vintages'), 'previous',
        [['states.series_id', 'series_id'],
         ['states.previous_observation_date', 'observation_date']],
        'states.vintage_date', 'realtime_start') }}
    {{ asof_left_join(ref('int_macro_vintages'), 'year_ago',
        [['states.series_id', 'series_id'],
         ['states.year_ago_observation_date', 'observation_date']],
        'states.vintage_date', 'realtime_start') }}
),

final as (
    select
        series_id,
        vintage_date,
        observation_date,
        value,
        first_release_value,
        first_release_date,
        previous_observation_date,
        previous_value,
        value - previous_value as change,
        value / nullif(previous_value, 0) - 1 as pct_change,
        year_ago_observation_date,
        year_ago_value,
        value - year_ago_value as yoy_change,
        value / nullif(year_ago_value, 0) - 1 as yoy_pct_change
    from valued
)

select * from final
