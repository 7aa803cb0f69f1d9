"""Time compute_fundamental on a synthetic universe: `python -m factor_models.fundamental.bench`."""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import polars as pl

from factor_models.fundamental import compute_fundamental
from factor_models.inputs import FactorInputs

FLOWS = ("revenue", "gross_profit", "operating_income", "net_income", "operating_cash_flow",
         "capex", "dividends_paid", "buybacks", "interest_expense", "depreciation_amortization")
INSTANTS = ("total_assets", "total_liabilities", "total_equity", "retained_earnings",
            "long_term_debt", "short_term_borrowings", "cash", "current_assets",
            "current_liabilities", "shares_outstanding")
QUARTER_DAYS = 91
# The fundamental family reads no macro data; cut_after still needs a date column.
EMPTY_MACRO = pl.DataFrame(schema={"series_id": pl.String, "date": pl.Date})


def synthetic_panel(symbols: int, quarters: int, first_end: dt.date, seed: int = 0
                    ) -> pl.DataFrame:
    """A pit-shaped panel: every metric each quarter, filed 35-60 days after the quarter end,
    a tenth of values restated by the next year's filing."""
    rng = np.random.default_rng(seed)
    ends = np.array([first_end + dt.timedelta(days=QUARTER_DAYS * q) for q in range(quarters)],
                    dtype="datetime64[D]")
    names = np.array([f"S{i:04d}" for i in range(symbols)])
    lag = rng.integers(35, 61, (symbols, quarters)).astype("timedelta64[D]")
    filed = ends[None, :] + lag
    frames = []
    for kind, metrics in (("quarter", (*FLOWS, "weighted_shares_diluted")),
                          ("instant", INSTANTS)):
        for metric in metrics:
            value = rng.lognormal(20.0, 1.0, (symbols, quarters))
            frames.append(pl.DataFrame({
                "symbol": np.repeat(names, quarters), "metric": metric, "period_kind": kind,
                "period_end": np.tile(ends, symbols), "known_from": filed.ravel(),
                "value": value.ravel(),
                "ttm_value": (value * 4.0).ravel() if metric in FLOWS else None,
            }, schema_overrides={"ttm_value": pl.Float64}))
    annual = np.arange(3, quarters, 4)
    eps = rng.lognormal(1.0, 0.5, (symbols, annual.size))
    frames.append(pl.DataFrame({
        "symbol": np.repeat(names, annual.size), "metric": "eps_diluted",
        "period_kind": "annual", "period_end": np.tile(ends[annual], symbols),
        "known_from": filed[:, annual].ravel(), "value": eps.ravel(), "ttm_value": eps.ravel(),
    }))
    panel = pl.concat(frames).with_columns(pl.col("period_end", "known_from").cast(pl.Date))
    restated = panel.sample(fraction=0.1, seed=seed).with_columns(
        pl.col("known_from") + pl.duration(days=365), pl.col("value") * 1.01,
        pl.col("ttm_value") * 1.01,
    )
    return pl.concat([panel, restated])


def bars_for(symbols: int, days: int) -> pl.DataFrame:
    """(symbol, date, raw_close) on `days` weekdays from 2013-01-02."""
    dates = pl.date_range(dt.date(2013, 1, 2), dt.date(2040, 1, 1), "1d", eager=True)
    dates = dates.filter(dates.dt.weekday() <= 5).head(days)
    return pl.DataFrame({
        "symbol": np.repeat([f"S{i:04d}" for i in range(symbols)], days),
        "date": pl.concat([dates] * symbols),
        "raw_close": np.random.default_rng(1).lognormal(4.0, 0.5, symbols * days),
    })


def main() -> None:
    """Print the compute time for one universe."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # Filings from three years before the first bar, so 3-year growth has its base.
    quarters = args.days * 4 // 252 + 16
    panel = synthetic_panel(args.symbols, quarters, dt.date(2009, 12, 31))
    bars = bars_for(args.symbols, args.days)
    inputs = FactorInputs(bars=bars, fundamentals=panel, macro=EMPTY_MACRO,
                          securities=pl.DataFrame())
    wall, cpu = [], []
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        values = compute_fundamental(inputs)
        wall.append(time.perf_counter() - start)
        # CPU seconds say how much work was done even when other processes share the cores.
        cpu.append(time.process_time() - start_cpu)
    filled = values.drop("date", "symbol").select(pl.all().is_not_null().mean()).row(0)
    print(f"{args.symbols} symbols x {args.days} days = {bars.height:,} rows, "
          f"{panel.height:,} panel rows, {values.width - 2} factors: median "
          f"{np.median(wall):.2f} s wall (runs {', '.join(f'{t:.2f}' for t in wall)}), "
          f"{np.median(cpu):.2f} s CPU; "
          f"non-null share min {min(filled):.2f}")


if __name__ == "__main__":
    main()
