"""Test inputs for the macro and cross-source families, in the fct_macro_asof shape.

The real sample bundle (data/sample/fred) read with the real FRED adapter, and an as-of
reshaping of its single-vintage series (each observation has one release; the bundle's GDP,
the only multi-vintage series, is left out), valued on NYSE sessions: on session t, the newest
observation released on or before t, its change / pct_change from the previous observation and
yoy from the observation a year earlier (within 10 days), as fct_macro_asof computes them.
Series the sample lacks can be added as seeded random walks with a publication lag.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
import polars as pl

from factor_mart.settings import SAMPLE_DIR
from factor_models.inputs import FactorInputs
from factor_models.macro.panel import MACRO_SCHEMA
from ingestion import fred
from ingestion.synthetic.calendar import trading_days

SAMPLE_SERIES = ("DGS2", "DGS10", "DGS30", "T10Y2Y", "T5YIE", "T10YIE", "DTWEXBGS", "FEDFUNDS",
                 "CPIAUCSL", "CPILFESL", "PCEPILFE", "UNRATE", "PAYEMS", "ICSA", "INDPRO", "M2SL",
                 "ANFCI", "STLFSI4", "GDPC1")


@cache
def sample_observations() -> pl.DataFrame:
    """Every observation row of the sample's single-vintage series (the adapter's rows)."""
    client = fred.ReplayClient(SAMPLE_DIR / "fred")
    rows = pl.concat([fred.fetch(client, s)[1].rows for s in SAMPLE_SERIES])
    assert not rows.select(pl.struct("series_id", "observation_date").is_duplicated().any()).item()
    return rows.select("series_id", "observation_date", "value", "realtime_start")


def sessions(start: date, end: date) -> pl.DataFrame:
    return pl.DataFrame({"date": trading_days(start, end)}).with_columns(pl.col("date")
                                                                         .cast(pl.Date))


def asof_panel(observations: pl.DataFrame, days: pl.DataFrame) -> pl.DataFrame:
    """The fct_macro_asof panel (FactorInputs.macro columns) for single-vintage observations."""
    released = observations.drop_nulls("value").sort("series_id", "observation_date")
    year_ago = released.select("series_id", pl.col("observation_date").alias("ya_date"),
                               pl.col("value").alias("year_ago"))
    released = (
        released.with_columns(previous=pl.col("value").shift(1).over("series_id"),
                              target=pl.col("observation_date").dt.offset_by("-1y"))
        .sort("target")
        .join_asof(year_ago.sort("ya_date"), left_on="target", right_on="ya_date",
                   by="series_id", strategy="backward", tolerance=timedelta(days=9),
                   check_sortedness=False)
        .sort("realtime_start")
    )
    grid = days.join(released.select(pl.col("series_id").unique()), how="cross").sort("date")
    panel = grid.join_asof(released, left_on="date", right_on="realtime_start", by="series_id",
                           strategy="backward", check_sortedness=False
                           ).drop_nulls("observation_date")
    return panel.select(
        "series_id", "date", "value", "observation_date", first_release=pl.col("value"),
        change=pl.col("value") - pl.col("previous"),
        pct_change=pl.col("value") / pl.col("previous") - 1.0,
        yoy=pl.col("value") / pl.col("year_ago") - 1.0,
    ).cast(MACRO_SCHEMA).sort("series_id", "date")


def random_series(series_id: str, start: date, end: date, *, every: str, lag_days: int,
                  level: float, step: float, seed: int) -> pl.DataFrame:
    """A seeded random walk observed `every` ("1d", "1w", "1mo") and released `lag_days` later."""
    observed = pl.date_range(start, end, every, eager=True)
    if every == "1d":
        observed = observed.filter(observed.dt.weekday() <= 5)
    walk = level + np.cumsum(np.random.default_rng(seed).normal(0.0, step, observed.len()))
    return pl.DataFrame({"series_id": series_id, "observation_date": observed, "value": walk,
                         "realtime_start": observed + timedelta(days=lag_days)})


def recession_flags(start: date, end: date) -> pl.DataFrame:
    """A monthly 0/1 series (a made-up recession in 2016) published on the first of next month."""
    months = pl.date_range(start, end, "1mo", eager=True)
    flags = ((months >= date(2016, 2, 1)) & (months <= date(2016, 9, 1))).cast(pl.Float64)
    return pl.DataFrame({"series_id": "USREC", "observation_date": months, "value": flags,
                         "realtime_start": months.dt.offset_by("1mo")})


def missing_series(start: date, end: date) -> pl.DataFrame:
    """Stand-ins for the series the sample cannot redistribute (made up, seeded)."""
    return pl.concat([
        random_series("DGS3MO", start, end, every="1d", lag_days=1, level=1.0, step=0.02, seed=1),
        random_series("BAMLC0A0CM", start, end, every="1d", lag_days=1, level=1.2, step=0.02,
                      seed=2),
        random_series("BAMLH0A0HYM2", start, end, every="1d", lag_days=1, level=4.0, step=0.05,
                      seed=3),
        random_series("VIXCLS", start, end, every="1d", lag_days=1, level=18.0, step=0.5, seed=4),
        random_series("CFNAI", start, end, every="1mo", lag_days=53, level=0.0, step=0.2, seed=5),
        recession_flags(start, end),
    ])


def full_panel(start: date, end: date, history_from: date = date(2009, 1, 1)) -> pl.DataFrame:
    """The sample's series plus the made-up stand-ins, valued on the sessions start..end."""
    observations = pl.concat([sample_observations(),
                              missing_series(history_from, end)]).filter(
        pl.col("observation_date") <= end)
    return asof_panel(observations, sessions(start, end))


def empty_inputs(macro: pl.DataFrame) -> FactorInputs:
    """FactorInputs carrying only a macro panel (the macro family reads nothing else)."""
    bars = pl.DataFrame(schema={"symbol": pl.String, "date": pl.Date, "open": pl.Float64,
                                "high": pl.Float64, "low": pl.Float64, "close": pl.Float64,
                                "volume": pl.Float64})
    fundamentals = pl.DataFrame(schema={"symbol": pl.String, "metric": pl.String,
                                        "period_kind": pl.String, "period_end": pl.Date,
                                        "known_from": pl.Date, "value": pl.Float64,
                                        "ttm_value": pl.Float64})
    securities = pl.DataFrame(schema={"symbol": pl.String, "cik": pl.String, "sector": pl.String})
    return FactorInputs(bars=bars, fundamentals=fundamentals, macro=macro, securities=securities)


def assert_identical(ours: pl.Series, reference: pl.Series) -> None:
    """Same nulls, same values (NaN-aware, to rounding)."""
    a, b = ours.to_numpy().astype(float), reference.to_numpy().astype(float)
    assert np.array_equal(np.isnan(a), np.isnan(b)), f"{ours.name}: null rows differ"
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
