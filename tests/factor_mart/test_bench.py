"""`factor-mart bench`: the TA-Lib reference engine, the increment comparison, and a tiny run."""

from __future__ import annotations

import io
import json
from datetime import date

import polars as pl
import pytest
from rich.console import Console

from factor_mart.bench import increment
from factor_mart.bench.report import print_results, write_json
from factor_mart.bench.runner import BenchConfig, run_bench
from factor_mart.bench.technical import TOLERANCE, compare, pandas_talib, synthetic_bars
from factor_mart.settings import Settings
from factor_models.technical import compute_technical

pytest.importorskip("talib")

# TA-Lib's MFI counts a typical-price change within ~1e-14 of zero as no change; ours counts
# its sign (factor_models/technical/indicators.py: money_flow_index), so the two part on
# float-noise ties, which the synthetic generator's cent-rounded prices produce.
KNOWN_TALIB_DIFFERENCES = {"mfi_14"}


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    return synthetic_bars(symbols=6, years=2, seed=3)


def test_pandas_talib_engine_agrees_with_ours(bars):
    result = compare(compute_technical(bars), pl.from_pandas(pandas_talib(bars.to_pandas())))
    assert result["rows_compared"] == bars.height
    assert len(result["factors"]) == 33
    differing = {f for f, r in result["factors"].items() if r["max_rel"] > TOLERANCE}
    assert differing <= KNOWN_TALIB_DIFFERENCES
    # Every factor is compared on most rows: TA-Lib withholds values only during warm-up.
    assert all(r["both"] > 0.4 * bars.height for r in result["factors"].values())
    assert result["only_talib"] == 0


def test_compare_catches_a_wrong_value(bars):
    ours = compute_technical(bars)
    wrong = ours.with_columns(pl.when(pl.col("date") == pl.col("date").max())
                              .then(pl.col("rsi_14") + 0.5).otherwise(pl.col("rsi_14"))
                              .alias("rsi_14"))
    result = compare(ours, wrong)
    assert result["factors"]["rsi_14"]["max_abs"] == pytest.approx(0.5)
    assert result["factors"]["ret_1d"]["max_abs"] == 0.0


def _factor_rows(values: list[float | None]) -> pl.DataFrame:
    day = date(2025, 12, 31)
    return pl.DataFrame({"date": [day] * len(values), "symbol": [f"S{i}" for i in
                                                                 range(len(values))],
                         "factor": ["f"] * len(values), "raw": values, "z": values,
                         "rank": values, "sector_z": values})


def test_a_kept_build_is_restored_only_for_its_universe(tmp_path):
    settings = Settings(duckdb_path=tmp_path / "full.duckdb")
    universe = {"symbols": 12, "years": 2, "seed": 5}
    assert not increment.restore_build(tmp_path, settings, universe)  # nothing kept
    settings.duckdb_path.write_bytes(b"the full build")
    increment.keep_build(tmp_path, settings, universe)
    settings.duckdb_path.write_bytes(b"rolled back, the day added again")
    assert not increment.restore_build(tmp_path, settings, universe | {"seed": 6})
    assert settings.duckdb_path.read_bytes() == b"rolled back, the day added again"
    assert increment.restore_build(tmp_path, settings, universe)
    assert settings.duckdb_path.read_bytes() == b"the full build"


def test_increment_differences():
    full = _factor_rows([1.0, 2.0, None])
    assert increment.differences(full, full)["equal"]
    changed = increment.differences(_factor_rows([1.0, 2.0 + 1e-6, None]), full)
    assert not changed["equal"] and changed["columns"]["raw"]["rows"] == 1
    assert not increment.differences(full.head(2), full)["equal"]
    big = _factor_rows([4.2e9, 2.0, None])  # a market value: its last bit is ~1e-6
    assert increment.differences(_factor_rows([4.2e9 + 9.5e-7, 2.0, None]), big)["equal"]
    assert not increment.differences(_factor_rows([4.2e9 + 10.0, 2.0, None]), big)["equal"]
    assert not increment.differences(full.head(0), full.head(0))["equal"]  # nothing built


