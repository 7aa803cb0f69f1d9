"""The daily increment: the last day arrives on a warehouse built to the day before.

The full build's DuckDB file is copied aside as the reference, and everything that became known
after the previous session's close is taken out of the build's own file (that day's bars,
filings and macro vintages in raw, that day's rows of the per-day marts and the factor tables).
Then the day arrives the way it does in production: the companies that filed and the series
that released, then the after-close run (bars, marts, the day's factors, a new published
version). The day's factor values and prices must equal the full build's, and the new version
must hold the day.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl

from factor_mart.publish import read_pointer
from factor_mart.settings import Settings
from factor_mart.warehouse import connect

REFERENCE_FILE = "full-reference.duckdb"  # the full build, kept for the comparison
BUILD_FILE = "build.json"  # the universe a kept folder's full build is of
# Tables holding one row set per trading day, the day column, and the columns compared.
PER_DAY = {
    "marts.fct_prices_daily": "trading_date",
    "marts.fct_macro_asof": "trading_date",
    "marts.fct_factor_values": "date",
    "marts.fct_factor_coverage": "date",
}
FACTOR_KEY = ("date", "symbol", "factor")
FACTOR_VALUES = ("raw", "z", "rank", "sector_z")
# Relative: a sum taken in another order differs in the last bits, and market values near
# 1e10 carry an ulp of ~1e-6.
TOLERANCE = 1e-9


def keep_build(folder: Path, full: Settings, universe: dict) -> None:
    """Copy the full build aside in ``folder`` as the increment's reference, noting the
    universe it is of (see `restore_build`)."""
    shutil.copyfile(full.duckdb_path, folder / REFERENCE_FILE)
    (folder / BUILD_FILE).write_text(json.dumps(universe))


def restore_build(folder: Path, full: Settings, universe: dict) -> bool:
    """Make ``full`` the full build again from the copy an earlier increment kept in ``folder``
    (`--stages increment --keep DIR`: the increment again without the build, ~10x sooner);
    False when ``folder`` holds no such copy of a build of ``universe``."""
    reference, noted = folder / REFERENCE_FILE, folder / BUILD_FILE
    if not (reference.exists() and noted.exists()
            and json.loads(noted.read_text()) == universe):
        return False
    shutil.copyfile(reference, full.duckdb_path)
    Path(f"{full.duckdb_path}.wal").unlink(missing_ok=True)
    return True


def table_sizes(settings: Settings) -> dict[str, int]:
    """Rows in every raw and mart table."""
    with connect(settings, read_only=True) as wh:
        names = wh.query(
            "select table_schema || '.' || table_name as t from information_schema.tables "
            "where table_schema in ('raw', 'marts') and table_type = 'BASE TABLE' order by 1"
        )["t"].to_list()
        return {n: int(wh.query(f"select count(*) as n from {n}")["n"][0]) for n in names}


def _existing(wh, tables) -> list[str]:
    found = set(wh.query("select table_schema || '.' || table_name as t "
                         "from information_schema.tables")["t"].to_list())
    return [t for t in tables if t in found]


def roll_back_day(settings: Settings, day: date) -> dict:
    """Remove from the warehouse what became known after the session before ``day``; which
    companies and series had news, and how many rows went."""
    with connect(settings) as wh:
        cutoff = wh.query("select max(available_at) as t from raw.ib_bars "
                          f"where bar_date < date '{day}'")["t"][0]
        raw_tables = wh.query(
            "select table_name from information_schema.columns where table_schema = 'raw' "
            "and column_name = 'available_at' order by 1")["table_name"].to_list()
        late = f"available_at > timestamp '{cutoff}'"
        ciks = sorted({int(c) for t in raw_tables if t.startswith("edgar_")
                       and "cik" in _columns(wh, t)
                       for c in wh.query(f"select distinct cik from raw.{t} where {late}")["cik"]
                       if c is not None})
        series = sorted({s for t in ("fred_observations", "fred_series") if t in raw_tables
                         for s in wh.query(f"select distinct series_id from raw.{t} "
                                           f"where {late}")["series_id"]})
        removed = {}
        with wh.transaction():
            for table in raw_tables:
                removed[f"raw.{table}"] = wh.execute(f"delete from raw.{table} where {late}")
            for table in _existing(wh, PER_DAY):
                removed[table] = wh.execute(
                    f"delete from {table} where {PER_DAY[table]} >= date '{day}'")
    return {"cutoff": str(cutoff),
            "companies_filed": [f"{c:010d}" for c in ciks],
            "series_released": series, "rows_removed": removed}


def _columns(wh, table: str) -> list[str]:
    return wh.query("select column_name from information_schema.columns "
                    f"where table_schema = 'raw' and table_name = '{table}'")[
        "column_name"].to_list()


def factor_rows(settings: Settings, day: date) -> pl.DataFrame:
    """fct_factor_values for one day."""
    with connect(settings, read_only=True) as wh:
        return wh.query(f"select {', '.join(FACTOR_KEY + FACTOR_VALUES)} "
                        f"from marts.fct_factor_values where date = date '{day}'")


def price_rows(settings: Settings, day: date) -> pl.DataFrame:
    """fct_prices_daily for one day, without load bookkeeping (when/which load wrote it)."""
    with connect(settings, read_only=True) as wh:
        frame = wh.query(f"select * from marts.fct_prices_daily where trading_date = date '{day}'")
    keep = [c for c in frame.columns if not (c.endswith("_at") or c.endswith("load_id"))]
    return frame.select(keep).sort("symbol")


def differences(incremental: pl.DataFrame, full: pl.DataFrame) -> dict:
    """Rows present on one side only, and values differing by more than TOLERANCE relative
    (to the full build's magnitude, at least 1)."""
    joined = incremental.join(full, on=list(FACTOR_KEY), how="full", coalesce=True,
                              suffix="_full")
    one_side = joined.filter(pl.col("raw").is_null() & pl.col("raw_full").is_not_null()
                             | pl.col("raw").is_not_null() & pl.col("raw_full").is_null()).height
    differing = {}
    for column in FACTOR_VALUES:
        a, b = pl.col(column), pl.col(f"{column}_full")
        gap = (a - b).abs()
        differing[column] = {
            "rows": joined.select((gap > TOLERANCE * pl.max_horizontal(b.abs(), 1.0)).sum()
                                  ).item(),
            "null_mismatch": joined.select((a.is_null() != b.is_null()).sum()).item(),
            "max_abs": joined.select(gap.max()).item() or 0.0}
    return {"rows_incremental": incremental.height, "rows_full": full.height,
            "rows_on_one_side": one_side, "columns": differing,
            "equal": incremental.height == full.height and incremental.height > 0
            and one_side == 0 and all(d["rows"] == 0 and d["null_mismatch"] == 0
                                      for d in differing.values())}


def run_increment(full: Settings, folder: Path, day: date, env_for, progress=print) -> dict:
    """Roll the build back by the last day, bring the day in through Dagster, compare with the
    copy `keep_build` set aside.

    The increment runs on the build's own file, as a deployment's warehouse keeps its path:
    dbt's saved parse depends on it (a new path re-parsed the project, ~5 s)."""
    from factor_mart.bench.runner import FACTOR_STEP, INCREMENT_JOBS, REFRESH_JOB, run_child

    settings = full
    built = Settings(backend=full.backend, duckdb_path=folder / REFERENCE_FILE)
    reference = factor_rows(built, day)
    reference_prices = price_rows(built, day)
    rolled = roll_back_day(settings, day)
    progress(f"  rolled back to {rolled['cutoff']}: {len(rolled['companies_filed'])} filings, "
             f"{len(rolled['series_released'])} macro releases")
    # The day's filers and releases land as the source_updates sensor lands them: one run.
    news = {"edgar": rolled["companies_filed"], "fred": rolled["series_released"]}
    env = env_for(settings)
    stages = []
    for job in INCREMENT_JOBS:
        if job == REFRESH_JOB:
            if not any(news.values()):
                continue  # no source had news that day
            args = ["job", job] + [f"--keys={source}={','.join(keys)}"
                                   for source, keys in news.items() if keys]
        else:
            args = ["job", job, "--only", day.isoformat()]
        result = run_child(f"increment:{job}", args, env, folder / f"increment-{job}.json")
        progress(f"  {result.name}: {result.seconds:.1f} s, {result.peak_rss_mb:,.0f} MB")
        stages.append(result)
    prices = price_rows(settings, day)
    # The run's new version must hold the day (a publish that ran before the factors did not).
    published = read_pointer(settings)
    published_through = published.max_date if published else None
    factor_step = {k: v for m in stages for k, v in m.summary.get("steps", {}).items()
                   if k == FACTOR_STEP}
    comparison = differences(factor_rows(settings, day), reference)
    return {"day": str(day), **rolled, "stages": [m.as_dict() for m in stages],
            "total_seconds": round(sum(m.seconds for m in stages), 2),
            "total_cpu_seconds": round(sum(m.cpu_seconds for m in stages), 2),
            "peak_rss_mb": round(max(m.peak_rss_mb for m in stages), 1),
            "factor_compute_seconds": round(sum(factor_step.values()), 3),
            "factor_values": comparison,
            "prices_equal": prices.equals(reference_prices),
            "published_through": str(published_through),
            "equals_full_rebuild": comparison["equal"] and prices.equals(reference_prices)
            and published_through == day}
