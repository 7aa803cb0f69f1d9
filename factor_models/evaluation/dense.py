"""Dense (date x symbol) grids for the evaluation engine: the shared axes, the labels sorted
once per horizon, and each date's sort order of a grid (``kernel`` walks it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from factor_models.evaluation.kernel import average_ranks

MIN_NAMES = 5


@dataclass(frozen=True)
class Grid:
    """The shared axes: sessions (rows) and symbols (columns, grouped by sector)."""

    dates: pl.Series
    symbols: pl.Series
    sectors: list[str]
    sector_of: np.ndarray  # each column's index in ``sectors``, -1 for a name without one

    @classmethod
    def build(cls, universe: pl.DataFrame, securities: pl.DataFrame | None) -> Grid:
        symbols = universe.select(pl.col("symbol").unique())
        if securities is not None:
            symbols = symbols.join(securities.select("symbol", "sector"), on="symbol",
                                   how="left")
        else:
            symbols = symbols.with_columns(sector=pl.lit(None, pl.String))
        symbols = symbols.sort("sector", "symbol", nulls_last=True)
        sectors = symbols["sector"].drop_nulls().unique().sort().to_list()
        sector_of = np.array(symbols["sector"].replace_strict(  # a writable copy: one numba type
            sectors, range(len(sectors)), default=-1, return_dtype=pl.Int64), dtype=np.int64)
        return cls(universe["date"].unique().sort(), symbols["symbol"], sectors, sector_of)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.dates), len(self.symbols)

    def dense(self, frame: pl.DataFrame, column: str) -> np.ndarray:
        """``frame[column]`` (with date, symbol) as a (dates x symbols) array, NaN elsewhere;
        rows whose date or symbol is not on the grid are left out."""
        out = np.full(self.shape, np.nan)
        columns = pl.DataFrame({"symbol": self.symbols,
                                "column": np.arange(len(self.symbols))})
        day = frame["date"].cast(pl.Date)
        row = self.dates.search_sorted(day).clip(0, len(self.dates) - 1)
        cells = (
            frame.select("symbol", pl.col(column).cast(pl.Float64).alias("value"))
            .with_columns(row=row, on_grid=self.dates.gather(row) == day)
            .filter(pl.col("on_grid"))
            .join(columns, on="symbol")
        )
        out[cells["row"].to_numpy(), cells["column"].to_numpy()] = cells["value"].to_numpy()
        return out


def sort_order(values: np.ndarray) -> np.ndarray:
    """Each row's argsort, ascending, with the non-finite entries last (as +inf, so numpy's
    vectorised sort applies: NaN would send it down a path ~4x slower)."""
    return np.argsort(np.where(np.isfinite(values), values, np.inf), axis=1)


class Labels:
    """Label grids per horizon (horizons x dates x symbols), sorted and ranked once for every
    factor evaluated against them."""

    def __init__(self, grid: Grid, horizons: list[int], values: np.ndarray) -> None:
        self.grid, self.horizons, self.values = grid, list(horizons), values
        self.order = np.empty(values.shape, np.int64)
        self.ranks, self.sector_ranks = np.empty(values.shape), np.empty(values.shape)
        for h, horizon in enumerate(values):
            self.order[h] = sort_order(horizon)
            self.ranks[h], self.sector_ranks[h] = average_ranks(horizon, self.order[h],
                                                                grid.sector_of)
        self.count = np.isfinite(values).sum(axis=2)

    @classmethod
    def from_frame(cls, grid: Grid, labels: pl.DataFrame) -> Labels:
        """From ``forward_returns`` output (date, symbol, horizon, forward_return)."""
        horizons = sorted(labels["horizon"].unique().to_list())
        values = np.stack([grid.dense(labels.filter(pl.col("horizon") == h), "forward_return")
                           for h in horizons]) if horizons else np.empty((0, *grid.shape))
        return cls(grid, horizons, values)
