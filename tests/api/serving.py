"""Test helpers: a small hand-made mart and a real `factor-mart serve` process on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import httpx
import polars as pl

from factor_mart.settings import Settings
from factor_models.catalog import DIM_FACTOR_SCHEMA
from factor_models.evaluation import ic_summary

CLI = Path(sys.executable).parent / "factor-mart"
DATES = [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)]
SYMBOLS = ["AAA", "BBB", "CCC"]
FACTORS = {"ret_1d": "technical", "beta_dgs10_252d": "cross_source", "dgs10_level": "macro"}
STOCK_FACTORS = ["ret_1d", "beta_dgs10_252d"]
DIRECTIONS = {"ret_1d": 1, "beta_dgs10_252d": -1, "dgs10_level": 0}
# Rank IC per (factor, horizon) on DATES, chosen so each IC IR is a round number (mean / std).
RANK_IC = {
    ("ret_1d", 1): [0.1, 0.2, 0.3],  # IR 2.0
    ("ret_1d", 5): [0.3, -0.1, 0.1],  # IR 0.5
    ("ret_1d", 21): [0.2, 0.4, 0.6],  # IR 2.0
    ("beta_dgs10_252d", 1): [-0.2, -0.3, -0.4],  # IR -3.0 (direction -1: score 3.0)
    ("beta_dgs10_252d", 5): [0.1, 0.3, 0.5],  # IR 1.5 (score -1.5)
    ("beta_dgs10_252d", 21): [-0.1, 0.1, -0.3],  # IR -0.5 (score 0.5)
}
SECTOR_RANK_IC = {"Energy": [0.5, 0.7, 0.9], "Technology": [-0.1, 0.1, 0.3]}  # ret_1d, h 1


def raw_value(day_index: int, symbol_index: int, factor_index: int) -> float:
    """The raw value the fixture stores (tests recompute it to check what the API returns)."""
    return 100.0 * factor_index + 10.0 * day_index + symbol_index + 0.5


def factor_values() -> pl.DataFrame:
    rows = []
    for d, day in enumerate(DATES):
        for f, factor in enumerate(STOCK_FACTORS):
            for s, symbol in enumerate(SYMBOLS):
                rows.append({"date": day, "symbol": symbol, "factor": factor,
                             "raw": raw_value(d, s, f), "z": s - 1.0, "rank": (s + 1) / 3,
                             "sector_z": None if symbol == "CCC" else 0.25 * s})
    return pl.DataFrame(rows, schema={"date": pl.Date, "symbol": pl.String, "factor": pl.String,
                                      "raw": pl.Float64, "z": pl.Float64, "rank": pl.Float64,
                                      "sector_z": pl.Float64})


def dim_factor() -> pl.DataFrame:
    rows = [{"factor": name, "family": family,
             "sources": {"technical": "ibkr", "cross_source": "ibkr, fred",
                         "macro": "fred"}[family],
             "description": f"{name} test entry", "formula": "x", "unit": "ratio",
             "direction": DIRECTIONS[name], "higher_is_better": {1: True, -1: False}.get(
                 DIRECTIONS[name]), "lookback_days": 1, "cadence": "daily",
             "reference": "test", "inputs": "adjusted_close", "compute": "test"}
            for name, family in FACTORS.items()]
    return pl.DataFrame(rows, schema=DIM_FACTOR_SCHEMA, orient="row")


def factor_ic() -> pl.DataFrame:
    """fct_factor_ic: one rank and Pearson IC per date, stock-level factor and horizon."""
    rows = [{"date": day, "factor": factor, "horizon": horizon, "rank_ic": ic,
             "pearson_ic": ic / 2, "n": 3}
            for (factor, horizon), ics in RANK_IC.items() for day, ic in zip(DATES, ics,
                                                                             strict=True)]
    return pl.DataFrame(rows, schema={"date": pl.Date, "factor": pl.String, "horizon": pl.Int16,
                                      "rank_ic": pl.Float64, "pearson_ic": pl.Float64,
                                      "n": pl.Int32})


def factor_eval() -> pl.DataFrame:
    """fct_factor_eval: the IC summary of `factor_ic` plus quantile and stability columns."""
    summary = ic_summary(factor_ic())
    return summary.with_columns(
        ic_decay=pl.col("ic_mean") / pl.col("ic_mean").sort_by("horizon").first().over("factor"),
        turnover=0.25, rank_autocorr=0.75, coverage=1.0, mean_symbols=3.0,
        first_date=pl.lit(DATES[0]), last_date=pl.lit(DATES[-1]),
        **{f"q{q}_return": pl.lit(0.001 * (q - 3)) for q in range(1, 6)},
        **{f"q{q}_return_se": pl.lit(0.0005) for q in range(1, 6)},
        spread=pl.lit(0.004), spread_se=pl.lit(0.001),
        direction=pl.col("factor").replace_strict(DIRECTIONS, return_dtype=pl.Int16),
    ).sort("factor", "horizon")


def factor_eval_sector() -> pl.DataFrame:
    """fct_factor_eval_sector: ret_1d's one-day rank IC summary within two sectors."""
    daily = pl.DataFrame([{"factor": "ret_1d", "horizon": 1, "sector": sector, "date": day,
                           "rank_ic": ic, "pearson_ic": None, "n": 3}
                          for sector, ics in SECTOR_RANK_IC.items()
                          for day, ic in zip(DATES, ics, strict=True)],
                         schema={"factor": pl.String, "horizon": pl.Int16, "sector": pl.String,
                                 "date": pl.Date, "rank_ic": pl.Float64,
                                 "pearson_ic": pl.Float64, "n": pl.Int32})
    return ic_summary(daily, by=("factor", "horizon", "sector"))


