"""The synthetic panel the evaluation benchmark times, and the benchmark's warehouse slice run
through the Dagster assets (tiny sizes)."""

from __future__ import annotations

import numpy as np
import polars as pl

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect
from factor_models.evaluation.synthetic import synthetic_panel, year_slices
from orchestration.defs.evaluation.bench import run_assets, write_slice


def test_panel_has_the_marts_shape():
    panel = synthetic_panel(symbols=200, days=800, factors=40, seed=3)  # 33 technical first
    traded = panel.traded
    assert traded.shape == (800, 200)
    assert 0.7 < traded.mean() < 0.98  # late listings, delistings, a few missing bars
    first_bar = traded.argmax(axis=0)
    assert (first_bar > 0).sum() > 10  # some names list during the panel
    for i, spec in enumerate(panel.specs):
        values = panel.factor(i)
        assert not (np.isfinite(values) & ~traded).any()  # values only where a name traded
        # No value before a name has traded for the factor's lookback.
        warm = np.cumsum(traded, axis=0) <= spec.lookback
        assert not np.isfinite(values[warm]).any(), spec.name
        distinct = np.unique(values[np.isfinite(values)]).size
        if spec.coarse:
            assert distinct < 60, spec.name  # ties on every date
    quarterly = next(i for i, s in enumerate(panel.specs) if s.quarterly)
    values = panel.factor(quarterly)
    # A quarterly value changes about once every 63 sessions per name.
    changes = np.nansum(np.diff(values, axis=0) != 0, axis=0)
    assert np.median(changes[np.isfinite(values).sum(axis=0) > 300]) < 800 / 40


def test_year_slices_cover_every_session_once():
    panel = synthetic_panel(symbols=5, days=600, factors=1)
    slices = list(year_slices(panel.dates))
    assert slices[0][0] == 0 and slices[-1][1] == 600
    assert all(end == nxt for (_, end), (nxt, _) in zip(slices, slices[1:], strict=False))
    years = {panel.dates[a].astype("datetime64[Y]") for a, _ in slices}
    assert len(years) == len(slices)


def test_slice_runs_through_the_evaluation_assets(tmp_path):
    path = tmp_path / "slice.duckdb"
    written = write_slice(path, symbols=30, days=400, factors=5, seed=2)
    assert written["value_rows"] > 0
    timings = run_assets(path)
    assert set(timings["steps"]) == {"marts__fct_forward_returns", "factor_evaluation",
                                     "marts__fct_factor_redundancy"}
    with connect(Settings(backend=Backend.duckdb, duckdb_path=path)) as wh:
        evaluation = wh.query("SELECT factor, horizon, coverage FROM marts.fct_factor_eval")
        stored = wh.query("SELECT count(*) AS n FROM marts.fct_factor_values")["n"][0]
        redundancy = wh.query("SELECT count(*) AS n FROM marts.fct_factor_redundancy")["n"][0]
    assert stored == written["value_rows"]
    assert evaluation.height == 5 * 3
    assert evaluation.filter(pl.col("coverage") > 0).height == 5 * 3
    assert redundancy == 5 * 5
