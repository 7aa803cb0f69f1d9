-- One row per macro series: FRED's current metadata.
select
    series_id,
    title,
    frequency,
    units,
    seasonal_adjustment,
    observation_start,
    observation_end,
    last_updated,
    notes
from {{ ref('stg_fred__series') }}
