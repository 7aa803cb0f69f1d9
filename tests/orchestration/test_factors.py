"""The factor assets materialized on a small synthetic universe, on DuckDB and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import dagster as dg
import numpy as np
import polars as pl
import pytest

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect
from factor_mart.warehouse.scratch import scratch_database
from factor_models.catalog import catalog_frame
from factor_models.technical import compute_technical
from orchestration.definitions import build_definitions
from orchestration.defs.daily.definitions import after_close_config
from orchestration.defs.factors.assets import first_day_to_compute
from orchestration.defs.factors.checks import no_dates_after_latest_bar
from orchestration.defs.factors.quality import redundant_with, spearman_pairwise
from orchestration.lib.partitions import month_key
from orchestration.lib.resources import WarehouseResource
from tests.orchestration.factor_sample import (
    LAST_BAR,
    build,
    copy_of,
    duckdb_sample,
    sample_settings,
)
from tests.postgres import PG_ADMIN_DSN, require_postgres

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
CHECKED = [(date(2024, 6, 14), "rsi_14"), (date(2025, 6, 2), "ret_21d"),
           (date(2025, 6, 2), "beta_mkt_252d"), (date(2025, 12, 31), "macd_hist")]
WINDOW_DAY, NEIGHBOUR = date(2025, 6, 2), date(2025, 5, 30)  # neighbour: the month before
MISSED_DAY, DAY = date(2025, 6, 10), date(2025, 6, 16)  # a session without values, the run's day


@pytest.fixture(scope="module")
def postgres_sample() -> Iterator[Settings]:
    """The sample built into a fresh PostgreSQL database (skips without a server, except CI)."""
    require_postgres()
    with scratch_database(PG_ADMIN_DSN, "fm_test") as dsn:
        yield build(sample_settings(Backend.postgres, postgres_dsn=dsn))


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def sample(request, tmp_path_factory) -> Settings:
    """A built sample per backend that this module may write to."""
    if request.param == "duckdb":
        return copy_of(duckdb_sample(), tmp_path_factory.mktemp("factors"))
    return request.getfixturevalue("postgres_sample")


def query(settings: Settings, sql: str) -> pl.DataFrame:
    with connect(settings) as wh:
        return wh.query(sql)


def stored(settings: Settings, day: date, factor: str) -> pl.DataFrame:
    return query(settings, "select symbol, raw, z, rank from marts.fct_factor_values "
                           f"where date = '{day}' and factor = '{factor}' order by symbol")


def test_stored_values_equal_a_direct_technical_computation(sample):
    bars = query(sample, "select symbol, trading_date as date, adjusted_open as open, "
                         "adjusted_high as high, adjusted_low as low, adjusted_close as close, "
                         "adjusted_volume as volume from marts.fct_prices_daily")
    expected = compute_technical(bars)
    for day, factor in CHECKED:
        ours = stored(sample, day, factor)
        theirs = (expected.filter(pl.col("date") == day).drop_nulls(factor)
                  .select("symbol", factor).sort("symbol"))
        assert ours.height == theirs.height >= 5, (day, factor)
        assert ours["symbol"].to_list() == theirs["symbol"].to_list()
        np.testing.assert_allclose(ours["raw"].to_numpy(), theirs[factor].to_numpy(), rtol=1e-9)
        # The rank is the percentile of the raw value within the date's cross-section.
        expected_rank = theirs[factor].rank("average") / theirs.height
        np.testing.assert_allclose(ours["rank"].to_numpy(), expected_rank.to_numpy(), rtol=1e-12)


def test_every_family_lands_and_nothing_is_dated_after_the_last_bar(sample):
    families = query(sample, "select d.family, count(distinct v.factor) as factors, "
                             "max(v.date) as last_date from marts.fct_factor_values v join "
                             "marts.dim_factor d on d.factor = v.factor group by d.family")
    assert set(families["family"]) == {"technical", "fundamental", "cross_source"}
    assert families["last_date"].max() == LAST_BAR
    macro = query(sample, "select count(distinct factor) as n, max(date) as d "
                          "from marts.fct_macro_series")
    assert macro["n"][0] > 10 and macro["d"][0] <= LAST_BAR
    regime = query(sample, "select count(*) as n from marts.fct_macro_regime "
                           "where regime is not null")
    assert regime["n"][0] > 0


def test_coverage_counts_values_against_the_days_universe(sample):
    day = WINDOW_DAY
    coverage = query(sample, "select factor, symbols, universe, coverage from "
                             f"marts.fct_factor_coverage where date = '{day}'")
    values = query(sample, "select factor, count(*) as n from marts.fct_factor_values "
                           f"where date = '{day}' group by factor")
    universe = query(sample, "select count(distinct symbol) as n from marts.fct_prices_daily "
                             f"where trading_date = '{day}'")["n"][0]
    stock_factors = query(sample, "select count(*) as n from marts.dim_factor "
                                  "where family <> 'macro'")["n"][0]
    assert coverage.height == stock_factors
    assert set(coverage["universe"].to_list()) == {universe}
    joined = coverage.join(values, on="factor", how="left").with_columns(pl.col("n").fill_null(0))
    assert joined.filter(pl.col("symbols") != pl.col("n")).is_empty()
    np.testing.assert_allclose(joined["coverage"], joined["symbols"] / universe)


def test_dim_factor_marks_a_mirror_factor_redundant(sample):
    flags = query(sample, "select factor, redundant_with, mean_rank_corr from marts.dim_factor")
    by_name = {r["factor"]: r for r in flags.iter_rows(named=True)}
    # strev_21d is minus ret_21d: perfectly anti-correlated ranks, so it is marked; the first
    # factor of the catalog never can be.
    assert by_name["strev_21d"]["redundant_with"] == "ret_21d"
    assert by_name["strev_21d"]["mean_rank_corr"] == pytest.approx(-1.0)
    assert by_name[flags["factor"][0]]["redundant_with"] is None
    assert by_name["rsi_14"]["redundant_with"] is None


def test_dim_factor_averages_the_rank_correlations_of_each_month_end(sample):
    # The definition, straight from the stored ranks: each month's last session with values.
    ranks = query(sample, "select v.date, v.symbol, v.factor, v.rank "
                          "from marts.fct_factor_values as v inner join ("
                          "select max(date) as date from marts.fct_factor_coverage "
                          "where symbols > 0 group by extract(year from date), "
                          "extract(month from date)) as m on v.date = m.date "
                          "where v.rank is not null")
    factors = catalog_frame()["factor"].to_list()
    total = np.zeros((len(factors), len(factors)))
    count = np.zeros_like(total)
    for _, day in ranks.group_by("date"):
        wide = day.pivot(on="factor", index="symbol", values="rank")
        matrix = spearman_pairwise(np.column_stack([
            wide[f].cast(pl.Float64).fill_null(np.nan).to_numpy() if f in wide.columns
            else np.full(wide.height, np.nan) for f in factors]))
        seen = np.isfinite(matrix)
        total[seen] += matrix[seen]
        count[seen] += 1
    with np.errstate(invalid="ignore"):
        expected = redundant_with(np.where(count > 0, total / np.maximum(count, 1), np.nan),
                                  factors)
    stored = query(sample, "select factor, redundant_with, mean_rank_corr from marts.dim_factor")
    joined = expected.join(stored, on="factor", suffix="_stored")
    assert joined.height == len(factors) and expected.drop_nulls("redundant_with").height > 0
    assert joined["redundant_with"].to_list() == joined["redundant_with_stored"].to_list()
    np.testing.assert_allclose(joined["mean_rank_corr"].fill_null(np.nan).to_numpy(),
                               joined["mean_rank_corr_stored"].fill_null(np.nan).to_numpy(),
                               rtol=1e-12, equal_nan=True)


def test_wide_view_shows_raw_values(sample):
    wide = query(sample, "select symbol, rsi_14, ret_21d from marts.factors_technical_wide "
                         f"where date = '{WINDOW_DAY}' order by symbol")
    long = stored(sample, WINDOW_DAY, "rsi_14")
    assert wide["symbol"].to_list() == long["symbol"].to_list()
    np.testing.assert_allclose(wide["rsi_14"].to_numpy(), long["raw"].to_numpy())
    for family in ("fundamental", "cross_source"):
        assert query(sample, f"select count(*) as n from marts.factors_{family}_wide")["n"][0] > 0


def test_a_month_run_rewrites_only_its_month(sample):
    table = "marts.fct_factor_values"
    before = query(sample, f"select date, symbol, factor, raw, z from {table} "
                           f"where date in ('{WINDOW_DAY}', '{NEIGHBOUR}')")
    with connect(sample) as wh:
        wh.execute(f"update {table} set raw = -999 where date in ('{WINDOW_DAY}', '{NEIGHBOUR}')")
    defs = build_definitions(sample)
    result = defs.resolve_job_def("factors_job").execute_in_process(
        partition_key=month_key(WINDOW_DAY), instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET, asset_selection=[dg.AssetKey(["marts", "fct_factor_values"])])
    assert result.success
    after = query(sample, f"select date, symbol, factor, raw, z from {table} "
                          f"where date in ('{WINDOW_DAY}', '{NEIGHBOUR}')")
    untouched = after.filter(pl.col("date") == NEIGHBOUR)
    assert untouched.height > 0 and (untouched["raw"] == -999).all()
    # The month recomputed from warm-up history equals the full-history backfill's values.
    key = ["date", "symbol", "factor"]
    redone = after.filter(pl.col("date") == WINDOW_DAY).sort(key)
    original = before.filter(pl.col("date") == WINDOW_DAY).sort(key)
    assert redone.select(key).equals(original.select(key))
    np.testing.assert_allclose(redone["raw"].to_numpy(), original["raw"].to_numpy(), rtol=1e-9,
                               atol=1e-12)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"no_dates_after_latest_bar": True, "scores_finite": True,
                      "coverage_not_collapsed": True}


def test_the_after_close_run_computes_the_day_and_any_missed_session_of_its_month(sample):
    """Its config (from the schedule) names the day: the month's earlier sessions keep their
    values, except one without values (a missed run), from which the month is computed."""
    table, month = "marts.fct_factor_values", month_key(DAY)
    june = f"date between '{WINDOW_DAY}' and '2025-06-30'"
    before = query(sample, f"select date, symbol, factor, raw, z from {table} where {june}")
    with connect(sample) as wh:
        wh.execute(f"update {table} set raw = -999 where {june}")
        for missed in (table, "marts.fct_factor_coverage"):
            wh.execute(f"delete from {missed} where date = '{MISSED_DAY}'")
        # The month's last session so far, as an earlier run of the month left it.
        wh.execute("insert into marts.fct_factor_rank_corr (date, factor_a, factor_b, rank_corr) "
                   "select date '2025-06-09', factor_a, factor_b, rank_corr "
                   "from marts.fct_factor_rank_corr where date = '2025-06-30'")
    defs = build_definitions(sample)
    result = defs.resolve_job_def("factors_job").execute_in_process(
        partition_key=month, instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET | after_close_config(DAY),
        asset_selection=[dg.AssetKey(["marts", "fct_factor_values"])])
    assert result.success
    [materialization] = result.asset_materializations_for_node("marts__fct_factor_values")
    assert materialization.metadata["window"].value == f"{MISSED_DAY} .. 2025-06-30"
    after = query(sample, f"select date, symbol, factor, raw, z from {table} where {june}")
    kept = after.filter(pl.col("date") < MISSED_DAY)
    assert kept.height > 0 and (kept["raw"] == -999).all()
    key = ["date", "symbol", "factor"]
    redone = after.filter(pl.col("date") >= MISSED_DAY).sort(key)
    original = before.filter(pl.col("date") >= MISSED_DAY).sort(key)
    assert redone.select(key).equals(original.select(key))
    np.testing.assert_allclose(redone["raw"].to_numpy(), original["raw"].to_numpy(), rtol=1e-9,
                               atol=1e-12)
    # One rank correlation date a month: the run's last session replaced the earlier one.
    ends = query(sample, "select distinct date from marts.fct_factor_rank_corr "
                         f"where {june}")["date"].to_list()
    assert ends == [date(2025, 6, 30)]


def test_a_day_outside_the_partition_is_refused(sample):
    with connect(sample) as wh, pytest.raises(dg.Failure, match="outside the partition"):
        first_day_to_compute(wh, date(2025, 6, 1), date(2025, 6, 30), date(2025, 7, 1))


def test_a_value_after_the_latest_bar_fails_its_check(tmp_path):
    settings = Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "w.duckdb")
    with connect(settings) as wh:
        wh.execute("create schema marts")
        wh.execute("create table marts.fct_prices_daily (trading_date date)")
        wh.execute("insert into marts.fct_prices_daily values ('2025-12-30'), ('2025-12-31')")
        wh.execute("create table marts.fct_factor_values (date date, factor varchar)")
        wh.execute("insert into marts.fct_factor_values values ('2025-12-31', 'a'), "
                   "('2026-01-02', 'a'), ('2026-01-02', 'b')")
    check = no_dates_after_latest_bar(WarehouseResource.from_settings(settings))
    assert not check.passed and check.metadata["future_rows"].value == 2
    with connect(settings) as wh:
        wh.execute("delete from marts.fct_factor_values where date > '2025-12-31'")
    assert no_dates_after_latest_bar(WarehouseResource.from_settings(settings)).passed
