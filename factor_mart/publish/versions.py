"""What a published version is: its number, date range, row counts and freshness, recorded in
`marts.mart_versions` and announced to the API's streams."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import Warehouse

VERSIONS_TABLE = "mart_versions"
VERSIONS_DDL = """
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


def mart_tables(wh: Warehouse) -> list[str]:
    # Base tables only: the wide BI views are not read by the API and would be materialised.
    # On PostgreSQL not the partitions of a partitioned table either: they are its rows.
    sql = ("SELECT relname AS table_name FROM pg_class WHERE relnamespace = 'marts'::regnamespace "
           "AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY relname"
           if wh.backend is Backend.postgres else
           "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
           "AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [n for n in wh.query(sql)["table_name"].to_list() if n != VERSIONS_TABLE]


def describe(wh: Warehouse, tables: list[str]) -> tuple[dict, dict, date | None, date | None]:
    """Row counts, per-source freshness and the factor date range of the marts right now: one
    scan of each table (PostgreSQL scans a table for each aggregate query: three of the factor
    values took ~3 s at 250 symbols)."""
    dated = {table: column for table, column in FRESHNESS_COLUMNS.values()}
    counts: dict[str, int] = {}
    bounds: dict[str, tuple[Any, Any]] = {}
    for table in tables:
        column = dated.get(table)
        extra = f", min({column}) AS lo, max({column}) AS hi" if column else ""
        row = wh.query(f"SELECT count(*) AS n{extra} FROM marts.{table}").row(0, named=True)
        counts[table] = int(row["n"])
        if column:
            bounds[table] = (row["lo"], row["hi"])
    freshness = {source: (bounds[table][1].isoformat()[:10]
                          if bounds[table][1] is not None else None)
                 for source, (table, _) in FRESHNESS_COLUMNS.items() if table in bounds}
    low, high = next((bounds[t] for t in ("fct_factor_values", "fct_prices_daily")
                      if t in bounds), (None, None))
    return counts, freshness, _as_date(low), _as_date(high)


def _as_date(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def insert_version(wh: Warehouse, v: MartVersion, table: str = "marts.mart_versions") -> None:
    wh.execute(f"INSERT INTO {table} VALUES ({', '.join([wh.placeholder] * 7)})",
               [v.version, v.published_at, v.min_date, v.max_date, json.dumps(v.row_counts),
                json.dumps(v.freshness), v.location])


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
