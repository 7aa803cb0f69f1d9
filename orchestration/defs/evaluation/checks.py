"""Checks on the evaluation: coverage that collapsed, ICs whose sign contradicts the catalog."""

import dagster as dg

from orchestration.defs.evaluation.assets import DIM_FACTOR, EVAL, VALUES, table
from orchestration.lib.resources import WarehouseResource

COLLAPSE_RATIO = 0.5  # latest session's names below half the factor's median: collapsed
FLIP_T_STAT = 2.0  # an IC against the catalog direction counts when it is this significant


@dg.asset_check(asset=EVAL, name="coverage_not_collapsed", additional_deps=[VALUES],
                description="On the latest session every factor covers at least half of its "
                            "median number of names.")
def coverage_not_collapsed(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as wh:
        counts = wh.query(
            f"WITH daily AS (SELECT factor, date, count(*) AS names FROM {table(VALUES)} "
            "WHERE raw IS NOT NULL GROUP BY factor, date), "
            "latest AS (SELECT max(date) AS date FROM daily) "
            "SELECT d.factor, "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY d.names) AS median_names, "
            "coalesce(max(CASE WHEN d.date = l.date THEN d.names END), 0) AS latest_names "
            "FROM daily AS d CROSS JOIN latest AS l GROUP BY d.factor ORDER BY d.factor")
    collapsed = counts.filter(counts["latest_names"] < COLLAPSE_RATIO * counts["median_names"])
    return dg.AssetCheckResult(
        passed=collapsed.is_empty(),
        metadata={"collapsed": dg.MetadataValue.json(
            {r["factor"]: {"latest": int(r["latest_names"]), "median": float(r["median_names"])}
             for r in collapsed.iter_rows(named=True)}),
                  "factors_checked": counts.height})


@dg.asset_check(asset=EVAL, name="ic_sign_matches_direction", additional_deps=[DIM_FACTOR],
                description="No factor's mean rank IC is significantly (|t| > 2) of the sign "
                            "opposite to its catalog direction.")
def ic_sign_matches_direction(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as wh:
        flipped = wh.query(
            f"SELECT e.factor, e.horizon, e.ic_mean, e.t_stat, d.direction FROM {table(EVAL)} "
            f"AS e JOIN {table(DIM_FACTOR)} AS d ON e.factor = d.factor "
            f"WHERE d.direction <> 0 AND sign(e.ic_mean) = -d.direction "
            f"AND abs(e.t_stat) > {FLIP_T_STAT} ORDER BY e.factor, e.horizon")
    return dg.AssetCheckResult(
        passed=flipped.is_empty(), severity=dg.AssetCheckSeverity.WARN,
        metadata={"flipped": dg.MetadataValue.json(
            [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
             for r in flipped.iter_rows(named=True)])})


EVALUATION_CHECKS = [coverage_not_collapsed, ic_sign_matches_direction]
