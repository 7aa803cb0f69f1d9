"""A synthetic panel shaped like the mart at scale, for timing the evaluation without a build.

N symbols x D sessions of cent-rounded prices (sector-correlated random walks; 15% of names list
late, 10% delist, as `ingestion.synthetic` draws them) and F factors modelled on the catalog's
stock-level factors: each has its catalog lookback as warm-up after a name lists, quarterly
factors change once a quarter and miss ~5% of names entirely, daily factors are AR(1) with
persistence 0.98, and every seventh factor is coarse (few distinct values, so many ties).
Values exist only where a name has a bar, as in fct_factor_values.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

SECTORS = 11
COARSE_EVERY = 7


@dataclass(frozen=True)
class FactorSpec:
    """What shapes one synthetic factor's values."""

    name: str
    lookback: int
    quarterly: bool
    coarse: bool
    direction: int


@dataclass(frozen=True)
class Panel:
    """Sessions, symbols with sectors and listing spans, and adjusted closes (NaN off-listing)."""

    dates: np.ndarray  # datetime64[D], sorted
    symbols: list[str]
    sectors: list[str]
    close: np.ndarray  # (dates x symbols)
    specs: list[FactorSpec]
    seed: int

    @property
    def traded(self) -> np.ndarray:
        """Where a name has a bar."""
        return np.isfinite(self.close)

    def prices(self) -> pl.DataFrame:
        """Long prices (date, symbol, close) for the sessions each name traded."""
        return _long(self, {"close": self.close})

    def securities(self) -> pl.DataFrame:
        """Symbol and sector (dim_security's columns the evaluation reads)."""
        return pl.DataFrame({"symbol": self.symbols, "sector": self.sectors})

    def directions(self) -> dict[str, int]:
        """Each factor's catalog direction (dim_factor.direction)."""
        return {s.name: s.direction for s in self.specs}

    def factor(self, index: int) -> np.ndarray:
        """Factor ``index``'s raw values, (dates x symbols), NaN where it has none."""
        spec = self.specs[index]
        rng = np.random.default_rng([self.seed, index])
        days, names = self.close.shape
        if spec.quarterly:  # one new value per name per quarter, on staggered days
            steps = rng.normal(size=(days // 63 + 2, names))
            offset = rng.integers(0, 63, names)
            quarter = (np.arange(days)[:, None] + offset[None, :]) // 63
            values = np.cumsum(steps, axis=0)[quarter, np.arange(names)]
        else:
            shocks = rng.normal(size=(days, names))
            values = np.empty_like(shocks)
            values[0] = shocks[0]
            for t in range(1, days):
                values[t] = 0.98 * values[t - 1] + 0.2 * shocks[t]
        if spec.coarse:
            values = np.round(values * 2)
        traded = self.traded
        listed = np.cumsum(traded, axis=0)  # sessions traded so far, per name
        values[~traded | (listed <= spec.lookback)] = np.nan
        if spec.quarterly:
            values[:, rng.random(names) < 0.05] = np.nan
        return values

    def values(self, indexes: list[int], first: int = 0, end: int | None = None
               ) -> pl.DataFrame:
        """Long values (date, symbol, factor, raw, z, rank) of the factors ``indexes`` on
        sessions [first, end): z is the winsorised (|z| <= 3) cross-sectional z-score, rank
        the percentile rank, as fct_factor_values holds them."""
        frames = []
        for i in indexes:
            raw = self.factor(i)[first:end]
            frames.append(_long(self, {"raw": raw, "z": _winsorised_z(raw),
                                       "rank": _percentile_rank(raw)}, first)
                          .with_columns(factor=pl.lit(self.specs[i].name)))
        return pl.concat(frames).select("date", "symbol", "factor", "raw", "z", "rank")


def _long(panel: Panel, columns: dict[str, np.ndarray], first: int = 0) -> pl.DataFrame:
    rows, names = next(iter(columns.values())).shape
    present = np.isfinite(next(iter(columns.values())))
    r, c = np.nonzero(present)
    return pl.DataFrame({
        "date": panel.dates[first:first + rows][r],
        "symbol": pl.Series(panel.symbols, dtype=pl.String).gather(c),
        **{k: v[r, c] for k, v in columns.items()},
    })


def _winsorised_z(raw: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # dates without a value
        mean = np.nanmean(raw, axis=1, keepdims=True)
        std = np.nanstd(raw, axis=1, ddof=1, keepdims=True)
        return np.clip((raw - mean) / std, -3.0, 3.0)


def _percentile_rank(raw: np.ndarray) -> np.ndarray:
    present = np.isfinite(raw)
    order = np.argsort(np.where(present, raw, np.inf), axis=1)
    ranks = np.empty(raw.shape)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1.0, raw.shape[1] + 1),
                                                    raw.shape), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, ranks / present.sum(axis=1, keepdims=True), np.nan)


def catalog_specs(count: int) -> list[FactorSpec]:
    """``count`` specs cycling through the catalog's stock-level factors (97 today): their
    lookbacks, cadences and directions; names past the first cycle get a numeric suffix."""
    from factor_models.catalog import load_all

    stock = [f for f in load_all().values() if f.family != "macro"]
    specs = []
    for i in range(count):
        f = stock[i % len(stock)]
        name = f.name if i < len(stock) else f"{f.name}_{i // len(stock)}"
        specs.append(FactorSpec(name, f.lookback, f.cadence != "daily",
                                i % COARSE_EVERY == COARSE_EVERY - 1, f.direction))
    return specs


def synthetic_panel(symbols: int = 1000, days: int = 2520, factors: int = 134,
                    seed: int = 7) -> Panel:
    """The panel: prices and listing spans now, factor values on demand (``Panel.factor``)."""
    rng = np.random.default_rng(seed)
    weekdays = np.arange(np.datetime64("2016-01-04"), np.datetime64("2060-01-01"))
    weekdays = weekdays[(weekdays.astype("datetime64[D]").view("int64") - 4) % 7 < 5][:days]
    sector = rng.integers(0, SECTORS, symbols)
    market = rng.normal(0.0003, 0.01, (days, 1))
    sector_moves = rng.normal(0, 0.008, (days, SECTORS))[:, sector]
    returns = market + sector_moves + rng.normal(0, 0.015, (days, symbols))
    start = np.exp(rng.normal(np.log(45.0), 0.8, symbols)).clip(4.0, 600.0)
    close = np.round(start * np.exp(np.cumsum(returns, axis=0)), 2).clip(0.01)
    first = np.where(rng.random(symbols) < 0.15, rng.integers(60, max(days - 250, 61), symbols),
                     0)
    last = np.full(symbols, days)
    delists = (rng.random(symbols) < 0.10) & (days - first > 400)
    last[delists] = first[delists] + rng.integers(250, np.maximum(days - first[delists] - 20,
                                                                  251))
    session = np.arange(days)[:, None]
    close[(session < first) | (session >= last) | (rng.random((days, symbols)) < 0.001)] = np.nan
    return Panel(dates=weekdays, symbols=[f"S{i:04d}" for i in range(symbols)],
                 sectors=[f"sector_{s:02d}" for s in sector], close=close,
                 specs=catalog_specs(factors), seed=seed)


def year_slices(dates: np.ndarray) -> Iterator[tuple[int, int]]:
    """[first, end) session indexes of each calendar year, as the factor asset writes them."""
    years = dates.astype("datetime64[Y]")
    bounds = np.flatnonzero(np.diff(years.view("int64"))) + 1
    edges = [0, *bounds.tolist(), len(dates)]
    yield from zip(edges[:-1], edges[1:], strict=True)