def write_marts(path: Path, shift: float = 0.0) -> None:
    """Create (or replace) the mart tables the API reads; `shift` changes every raw value."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        frames = {
            "fct_factor_values": factor_values().with_columns(pl.col("raw") + shift),
            "dim_factor": dim_factor(),
            "fct_macro_series": pl.DataFrame({"date": DATES, "factor": ["dgs10_level"] * 3,
                                              "value": [3.9, 3.95, float("nan")]}),
            "fct_macro_regime": pl.DataFrame({"date": DATES,
                                              "regime": ["expansion", "expansion", "slowdown"],
                                              "growth_signal": [0.5, 0.25, -0.5]}),
            "fct_prices_daily": pl.DataFrame({"symbol": ["AAA"], "trading_date": [DATES[-1]],
                                              "adjusted_close": [10.0]}),
            "fct_factor_ic": factor_ic(),
            "fct_factor_eval": factor_eval(),
            "fct_factor_eval_sector": factor_eval_sector(),
        }
        for name, frame in frames.items():
            con.register("incoming", frame.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE marts.{name} AS SELECT * FROM incoming")
            con.unregister("incoming")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    env: dict[str, str]
    settings: Settings

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(CLI), *args], env=self.env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


def start_server(settings: Settings, **api_env: str) -> Server:
    port = free_port()
    env = os.environ | {"FACTOR_MART_BACKEND": settings.backend.value,
                        "FACTOR_MART_DUCKDB_PATH": str(settings.duckdb_path),
                        "FACTOR_MART_API_POLL_SECONDS": "0.2",
                        "FACTOR_MART_API_HEARTBEAT_SECONDS": "1"}
    if settings.postgres_dsn:
        env["FACTOR_MART_POSTGRES_DSN"] = settings.postgres_dsn
    env |= {f"FACTOR_MART_{k.upper()}": v for k, v in api_env.items()}
    log = open(settings.duckdb_path.parent / f"server-{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen([str(CLI), "serve", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(Path(log.name).read_text())
        try:
            httpx.get(f"{url}/v1/health", timeout=1)
            return Server(url, process, env, settings)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start: {Path(log.name).read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


def sse_events(lines, count: int, include_comments: bool = False) -> list[dict]:
    """Read `count` SSE events (or comment lines) from `response.iter_lines()`."""
    events, current = [], {}
    for line in lines:
        if line.startswith(":"):
            if include_comments:
                events.append({"comment": line})
        elif not line:
            if current:
                events.append(current)
                current = {}
        else:
            name, _, value = line.partition(":")
            current[name] = value.strip()
        if len(events) >= count:
            return events
    return events


_PG_TYPES = {pl.Date: "DATE", pl.Float64: "DOUBLE PRECISION", pl.String: "TEXT",
             pl.Int8: "SMALLINT", pl.Int16: "SMALLINT", pl.Int32: "INTEGER", pl.Int64: "BIGINT",
             pl.Boolean: "BOOLEAN"}


def write_marts_postgres(dsn: str, shift: float = 0.0) -> None:
    """The same mart tables as `write_marts`, in PostgreSQL."""
    import psycopg

    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    scratch = folder / f"marts-{os.getpid()}.duckdb"
    scratch.unlink(missing_ok=True)
    write_marts(scratch, shift)
    with duckdb.connect(str(scratch), read_only=True) as con:
        frames = {name: con.sql(f"SELECT * FROM marts.{name}").pl() for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
        ).fetchall()}
    scratch.unlink()
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for name, frame in frames.items():
            columns = ", ".join(f"{c} {_PG_TYPES[t.base_type()]}" for c, t in frame.schema.items())
            with pg.transaction():
                pg.execute(f"DROP TABLE IF EXISTS marts.{name}")
                pg.execute(f"CREATE TABLE marts.{name} ({columns})")
                with pg.cursor() as cur:
                    cur.executemany(f"INSERT INTO marts.{name} VALUES "
                                    f"({', '.join(['%s'] * frame.width)})", frame.rows())
