"""Time compute_technical on random-walk bars: `python -m factor_models.bench_technical`."""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import numpy as np
import polars as pl

from factor_models.technical import compute_technical


def random_walk_bars(symbols: int, days: int, seed: int = 0) -> pl.DataFrame:
    """Adjusted-bar frame of `symbols` geometric random walks over `days` weekdays."""
    rng = np.random.default_rng(seed)
    shape = (symbols, days)
    log_returns = rng.normal(0.0003, 0.02, shape)
    close = 50.0 * np.exp(np.cumsum(log_returns, axis=1))
    open_ = close * np.exp(rng.normal(0.0, 0.005, shape))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.01, shape)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, shape)))
    volume = np.round(rng.lognormal(13.0, 0.5, shape))
    dates = pl.date_range(dt.date(2010, 1, 4), dt.date(2040, 1, 1), "1d", eager=True)
    dates = dates.filter(dates.dt.weekday() <= 5).head(days)
    return pl.DataFrame(
        {
            "symbol": np.repeat([f"S{i:04d}" for i in range(symbols)], days),
            "date": pl.concat([dates] * symbols),
            "open": open_.ravel(),
            "high": high.ravel(),
            "low": low.ravel(),
            "close": close.ravel(),
            "volume": volume.ravel(),
        }
    )


def main() -> None:
    """Print the compute time and peak memory for one run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bars = random_walk_bars(args.symbols, args.days)
    wall, cpu = [], []
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        values = compute_technical(bars)
        wall.append(time.perf_counter() - start)
        cpu.append(_cpu_seconds() - start_cpu)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    # CPU seconds say how much work was done even when other processes share the cores.
    print(
        f"{args.symbols} symbols x {args.days} days = {bars.height:,} bars, "
        f"{values.width - 2} factors: compute median {np.median(wall):.2f} s wall "
        f"(runs {', '.join(f'{t:.2f}' for t in wall)}), {np.median(cpu):.2f} s CPU, "
        f"peak RSS {peak_gb:.2f} GB"
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
