"""The benchmark's results as rich tables and a JSON file under bench_results/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from factor_mart.settings import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench_results"


def write_json(results: dict, folder: Path = RESULTS_DIR) -> Path:
    """bench_results/<UTC timestamp>.json."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=1, default=str))
    return path


def _stage_table(title: str, stages: list[dict]) -> Table:
    table = Table(title=title)
    steps_column = "slowest steps (s, peak RSS MB)"
    phases_column = "start / run / exit s"
    for column in ("stage", "partitions", "wall s", phases_column, "CPU s", "peak RSS MB",
                   steps_column):
        table.add_column(column, justify="left" if column in ("stage", steps_column)
                         else "right")
    for row in stages:
        steps = sorted(row.get("steps", {}).items(), key=lambda kv: -kv[1])[:4]
        peaks = row.get("step_peak_rss_mb", {})
        phases = (" / ".join(f"{row[k]:.1f}" for k in ("loading_seconds", "run_seconds",
                                                          "exit_seconds"))
                  if "exit_seconds" in row else "")
        table.add_row(row["name"], str(row.get("partitions", "")) if row.get("present", True)
                      else "not present", f"{row['seconds']:.1f}", phases,
                      f"{row.get('cpu_seconds', 0):.1f}", f"{row['peak_rss_mb']:,.0f}",
                      ", ".join(f"{k} {v:.1f}" + (f" ({peaks[k]:,.0f})" if k in peaks else "")
                                for k, v in steps))
    return table


def print_results(results: dict, console: Console) -> None:
    """Every measured stage, the engine comparison and the targets."""
    cfg, load = results["config"], results["machine_before"]
    console.print(f"{cfg['symbols']} symbols x {cfg['years']} years, {cfg['first_day']} .. "
                  f"{cfg['last_day']}; {load['cpus']} CPUs, load average before "
                  f"{load['load_average']}, after {results['machine_after']['load_average']}; "
                  f"speed probes {load['python_loop_seconds']} s (Python loop), "
                  f"{load['fresh_memory_seconds_per_gb']} s/GB (fresh memory)")
    for backend in ("duckdb", "postgres"):
        if backend in results:
            build = results[backend]
            console.print(_stage_table(
                f"Full build on {backend}: {build['total_seconds']:.1f} s", build["stages"]))
            after = build.get("after_build", {})
            if after.get("stages"):
                console.print(_stage_table(
                    f"After the build on {backend}: {after['total_seconds']:.1f} s",
                    after["stages"]))
    if "increment" in results:
        inc = results["increment"]
        console.print(_stage_table(
            f"Daily increment {inc['day']}: {inc['total_seconds']:.1f} s "
            f"({len(inc['companies_filed'])} filings, {len(inc['series_released'])} macro "
            f"releases); equals full rebuild: {inc['equals_full_rebuild']}", inc["stages"]))
    if "technical" in results:
        tech = results["technical"]
        table = Table(title=f"Technical factors, {tech['bars']:,} bars: speed-up "
                            f"{tech['speedup']}x, max relative difference "
                            f"{tech['max_rel_diff']:.2g}")
        for column in ("engine", "whole process s", "CPU s", "read + compute s", "peak RSS MB"):
            table.add_column(column, justify="left" if column == "engine" else "right")
        for name, run in tech["engines"].items():
            table.add_row(name, f"{run['seconds']:.2f}", f"{run.get('cpu_seconds', 0):.2f}",
                          f"{run['read_and_compute_seconds']:.2f}",
                          f"{run['peak_rss_mb']:,.0f}")
        console.print(table)
        for factor, diff in tech["differing_factors"].items():
            console.print(f"  [yellow]{factor}[/yellow] differs from TA-Lib: max abs "
                          f"{diff['max_abs']:.3g}, max rel {diff['max_rel']:.3g}")
    table = Table(title="Targets")
    for column in ("target", "measured", "limit", "met"):
        table.add_column(column)
    for row in results["targets"]:
        table.add_row(row["target"], str(row["measured"]), row["limit"],
                      "—" if row["met"] is None
                      else "[green]yes[/green]" if row["met"] else "[red]no[/red]")
    console.print(table)
