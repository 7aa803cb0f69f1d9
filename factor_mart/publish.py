"""Publish the marts as an immutable, numbered version that the API reads while builds run.

DuckDB: the marts schema is copied into `snapshots/mart-<version>.duckdb` beside the warehouse
file, renamed into place, and `snapshots/current.json` is swapped atomically (os.replace).
PostgreSQL: the marts are copied into schema `mart_v<version>` in one REPEATABLE READ
transaction that also inserts the `marts.mart_versions` row, so readers see the old or the new
version, never a half-copied one. Old versions beyond `snapshot_keep` are removed.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import Warehouse, connect

VERSIONS_TABLE = "mart_versions"
_VERSIONS_DDL = """
CREATE TABLE IF NOT EXISTS marts.mart_versions (
    version BIGINT NOT NULL, published_at TIMESTAMP NOT NULL, min_date DATE, max_date DATE,
    row_counts VARCHAR NOT NULL, freshness VARCHAR NOT NULL, location VARCHAR NOT NULL
)"""

# Per source, the newest date the marts hold: (table, column).
FRESHNESS_COLUMNS = {
    "ibkr": ("fct_prices_daily", "trading_date"),
    "edgar": ("fct_fundamentals_asof", "known_from"),
    "fred": ("fct_macro_asof", "trading_date"),
    "factors": ("fct_factor_values", "date"),
    "macro_factors": ("fct_macro_series", "date"),
}
_SNAPSHOT_NAME = re.compile(r"^mart-(\d+)\.duckdb$")
PUBLISH_MEMORY_LIMIT = "3GB"


@dataclass(frozen=True)
class MartVersion:
    """One published version of the marts and where readers find it."""

    version: int
    published_at: datetime
    min_date: date | None
    max_date: date | None
    row_counts: dict[str, int] = field(default_factory=dict)
    freshness: dict[str, str | None] = field(default_factory=dict)
    location: str = ""  # snapshot file name (DuckDB) or schema name (PostgreSQL)

    def event(self) -> dict[str, Any]:
        """The stream event announcing this version (its id is the version number)."""
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat()
        for key in ("min_date", "max_date"):
            data[key] = data[key].isoformat() if data[key] else None
        data.pop("location")
        return {"id": self.version, "type": "mart_published", "data": data}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MartVersion:
        return cls(version=int(row["version"]), published_at=row["published_at"],
                   min_date=row["min_date"], max_date=row["max_date"],
                   row_counts=json.loads(row["row_counts"]),
                   freshness=json.loads(row["freshness"]), location=row["location"])


def snapshot_dir(settings: Settings) -> Path:
    return settings.duckdb_path.parent / "snapshots"


def _mart_tables(wh: Warehouse) -> list[str]:
    # Base tables only: the wide BI views are not read by the API and would be materialised.
    names = wh.query("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                     "'marts' AND table_type = 'BASE TABLE' ORDER BY table_name")["table_name"]
    names = names.to_list()
    return [n for n in names if n != VERSIONS_TABLE]


def _describe(wh: Warehouse, tables: list[str]) -> tuple[dict, dict, date | None, date | None]:
    """Row counts, per-source freshness and the factor date range of the marts right now."""
    counts = {t: int(wh.query(f"SELECT count(*) AS n FROM marts.{t}")["n"][0]) for t in tables}
    freshness: dict[str, str | None] = {}
    for source, (table, column) in FRESHNESS_COLUMNS.items():
        if table in tables:
            newest = wh.query(f"SELECT max({column}) AS d FROM marts.{table}")["d"][0]
            freshness[source] = newest.isoformat()[:10] if newest is not None else None
    range_table, column = next(
        ((t, c) for t, c in (("fct_factor_values", "date"), ("fct_prices_daily", "trading_date"))
         if t in tables), (None, None))
    low = high = None
    if range_table:
        bounds = wh.query(f"SELECT min({column}) AS lo, max({column}) AS hi "
                          f"FROM marts.{range_table}")
        low, high = bounds["lo"][0], bounds["hi"][0]
    return counts, freshness, _as_date(low), _as_date(high)


def _as_date(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _insert_version(wh: Warehouse, v: MartVersion, table: str = "marts.mart_versions") -> None:
    wh.execute(f"INSERT INTO {table} VALUES ({', '.join([wh.placeholder] * 7)})",
               [v.version, v.published_at, v.min_date, v.max_date, json.dumps(v.row_counts),
                json.dumps(v.freshness), v.location])


def publish(settings: Settings | None = None) -> MartVersion:
    """Publish the current marts as the next version and announce it to the API's streams."""
    settings = settings or Settings()
    if settings.backend is Backend.postgres:
        version = _publish_postgres(settings)
    else:
        version = _publish_duckdb(settings)
    announce(settings, version)
    return version