@pytest.mark.slow
def test_tiny_bench_end_to_end(tmp_path):
    # Two years: every factor (the longest look back 252 sessions) has values to evaluate.
    results = run_bench(BenchConfig(symbols=12, years=2, seed=5,
                                    stages=("duckdb", "increment", "technical"),
                                    keep=tmp_path), progress=lambda _: None)
    assert (tmp_path / "full.duckdb").exists() and (tmp_path / "full-reference.duckdb").exists()
    build = results["duckdb"]
    assert build["failed_job"] is None, build["stages"][-1].get("failed")
    # The sources, then the after-close run over every month: bars, dbt, factors, publish.
    assert [s["job"] for s in build["stages"]] == ["edgar_job", "fred_job", "after_close_job"]
    after_close = build["stages"][-1]
    assert after_close["partitions"] == 24
    assert {"land_ibkr", "dbt_models", "marts__fct_factor_values", "marts__mart_versions"} <= set(
        after_close["steps"])
    # Each step's own peak memory, sampled: the factor step holds the panels, the dbt step's
    # sample includes its dbt process.
    peaks = after_close["step_peak_rss_mb"]
    assert set(peaks) == set(after_close["steps"])
    assert 50 < peaks["marts__fct_factor_values"] <= after_close["peak_rss_mb"]
    assert peaks["dbt_models"] > 50
    assert build["factor_compute_seconds"] == pytest.approx(
        after_close["steps"]["marts__fct_factor_values"], abs=0.01)
    # The evaluation runs after the build (as production's nightly job) and is timed apart.
    assert [s["job"] for s in build["after_build"]["stages"]] == ["evaluation_job"]
    assert build["total_seconds"] == pytest.approx(
        sum(s["seconds"] for s in build["stages"]), abs=0.01)
    assert all(s["seconds"] > 0 and s["peak_rss_mb"] > 50 for s in build["stages"])
    # Each stage's wall time in three: the process's start to its run, the run, its exit.
    for stage in build["stages"]:
        assert 0 < stage["loading_seconds"] < stage["seconds"]
        assert 0 < stage["run_seconds"] < stage["seconds"]
        assert stage["loading_seconds"] + stage["run_seconds"] + stage["exit_seconds"] == (
            pytest.approx(stage["seconds"], abs=0.01))
    assert results["sizes"]["raw.ib_bars"] > 0 and results["sizes"]["marts.fct_factor_values"] > 0
    assert "increment" in results, results.get("errors")
    inc = results["increment"]
    assert inc["equals_full_rebuild"] and inc["factor_values"]["rows_full"] > 0
    assert inc["published_through"] == inc["day"]
    # TRADES and ADJUSTED_LAST bars of the symbols still listed on the last day.
    assert 0 < inc["rows_removed"]["raw.ib_bars"] <= 2 * 12
    assert inc["rows_removed"]["marts.fct_factor_values"] == inc["factor_values"]["rows_full"]
    assert inc["factor_compute_seconds"] > 0
    # The after-close run computes the day's factors, not its month's (as its schedule runs it).
    (after_close_run,) = [s for s in inc["stages"] if s["job"] == "after_close_job"]
    assert after_close_run["asset_windows"]["marts/fct_factor_values"].startswith(
        f"{inc['day']} .. ")
    assert after_close["asset_windows"]["marts/fct_factor_values"].startswith(
        results["config"]["first_day"][:7])
    # The day's filers and releases land in one run of the refresh job, an op per source.
    (refreshed,) = [s for s in inc["stages"] if s["job"] == "sources_refresh_job"]
    assert sorted(refreshed["steps"]) == ["refresh_edgar", "refresh_fred"]
    assert 0 < refreshed["partitions"] == (
        len(inc["companies_filed"]) + len(inc["series_released"]))
    tech = results["technical"]
    assert set(tech["differing_factors"]) <= KNOWN_TALIB_DIFFERENCES
    assert tech["speedup"] > 0
    # What the machine was like: cores, load and two timed probes to compare VMs by.
    probes = results["machine_before"]
    assert probes["python_loop_seconds"] > 0 and probes["fresh_memory_seconds_per_gb"] > 0
    printed = io.StringIO()
    print_results(results, Console(file=printed, width=200))
    assert "s/GB (fresh memory)" in printed.getvalue()
    assert "increment equals full rebuild" in printed.getvalue()
    saved = json.loads(write_json(results, tmp_path / "out").read_text())
    assert {t["target"] for t in saved["targets"]} >= {"full build wall (s)",
                                                        "increment equals full rebuild"}
    # The increment again on the kept build, without building: the same day, the same result.
    again = run_bench(BenchConfig(symbols=12, years=2, seed=5, stages=("increment",),
                                  keep=tmp_path), progress=lambda _: None)
    assert "duckdb" not in again and again["increment"]["equals_full_rebuild"]
    assert again["increment"]["factor_values"]["rows_full"] == inc["factor_values"]["rows_full"]

