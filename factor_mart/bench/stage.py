"""One benchmark stage in its own process, so its wall time and peak RSS are its own.

`python -m factor_mart.bench.stage job <name> [--last DAY | --only DAY | --keys SOURCE=K,K ...]`
runs a Dagster job of the code location (settings from the environment) in one run: over its
partitions up to --last or the month of --only (after_close_job: the day, as its schedule runs
it), or the refresh job over each source's --keys;
`python -m factor_mart.bench.stage technical <polars|talib> ...` computes the technical
indicators with one engine. Each writes a JSON summary to --out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from datetime import date
from pathlib import Path

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _keys(job, last: date | None, only: date | None) -> list[str]:
    """The partition keys one run covers: every key up to ``last``, or just ``only``'s."""
    import dagster as dg

    all_keys = job.partitions_def.get_partition_keys()
    if not isinstance(job.partitions_def, dg.TimeWindowPartitionsDefinition):
        return all_keys
    if only is not None:
        from orchestration.lib.partitions import month_key

        return [month_key(only)]
    return [k for k in all_keys if last is None or k <= last.isoformat()]  # keys: month starts


def step_spans(instance, run_id: str) -> dict[str, tuple[float, float]]:
    """When each step of a run started and ended (epoch seconds), from the event log."""
    import dagster as dg

    started: dict[str, float] = {}
    spans: dict[str, tuple[float, float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type is dg.DagsterEventType.STEP_START:
            started[event.step_key] = entry.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS,
                                  dg.DagsterEventType.STEP_FAILURE):
            spans[event.step_key] = (started[event.step_key], entry.timestamp)
    return spans


class MemorySampler:
    """The resident memory of this process and its children (dbt runs in one), sampled every
    ``interval`` seconds on a thread, so that each step of a run has its own peak: the
    process's peak RSS (wait4) is only the run's."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (epoch seconds, MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            rss = me.memory_info().rss
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # ended since the listing
                    rss += child.memory_info().rss
            self.samples.append((time.time(), rss / 2**20))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mb(self, start: float, end: float) -> float:
        """The largest sample within [start, end] (0 if the span was shorter than a sample)."""
        return max((mb for at, mb in self.samples if start <= at <= end), default=0.0)


def process_age() -> float:
    """Seconds since this process started: before a run, the interpreter's start, the imports
    and loading the code location, which every Dagster run pays (a run worker is a new
    process)."""
    import psutil

    return time.time() - psutil.Process().create_time()


def timed_assets(result) -> dict[str, dict]:
    """The phases an asset timed itself (its ``seconds`` metadata), e.g. the factor stage's
    load / histories / cross_sections / waiting_for_writes."""
    timed = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if "seconds" in materialization.metadata:
            timed[event.asset_key.to_user_string()] = materialization.metadata["seconds"].value
    return timed


def asset_windows(result) -> dict[str, str]:
    """The days an asset computed, where it says (its ``window`` metadata): the factor step of
    an after-close run computes the day, not its month."""
    return {event.asset_key.to_user_string(): metadata["window"].value
            for event in result.get_asset_materialization_events()
            if "window" in (metadata := event.step_materialization_data.materialization.metadata)}


def run_job(name: str, last: date | None, only: date | None,
            keys: dict[str, list[str]] | None = None) -> dict:
    """Execute one job in process on an ephemeral instance (storage in memory); the summary of
    the run. On an instance's SQLite files each event costs ~60 ms on this disk (a commit with
    fsync per event, measured with 1,000 materializations against ~5 ms in memory): a build's
    ~4,000 materializations would measure the disk, not the pipeline."""
    import dagster as dg

    from factor_mart.settings import Settings
    from orchestration.definitions import build_definitions
    from orchestration.defs.daily.definitions import AFTER_CLOSE_JOB, after_close_config
    from orchestration.lib.schedules import partition_range_tags

    defs = build_definitions(Settings())
    jobs = {job.name: job for job in defs.resolve_all_job_defs()}
    if name not in jobs:
        return {"job": name, "present": False}
    job = jobs[name]
    chosen, config = [], QUIET
    if job.partitions_def is not None:
        chosen = _keys(job, last, only)
        if only is not None and name == AFTER_CLOSE_JOB:  # as its schedule runs it
            config = QUIET | after_close_config(only)
    elif keys:  # the refresh job: each source's keys are its op's config
        chosen = [key for source_keys in keys.values() for key in source_keys]
        config = QUIET | {"ops": {f"refresh_{source}": {"config": {"keys": source_keys}}
                                  for source, source_keys in keys.items()}}
    loading = process_age()
    with dg.DagsterInstance.ephemeral() as instance, MemorySampler() as memory:
        tags = partition_range_tags(chosen) if job.partitions_def is not None else {}
        began = time.perf_counter()
        result = job.execute_in_process(instance=instance, tags=tags, run_config=config,
                                        raise_on_error=False)
        run = time.perf_counter() - began
        if not result.success:
            raise SystemExit(f"{name} failed for keys {chosen[:1]}..{chosen[-1:]}")
        spans = step_spans(instance, result.run_id)
    failed_checks = [f"{e.asset_key.to_user_string()}:{e.check_name}"
                     + ("" if e.severity is dg.AssetCheckSeverity.ERROR else " (warn)")
                     for e in result.get_asset_check_evaluations() if not e.passed]
    return {"job": name, "present": True, "partitions": len(chosen),
            "first": chosen[0] if chosen else None, "last": chosen[-1] if chosen else None,
            "loading_seconds": round(loading, 3), "run_seconds": round(run, 3),
            "steps": {step: round(end - start, 3) for step, (start, end) in spans.items()},
            "step_peak_rss_mb": {step: round(memory.peak_mb(*span), 1)
                                 for step, span in spans.items()},
            "asset_seconds": timed_assets(result), "asset_windows": asset_windows(result),
            "failed_checks": sorted(set(failed_checks))}


def run_technical(engine: str, bars: Path, values_out: Path) -> dict:
    """Read the bars, compute the indicators with ``engine`` (reading included), save them."""
    from factor_mart.bench.technical import technical

    began = time.perf_counter()
    values = technical(engine, bars)
    seconds = time.perf_counter() - began
    values.write_parquet(values_out)
    return {"engine": engine, "rows": values.height, "read_and_compute_seconds": round(seconds, 3),
            "factors": values.width - 2}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m factor_mart.bench.stage")
    sub = parser.add_subparsers(dest="stage", required=True)
    job = sub.add_parser("job")
    job.add_argument("name")
    job.add_argument("--last", type=date.fromisoformat)
    job.add_argument("--only", type=date.fromisoformat)
    job.add_argument("--keys", action="append", default=[], metavar="SOURCE=K,K",
                     help="the refresh job's keys of one source (repeat per source)")
    tech = sub.add_parser("technical")
    tech.add_argument("engine", choices=("polars", "talib"))
    tech.add_argument("--bars", type=Path, required=True)
    tech.add_argument("--values", type=Path, required=True)
    for p in (job, tech):
        p.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.stage == "job":
        keys = dict(item.split("=", 1) for item in args.keys)
        summary = run_job(args.name, args.last, args.only,
                          {source: listed.split(",") for source, listed in keys.items()})
    else:
        summary = run_technical(args.engine, args.bars, args.values)
    args.out.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
