"""Run the benchmark: each stage a child process, timed, with its own peak RSS (wait4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from factor_mart.settings import Backend, Settings

# The full build (ingest, dbt, every factor family with its normalisation, publish) as
# a deployment backfills it: the sources keyed by company and by series, each in one run, then
# the after-close run over every month as one single-run backfill (bars, dbt, factors,
# publish). A run per asset group instead (ibkr_job, marts_job, marts_daily_job, factors_job,
# publish_job) paid a process start, the code location's imports and a Dagster run each:
# ~8 s apiece at 1,000 symbols on this VM.
BUILD_JOBS = ("edgar_job", "fred_job", "after_close_job")
# Then the factors' evaluation (ICs, quantile spreads, redundancy): production runs it nightly
# after the day's build and publish (schedule evaluation_after_factors); timed on its own.
AFTER_BUILD_JOBS = ("evaluation_job",)
# A new day: the filers and macro releases the source_updates sensor found, in one run, then
# the after-close run (bars, marts, the day's factors, a new version), as a deployment runs it.
REFRESH_JOB = "sources_refresh_job"
INCREMENT_JOBS = (REFRESH_JOB, "after_close_job")
STAGES = ("duckdb", "increment", "technical", "postgres")
FACTOR_STEP = "marts__fct_factor_values"  # the factor computation stage's step key
# Dagster records one "planned" event per asset for a run over many partitions, not one per
# partition (4,000 events for 1,000 companies x 4 raw tables); see the Makefile.
PLANNED_EVENTS_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


@dataclass(frozen=True)
class BenchConfig:
    symbols: int = 1000
    years: int = 10
    seed: int = 7
    stages: tuple[str, ...] = STAGES
    workdir: Path | None = None  # default: a temporary folder, removed afterwards
    keep: Path | None = None  # build here and keep the warehouses (inspection, reruns)


@dataclass
class Measured:
    """One child process: what it ran, its wall time, peak RSS and its own summary."""

    name: str
    seconds: float
    peak_rss_mb: float
    summary: dict = field(default_factory=dict)
    cpu_seconds: float = 0.0  # user + system of the child and its children (dbt)

    def as_dict(self) -> dict:
        return {"name": self.name, "seconds": round(self.seconds, 3),
                "cpu_seconds": round(self.cpu_seconds, 3),
                "peak_rss_mb": round(self.peak_rss_mb, 1), **self.summary,
                **({"exit_seconds": round(self.exit_seconds, 3)}
                   if self.exit_seconds is not None else {})}

    @property
    def exit_seconds(self) -> float | None:
        """What the process took after its run, whose results are in the warehouse by then:
        reading the run's events for the summary, and the interpreter's teardown (freeing
        every object)."""
        if "run_seconds" not in self.summary:
            return None
        return max(self.seconds - self.summary["loading_seconds"] - self.summary["run_seconds"],
                   0.0)


def run_child(name: str, args: list[str], env: dict[str, str], out: Path) -> Measured:
    """Run ``python -m factor_mart.bench.stage <args> --out out``; time and peak RSS."""
    command = [sys.executable, "-m", "factor_mart.bench.stage", *args, "--out", str(out)]
    began = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = output.decode(errors="replace")[-4000:]
        raise RuntimeError(f"bench stage {name} failed (exit {child.returncode}):\n{tail}")
    # Linux: ru_maxrss in KiB, the largest of the child and the descendants it waited for.
    # CPU seconds say how much work was done even when other processes share the cores.
    return Measured(name, seconds, usage.ru_maxrss / 1024, json.loads(out.read_text()),
                    usage.ru_utime + usage.ru_stime)


def stage_env(settings: Settings, start: date, config: BenchConfig) -> dict[str, str]:
    """The environment a stage child reads its settings from."""
    env = dict(os.environ) | {
        "FACTOR_MART_SOURCE_MODE": "synthetic",
        "FACTOR_MART_SYNTHETIC_SYMBOLS": str(config.symbols),
        "FACTOR_MART_SYNTHETIC_YEARS": str(config.years),
        "FACTOR_MART_SYNTHETIC_SEED": str(config.seed),
        "FACTOR_MART_HISTORY_START": start.isoformat(),
        "FACTOR_MART_BACKEND": settings.backend.value,
        "FACTOR_MART_DUCKDB_PATH": str(settings.duckdb_path),
    }
    if settings.postgres_dsn:
        env["FACTOR_MART_POSTGRES_DSN"] = settings.postgres_dsn
    env.setdefault(PLANNED_EVENTS_ENV, "true")  # as the Makefile deploys Dagster
    return env


def build_stages(env: dict[str, str], last_day: date, folder: Path, prefix: str,
                 jobs: tuple[str, ...] = BUILD_JOBS + AFTER_BUILD_JOBS,
                 progress=print) -> list[Measured]:
    """Every job of the full build and then the evaluation, each over all of its partitions up
    to ``last_day``."""
    measured = []
    for job in jobs:
        began = time.perf_counter()
        try:
            result = run_child(f"{prefix}:{job}", ["job", job, "--last", last_day.isoformat()],
                               env, folder / f"{prefix}-{job}.json")
        except RuntimeError as exc:  # later jobs read this one's tables: stop, keep the rest
            progress(f"  [red]{prefix}:{job} failed[/red]: {str(exc)[-800:]}")
            measured.append(Measured(f"{prefix}:{job}", time.perf_counter() - began, 0.0,
                                     {"job": job, "failed": str(exc)[-3000:]}))
            break
        progress(f"  {result.name}: {result.seconds:.1f} s, {result.peak_rss_mb:,.0f} MB")
        measured.append(result)
    return measured


def speed_probes() -> dict:
    """Two fixed tasks, timed, so runs on different VMs can be compared: a pure-Python loop,
    and touching fresh memory. A freshly booted microVM maps each new page of its memory on
    first touch, which cost ~1.8 s a GB on one of ours (0.15 after its memory had been used
    once) and made every memory-heavy stage several times slower."""
    import numpy as np

    began = time.perf_counter()
    sum(range(10_000_000))
    python = time.perf_counter() - began
    began = time.perf_counter()
    np.ones(1 << 26)  # 512 MB
    return {"python_loop_seconds": round(python, 3),
            "fresh_memory_seconds_per_gb": round((time.perf_counter() - began) * 2, 3)}


def machine() -> dict:
    """What the numbers were measured on: cores, load, memory, speed probes."""
    info = {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": sys.version.split()[0], **speed_probes()}
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 1024**3, 1)
    except ImportError:
        pass
    return info


def run_bench(config: BenchConfig, progress=print) -> dict:
    """Run the selected stages; the results as one JSON-ready dict."""
    from factor_mart.bench import increment, postgres, technical
    from ingestion.synthetic import SyntheticUniverse

    universe = SyntheticUniverse(symbols=config.symbols, years=config.years, seed=config.seed)
    start, last_day = universe.start, universe.sessions[-1].astype(date)
    results: dict = {"config": {"symbols": config.symbols, "years": config.years,
                                "seed": config.seed, "stages": list(config.stages),
                                "first_day": str(start), "last_day": str(last_day)},
                     "machine_before": machine()}
    with _workspace(config) as folder:
        duck = Settings(backend=Backend.duckdb, duckdb_path=folder / "full.duckdb")
        reused = "duckdb" not in config.stages and increment.restore_build(
            folder, duck, _universe_of(config))
        if reused:
            progress(f"the full build kept in {folder} (its {increment.REFERENCE_FILE})")
        elif "duckdb" in config.stages or "increment" in config.stages:
            progress(f"full build on DuckDB, {config.symbols} symbols x {config.years} years "
                     f"({start} .. {last_day})")
            stages = build_stages(stage_env(duck, start, config), last_day, folder, "duckdb",
                                  progress=progress)
            results["duckdb"] = summarise_build(stages)
            results["sizes"] = increment.table_sizes(duck)
            if results["duckdb"]["failed_job"] is None and "increment" in config.stages:
                increment.keep_build(folder, duck, _universe_of(config))
        complete = reused or ("duckdb" in results and results["duckdb"]["failed_job"] is None)
        if "increment" in config.stages and complete:
            progress(f"daily increment: {last_day}")
            try:
                results["increment"] = increment.run_increment(
                    duck, folder, last_day, lambda s: stage_env(s, start, config), progress)
            except RuntimeError as exc:  # a failed stage: keep the other measurements
                results["errors"] = {"increment": str(exc)[-3000:]}
                progress(f"[red]increment failed[/red]: {str(exc)[-600:]}")
        if "technical" in config.stages:
            progress("technical factors: polars versus pandas groupby + TA-Lib")
            results["technical"] = technical.side_by_side(config, folder, progress)
        if "postgres" in config.stages:
            progress("full build on PostgreSQL")
            with postgres.scratch_database() as dsn:
                pg = Settings(backend=Backend.postgres, postgres_dsn=dsn,
                              duckdb_path=folder / "pg-side.duckdb")
                stages = build_stages(stage_env(pg, start, config), last_day, folder, "postgres",
                                      progress=progress)
            results["postgres"] = summarise_build(stages)
            if "duckdb" in results:
                pg, duck = results["postgres"], results["duckdb"]
                pg["ratio_to_duckdb"] = round(pg["total_seconds"] / duck["total_seconds"], 2)
                if duck["after_build"]["total_seconds"]:
                    pg["after_build"]["ratio_to_duckdb"] = round(
                        pg["after_build"]["total_seconds"] / duck["after_build"]["total_seconds"],
                        2)
    results["machine_after"] = machine()
    results["targets"] = targets(results)
    return results


def _universe_of(config: BenchConfig) -> dict:
    """What a build is of: a kept build is reused only for the same universe."""
    return {"symbols": config.symbols, "years": config.years, "seed": config.seed}


@contextmanager
def _workspace(config: BenchConfig) -> Iterator[Path]:
    if config.keep is not None:
        config.keep.mkdir(parents=True, exist_ok=True)
        yield config.keep
        return
    with tempfile.TemporaryDirectory(prefix="fm-bench-", dir=config.workdir) as tmp:
        yield Path(tmp)


def summarise_build(measured: list[Measured]) -> dict:
    """Per-stage rows, the total wall time and the largest peak RSS of the build; the same of
    the stages after it under ``after_build``."""
    stages = [m for m in measured if m.summary.get("job") not in AFTER_BUILD_JOBS]
    after = [m for m in measured if m.summary.get("job") in AFTER_BUILD_JOBS]
    rows = [m.as_dict() for m in stages]
    factor_steps = {k: v for m in stages for k, v in m.summary.get("steps", {}).items()
                    if k == FACTOR_STEP}
    return {"stages": rows, "total_seconds": round(sum(m.seconds for m in stages), 2),
            "total_cpu_seconds": round(sum(m.cpu_seconds for m in stages), 2),
            "peak_rss_mb": round(max(m.peak_rss_mb for m in stages), 1),
            "factor_compute_seconds": round(sum(factor_steps.values()), 2),
            # Within fct_factor_values: load, per-symbol histories, per-date cross-sections and
            # the time left waiting for the last writes (they overlap the computing).
            "factor_value_phases": next(
                (m.summary["asset_seconds"]["marts/fct_factor_values"] for m in stages
                 if "marts/fct_factor_values" in m.summary.get("asset_seconds", {})), None),
            "missing_jobs": [r["job"] for r in rows if r.get("present") is False],
            "failed_job": next((r["job"] for r in rows + [m.as_dict() for m in after]
                                if "failed" in r), None),
            "after_build": {"stages": [m.as_dict() for m in after],
                            "total_seconds": round(sum(m.seconds for m in after), 2),
                            "total_cpu_seconds": round(sum(m.cpu_seconds for m in after), 2),
                            "peak_rss_mb": round(max((m.peak_rss_mb for m in after),
                                                     default=0.0), 1)}}


def targets(results: dict) -> list[dict]:
    """The issue's targets, each with the measured value and whether it was met."""
    rows = []

    def add(name: str, measured: float | bool | None, limit: str, met: bool | None) -> None:
        rows.append({"target": name, "measured": measured, "limit": limit, "met": met})

    if "duckdb" in results and results["duckdb"]["failed_job"]:
        add("full build wall (s)", f"failed in {results['duckdb']['failed_job']}", "<= 120",
            False)
    elif "duckdb" in results:
        d = results["duckdb"]
        add("full build wall (s)", d["total_seconds"], "<= 120", d["total_seconds"] <= 120)
        add("factor computation stage (s)", d["factor_compute_seconds"], "<= 30",
            d["factor_compute_seconds"] <= 30)
        add("peak RSS (MB)", d["peak_rss_mb"], "<= 4096", d["peak_rss_mb"] <= 4096)
        if d["after_build"]["stages"]:
            add("evaluation after the build (s)", d["after_build"]["total_seconds"],
                "not a target", None)
    if "increment" in results:
        i = results["increment"]
        add("increment factor computation (s)", i["factor_compute_seconds"], "<= 2",
            i["factor_compute_seconds"] <= 2)
        add("increment through Dagster incl. dbt (s)", i["total_seconds"], "<= 20",
            i["total_seconds"] <= 20)
        add("increment equals full rebuild", i["equals_full_rebuild"], "true",
            i["equals_full_rebuild"])
    if "technical" in results:
        t = results["technical"]
        add("technical speed-up vs pandas + TA-Lib (x)", t["speedup"], ">= 2", t["speedup"] >= 2)
        add("technical same results", t["agree"], "true", t["agree"])
    if "postgres" in results and "ratio_to_duckdb" in results["postgres"]:
        ratio = results["postgres"]["ratio_to_duckdb"]
        add("PostgreSQL / DuckDB full build (x)", ratio, "<= 3", ratio <= 3)
        evaluation = results["postgres"]["after_build"].get("ratio_to_duckdb")
        if evaluation is not None:
            add("PostgreSQL / DuckDB evaluation (x)", evaluation, "not a target", None)
    return rows
