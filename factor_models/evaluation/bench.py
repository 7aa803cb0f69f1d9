"""Time the evaluation at scale: `python -m factor_models.evaluation.bench`.

Random-walk prices for N symbols x D days and F persistent random factors (AR(1) per symbol, so
turnover and autocorrelation are realistic), evaluated in chunks of factors the way the Dagster
asset does. Prints wall and CPU seconds per step and the peak RSS; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import polars as pl

from factor_models.bench_technical import random_walk_bars
from factor_models.evaluation.dense import Grid
from factor_models.evaluation.labels import forward_returns
from factor_models.evaluation.redundancy import redundancy_clusters, redundancy_matrix
from factor_models.evaluation.report import Labels, evaluate

T = TypeVar("T")


def random_factors(prices: pl.DataFrame, names: list[str], seed: int = 1) -> pl.DataFrame:
    """Long values (date, symbol, factor, value): AR(1) noise per symbol with persistence 0.98."""
    rng = np.random.default_rng(seed)
    keys = prices.select("date", "symbol").sort("symbol", "date")
    symbols = keys["symbol"].n_unique()
    days = keys.height // symbols
    frames = []
    for name in names:
        shocks = rng.normal(size=(symbols, days))
        series = np.empty_like(shocks)
        series[:, 0] = shocks[:, 0]
        for t in range(1, days):
            series[:, t] = 0.98 * series[:, t - 1] + 0.2 * shocks[:, t]
        frames.append(keys.with_columns(factor=pl.lit(name), value=series.ravel()))
    return pl.concat(frames)


def _timed(label: str, step: Callable[[], T], log: list[str]) -> T:
    start = time.perf_counter()
    start_cpu = _cpu_seconds()
    result = step()
    log.append(f"  {label}: {time.perf_counter() - start:.2f} s wall, "
               f"{_cpu_seconds() - start_cpu:.2f} s CPU")
    return result


def main() -> None:
    """Print the time of each evaluation step for one run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--factors", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=10, help="factors evaluated per pass")
    parser.add_argument("--redundancy-every", type=int, default=5)
    args = parser.parse_args()
    bars = random_walk_bars(args.symbols, args.days)
    prices = bars.select("date", "symbol", "close")
    names = [f"factor_{i:03d}" for i in range(args.factors)]
    log: list[str] = []
    labels = _timed("forward_returns", lambda: forward_returns(prices), log)
    universe = prices.select("date", "symbol")
    sectors = universe.select(pl.col("symbol").unique()).with_columns(
        sector=pl.format("sector_{}", pl.col("symbol").hash(0) % 11))
    grid = _timed("label grids", lambda: Labels(Grid.build(universe, sectors), labels), log)
    evaluate_total, evaluate_cpu, generate_total, rank_parts = 0.0, 0.0, 0.0, []
    for start in range(0, len(names), args.chunk):
        chunk = names[start:start + args.chunk]
        began = time.perf_counter()
        values = random_factors(prices, chunk, seed=start)
        generate_total += time.perf_counter() - began
        began, began_cpu = time.perf_counter(), _cpu_seconds()
        evaluate(values, grid, universe, sectors)
        evaluate_total += time.perf_counter() - began
        evaluate_cpu += _cpu_seconds() - began_cpu
        dates = values["date"].unique().sort()[::args.redundancy_every]
        rank_parts.append(values.filter(pl.col("date").is_in(dates.implode())))
    log.append(f"  evaluate ({args.factors} factors in chunks of {args.chunk}): "
               f"{evaluate_total:.2f} s wall, {evaluate_cpu:.2f} s CPU (generating inputs "
               f"{generate_total:.1f} s excluded)")
    sampled = pl.concat(rank_parts)
    matrix = _timed(f"redundancy_matrix (every {args.redundancy_every}th date)",
                    lambda: redundancy_matrix(sampled), log)
    _timed("redundancy_clusters", lambda: redundancy_clusters(matrix, names), log)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"{args.symbols} symbols x {args.days} days x {args.factors} factors:")
    print("\n".join(log))
    print(f"  peak RSS {peak_gb:.2f} GB")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
