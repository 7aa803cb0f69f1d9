"""Time the evaluation engine at scale: `python -m factor_models.evaluation.bench`.

Every factor of a synthetic panel (`synthetic.synthetic_panel`: the catalog's lookbacks and
cadences, late listings, delistings, missing fundamentals, ties) evaluated against 1, 5 and
21-session labels, a batch of factors at a time on the engine's threads, then the redundancy
matrix on every 5th date. Prints wall and CPU seconds per step and the peak RSS; asserts
nothing. `python -m orchestration.defs.evaluation.bench` times the Dagster assets themselves,
reading from a warehouse.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from factor_models.evaluation.dense import Grid, Labels
from factor_models.evaluation.labels import forward_returns
from factor_models.evaluation.redundancy import RedundancySums, redundancy_clusters
from factor_models.evaluation.report import WORKERS, FactorStats, summarise, universe_sizes
from factor_models.evaluation.synthetic import synthetic_panel

T = TypeVar("T")
BATCH = 8  # factors generated, then evaluated together


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(label: str, step: Callable[[], T], log: list[str]) -> T:
    start, start_cpu = time.perf_counter(), _cpu_seconds()
    result = step()
    log.append(f"  {label}: {time.perf_counter() - start:.2f} s wall, "
               f"{_cpu_seconds() - start_cpu:.2f} s CPU")
    return result


def main() -> None:
    """Print the time of each evaluation step for one run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--factors", type=int, default=134)
    parser.add_argument("--redundancy-every", type=int, default=5)
    args = parser.parse_args()
    panel = synthetic_panel(args.symbols, args.days, args.factors)
    prices = panel.prices()
    universe = prices.select("date", "symbol")
    log: list[str] = []
    labels = _timed("forward_returns", lambda: forward_returns(prices), log)
    grid = _timed("label grids", lambda: Labels.from_frame(
        Grid.build(universe, panel.securities()), labels), log)
    sizes = universe_sizes(grid.grid, universe)
    # The panel's columns are in symbol order, the grid's by sector: line them up.
    columns = np.searchsorted(np.array(panel.symbols), grid.grid.symbols.to_numpy())
    results, sampled = [], []
    wall = cpu = generate = 0.0
    for start in range(0, len(panel.specs), BATCH):
        began = time.perf_counter()
        batch = [(panel.specs[i].name, panel.factor(i)[:, columns])
                 for i in range(start, min(start + BATCH, len(panel.specs)))]
        generate += time.perf_counter() - began
        began, began_cpu = time.perf_counter(), _cpu_seconds()

        def one(item: tuple[str, np.ndarray]):
            name, value = item
            stats = FactorStats(name, grid)
            stats.add(value, value, 0, seeded=False)
            return stats.result(sizes)

        with ThreadPoolExecutor(WORKERS) as pool:
            results += list(pool.map(one, batch))
        wall += time.perf_counter() - began
        cpu += _cpu_seconds() - began_cpu
        sampled += [(name, value[::args.redundancy_every]) for name, value in batch]
    log.append(f"  evaluate {len(panel.specs)} factors: {wall:.2f} s wall, {cpu:.2f} s CPU "
               f"(generating them, {generate:.1f} s, excluded)")
    _timed("summarise", lambda: summarise(results, panel.directions()), log)
    sums = RedundancySums([name for name, _ in sampled])

    def redundancy() -> None:  # a block of dates at a time, as the asset reads them
        for first in range(0, sampled[0][1].shape[0], 100):
            sums.add(np.stack([v[first:first + 100] for _, v in sampled]))

    _timed(f"redundancy sums (every {args.redundancy_every}th date)", redundancy, log)
    _timed("redundancy_clusters", lambda: redundancy_clusters(
        sums.matrix(covered_only=True), [s.name for s in panel.specs]), log)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"{args.symbols} symbols x {args.days} days x {args.factors} factors "
          f"({WORKERS} threads):")
    print("\n".join(log))
    print(f"  peak RSS {peak_gb:.2f} GB (the whole process, synthetic inputs included)")


if __name__ == "__main__":
    main()