def _publish_duckdb(settings: Settings) -> MartVersion:
    folder = snapshot_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with connect(settings) as wh:  # the write lock keeps builds out while we copy
        # DuckDB would otherwise keep what it reads cached up to 80% of RAM (9+ GB copying
        # 1,000 symbols x 10 years); the copy streams and the sorts spill to disk instead.
        wh.execute(f"SET memory_limit = '{PUBLISH_MEMORY_LIMIT}'")
        wh.execute("CREATE SCHEMA IF NOT EXISTS marts")
        wh.execute(_VERSIONS_DDL)
        tables = _mart_tables(wh)
        stored = wh.query("SELECT coalesce(max(version), 0) AS v FROM marts.mart_versions")["v"][0]
        number = max([int(stored)] + [int(m.group(1)) for p in folder.iterdir()
                                      if (m := _SNAPSHOT_NAME.match(p.name))]) + 1
        counts, freshness, low, high = _describe(wh, tables)
        version = MartVersion(number, datetime.now(UTC).replace(tzinfo=None), low, high,
                              counts, freshness, f"mart-{number}.duckdb")
        partial = folder / f".mart-{number}.duckdb.partial"
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)  # left by a publish that was killed
        wh.execute(f"ATTACH '{partial}' AS snap")
        try:
            wh.execute("CREATE SCHEMA snap.marts")
            for table in tables:
                _copy_to_snapshot(wh, table)
            wh.execute("CREATE TABLE snap.marts.mart_versions AS "
                       "SELECT * FROM marts.mart_versions")
            _insert_version(wh, version, "snap.marts.mart_versions")
        finally:
            wh.execute("DETACH snap")
        os.replace(partial, folder / version.location)
        _insert_version(wh, version)
    _write_pointer(folder, version)
    for old in folder.iterdir():
        match = _SNAPSHOT_NAME.match(old.name)
        if match and int(match.group(1)) <= number - settings.snapshot_keep:
            old.unlink(missing_ok=True)  # open readers keep their file handle (POSIX)
    return version


# Row order of a table in the DuckDB snapshot, for the API's reads: (date column, order
# within each calendar year). fct_factor_values by factor, symbol and date a year at a time:
# a factor's cross-section on a date reads one factor-year, a symbol's history of a few
# factors one row group per factor and year. In the build's date order a history read every
# row of its date range (24 M rows a year at 1,000 symbols: 0.1-0.5 s instead of ~6 ms).
SNAPSHOT_ORDER = {"fct_factor_values": ("date", "factor, symbol, date")}


def _copy_to_snapshot(wh: Warehouse, table: str) -> None:
    if table not in SNAPSHOT_ORDER:
        wh.execute(f"CREATE TABLE snap.marts.{table} AS SELECT * FROM marts.{table}")
        return
    column, order = SNAPSHOT_ORDER[table]
    wh.execute(f"CREATE TABLE snap.marts.{table} AS SELECT * FROM marts.{table} LIMIT 0")
    years = wh.query(f"SELECT DISTINCT year({column}) AS y FROM marts.{table} ORDER BY y")
    for year in years["y"].to_list():  # a year at a time: each sort fits in memory
        wh.execute(f"INSERT INTO snap.marts.{table} SELECT * FROM marts.{table} "
                   f"WHERE {column} >= make_date({year}, 1, 1) "
                   f"AND {column} < make_date({year + 1}, 1, 1) ORDER BY {order}")


def _write_pointer(folder: Path, version: MartVersion) -> None:
    pointer = folder / "current.json"
    partial = folder / "current.json.partial"
    partial.write_text(json.dumps(version.event()["data"] | {"location": version.location}))
    os.replace(partial, pointer)


def read_pointer(settings: Settings) -> MartVersion | None:
    """The DuckDB snapshot readers should use now, or None before the first publish."""
    try:
        data = json.loads((snapshot_dir(settings) / "current.json").read_text())
    except FileNotFoundError:
        return None
    return MartVersion(
        version=data["version"], published_at=datetime.fromisoformat(data["published_at"]),
        min_date=date.fromisoformat(data["min_date"]) if data["min_date"] else None,
        max_date=date.fromisoformat(data["max_date"]) if data["max_date"] else None,
        row_counts=data["row_counts"], freshness=data["freshness"], location=data["location"])


def _publish_postgres(settings: Settings) -> MartVersion:
    with connect(settings) as wh:
        wh.execute("CREATE SCHEMA IF NOT EXISTS marts")
        wh.execute(_VERSIONS_DDL)
        with wh.transaction():
            # One snapshot of every mart table; the lock serialises concurrent publishers.
            wh.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            wh.execute("LOCK TABLE marts.mart_versions IN EXCLUSIVE MODE")
            tables = _mart_tables(wh)
            number = int(wh.query("SELECT coalesce(max(version), 0) AS v "
                                  "FROM marts.mart_versions")["v"][0]) + 1
            counts, freshness, low, high = _describe(wh, tables)
            version = MartVersion(number, datetime.now(UTC).replace(tzinfo=None), low, high,
                                  counts, freshness, f"mart_v{number}")
            wh.execute(f"CREATE SCHEMA {version.location}")
            for table in tables:
                wh.execute(f"CREATE TABLE {version.location}.{table} AS "
                           f"SELECT * FROM marts.{table}")
            _insert_version(wh, version)
            wh.execute(f"CREATE TABLE {version.location}.mart_versions AS "
                       "SELECT * FROM marts.mart_versions")
        old = wh.query("SELECT nspname FROM pg_namespace WHERE nspname ~ '^mart_v[0-9]+$'")
        for schema in old["nspname"].to_list() if old.height else []:
            if int(schema.removeprefix("mart_v")) <= number - settings.snapshot_keep:
                wh.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return version


def announce(settings: Settings, version: MartVersion) -> None:
    """Tell every API worker about the new version through the configured broadcaster.

    With `memory://` each API process notices the new version itself (it polls the pointer).
    """
    url = settings.api_broadcast_url
    payload = json.dumps(version.event())
    if url.startswith("redis://"):
        import redis

        with redis.Redis.from_url(url) as client:
            client.publish(settings.api_broadcast_channel, payload)
    elif url.startswith(("postgres://", "postgresql://")):
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute("SELECT pg_notify(%s, %s)", [settings.api_broadcast_channel, payload])
