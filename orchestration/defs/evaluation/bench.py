"""Time the evaluation assets at scale without the full build.

`python -m orchestration.defs.evaluation.bench [--symbols 1000] [--days 2520] [--factors 134]`
writes a warehouse slice from `factor_models.evaluation.synthetic` (the mart tables the
evaluation reads: fct_prices_daily, dim_security, dim_factor and fct_factor_values, the last a
year at a time in date order, as the factor asset writes it), then materializes
`evaluation_job`'s assets on it in a child process and prints that process's wall time, CPU
time and peak RSS, and the time of each step. `--slice PATH` keeps (or reuses) the DuckDB file;
at 1,000 x 2,520 x 134 it holds ~280 M value rows (6.8 GB) and takes ~5 minutes to write.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect
from factor_mart.warehouse.tables import replace_table
from factor_models.evaluation.synthetic import synthetic_panel, year_slices

FACTORS_PER_INSERT = 34


def write_slice(path: Path, symbols: int, days: int, factors: int, seed: int = 7) -> dict:
    """The mart tables the evaluation reads, in a new DuckDB file at ``path``."""
    panel = synthetic_panel(symbols, days, factors, seed)
    settings = Settings(backend=Backend.duckdb, duckdb_path=path)
    rows = 0
    with connect(settings) as wh:
        replace_table(wh, "marts.fct_prices_daily", panel.prices().select(
            trading_date="date", symbol="symbol", adjusted_close="close"))
        replace_table(wh, "marts.dim_security", panel.securities())
        replace_table(wh, "marts.dim_factor", pl.DataFrame(
            {"factor": list(panel.directions()), "direction": list(panel.directions().values())},
            schema={"factor": pl.String, "direction": pl.Int8}))
        con = wh.con  # DuckDB: append each year's rows as they are made, in date order
        con.execute("SET memory_limit = '2GB'")
        con.execute("DROP TABLE IF EXISTS marts.fct_factor_values")
        con.execute("CREATE TABLE marts.fct_factor_values (date DATE, symbol VARCHAR, "
                    "factor VARCHAR, raw DOUBLE, z DOUBLE, rank DOUBLE)")
        for first, end in year_slices(panel.dates):
            for group in range(0, factors, FACTORS_PER_INSERT):  # bounds memory
                indexes = list(range(group, min(group + FACTORS_PER_INSERT, factors)))
                year = panel.values(indexes, first, end).sort("date", maintain_order=True)
                con.register("year_frame", year.to_arrow())
                con.execute("INSERT INTO marts.fct_factor_values SELECT * FROM year_frame")
                con.unregister("year_frame")
                rows += year.height
    return {"symbols": symbols, "days": days, "factors": factors, "value_rows": rows}


def run_assets(path: Path) -> dict:
    """Materialize the evaluation assets on the slice at ``path`` (in this process)."""
    import dagster as dg

    from orchestration.defs.evaluation.assets import (
        factor_evaluation,
        fct_factor_redundancy,
        fct_forward_returns,
    )
    from orchestration.lib.resources import WarehouseResource

    began = time.perf_counter()
    settings = Settings(backend=Backend.duckdb, duckdb_path=path)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [fct_forward_returns, factor_evaluation, fct_factor_redundancy],
            resources={"warehouse": WarehouseResource.from_settings(settings)},
            instance=instance, raise_on_error=True)
        steps = {}
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type is dg.DagsterEventType.STEP_START:
                steps[event.step_key] = -entry.timestamp
            elif event.event_type is dg.DagsterEventType.STEP_SUCCESS:
                steps[event.step_key] = round(steps[event.step_key] + entry.timestamp, 2)
    return {"steps": steps, "seconds_in_process": round(time.perf_counter() - began, 2)}


def measure(path: Path) -> dict:
    """Run ``run_assets`` in a child process: its wall and CPU seconds and peak RSS."""
    command = [sys.executable, "-m", "orchestration.defs.evaluation.bench", "--run", str(path)]
    began = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"evaluation bench child failed: {output.decode()[-2000:]}")
    summary = json.loads(output.decode().strip().splitlines()[-1])  # its last line
    return {"wall_seconds": round(time.perf_counter() - began, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "system_cpu_seconds": round(usage.ru_stime, 2),  # mostly reading the file
            "peak_rss_mb": round(usage.ru_maxrss / 1024), **summary}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m orchestration.defs.evaluation.bench",
                                     description=__doc__)
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--factors", type=int, default=134)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--slice", type=Path, help="DuckDB file to keep (reused if present)")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # the child's side
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(run_assets(args.run)))
        return
    with tempfile.TemporaryDirectory(prefix="fm-eval-bench-") as tmp:
        path = args.slice or Path(tmp) / "slice.duckdb"
        report: dict = {"load_average_before": os.getloadavg()}
        if not path.exists():
            began = time.perf_counter()
            report["slice"] = write_slice(path, args.symbols, args.days, args.factors,
                                          args.seed)
            report["slice"]["write_seconds"] = round(time.perf_counter() - began, 1)
        report["evaluation"] = measure(path)
        report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
