"""A published mart of the full catalog's shape for any universe size, to benchmark the API.

To time the API at any universe size without a full pipeline build first, the bench
fills `fct_factor_values` with random values for every stock-level factor in the catalog and
writes it with the pipeline's code (`normalized_values`, then `replace_partition`), then
publishes with `factor_mart.publish.publish`. It writes a month at a time where `factors_job`
writes a year, to stay within ~1 GB; the stored order is the same (by date, then factor and
symbol), so are the row counts. Only the values are noise.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from factor_mart.publish import publish, read_pointer
from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect
from factor_mart.warehouse.tables import replace_partition, replace_table
from factor_models.catalog import catalog_frame
from orchestration.defs.factors.compute import normalized_values
from orchestration.defs.factors.families import STOCK_FAMILIES

SECTORS = ("Energy", "Materials", "Industrials", "Consumer Discretionary", "Consumer Staples",
           "Health Care", "Financials", "Information Technology", "Communication Services",
           "Utilities", "Real Estate")
MISSING_SHARE = 0.03  # values left out (NaN), as warm-up gaps and missing filings do


@dataclass(frozen=True)
class MartShape:
    symbols: int = 1000
    years: int = 10
    seed: int = 7
    last_date: date = date(2024, 12, 31)
    last_sessions: int | None = None  # keep only the last N sessions (a small mart)

    @property
    def sessions(self) -> list[date]:
        """Weekdays over `years` calendar years up to `last_date`."""
        first = date(self.last_date.year - self.years + 1, 1, 1)
        days = (first + timedelta(n) for n in range((self.last_date - first).days + 1))
        weekdays = [d for d in days if d.weekday() < 5]
        return weekdays[-self.last_sessions:] if self.last_sessions else weekdays

    @property
    def tickers(self) -> list[str]:
        return [f"S{n:04d}" for n in range(self.symbols)]


def bench_settings(folder: Path) -> Settings:
    return Settings(backend=Backend.duckdb, duckdb_path=folder / "warehouse.duckdb")


def ensure_mart(folder: Path, shape: MartShape, progress=print) -> Settings:
    """The settings of a published mart of `shape` in `folder`, built unless already there."""
    settings = bench_settings(folder)
    marker = folder / "shape.json"
    wanted = json.dumps(asdict(shape), default=str)
    if marker.exists() and marker.read_text() == wanted and read_pointer(settings):
        progress(f"reusing the published bench mart in {folder}")
        return settings
    folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    for stale in [settings.duckdb_path, *folder.glob("snapshots/*")]:
        stale.unlink(missing_ok=True)
    build_mart(settings, shape, progress)
    publish(settings)
    marker.write_text(wanted)
    return settings


def build_mart(settings: Settings, shape: MartShape, progress=print) -> None:
    """dim_factor, dim_security and fct_factor_values of `shape` in the settings' warehouse."""
    catalog = catalog_frame()
    rng = np.random.default_rng(shape.seed)
    securities = pl.DataFrame({"symbol": shape.tickers,
                               "sector": rng.choice(SECTORS, shape.symbols)})
    families = {family: catalog.filter(pl.col("family") == family)["factor"].to_list()
                for family in STOCK_FAMILIES}
    sessions = pl.Series("date", shape.sessions, pl.Date)
    with connect(settings) as wh:
        replace_table(wh, "marts.dim_factor", catalog.with_columns(
            redundant_with=pl.lit(None, pl.String), mean_rank_corr=pl.lit(None, pl.Float64)))
        replace_table(wh, "marts.dim_security", securities)
        months = sessions.dt.truncate("1mo")
        for month in months.unique(maintain_order=True).to_list():
            days = sessions.filter(months == month)
            grid = pl.DataFrame({"date": days}).join(securities.select("symbol"), how="cross")
            wide = {family: grid.with_columns(
                pl.Series(name, _noise(rng, grid.height)) for name in names)
                for family, names in families.items()}
            values = normalized_values(wide, securities)
            replace_partition(wh, "marts.fct_factor_values", values, "date",
                              days[0], days[-1])
            if month.month == 12:
                progress(f"  fct_factor_values up to {days[-1]}: {values.height:,} rows "
                         "this month")
            del wide, values


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    values = rng.standard_normal(n)
    values[rng.random(n) < MISSING_SHARE] = np.nan
    return values
