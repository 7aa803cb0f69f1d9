"""`factor-mart`: what is not Dagster's job — demo, ad-hoc ingest, serve and bench."""

from __future__ import annotations

import os
import uuid
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from factor_mart.settings import Settings, SourceMode
from factor_mart.warehouse import LandingReport, connect, ensure_raw_schema, land
from ingestion.batch import PayloadError
from orchestration.lib.sources import SOURCES

Source = Enum("Source", {name: name for name in SOURCES}, type=str)

app = typer.Typer(help="Factor Mart: a point-in-time-correct equity factor warehouse.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()


@app.command()
def demo(
    record: Annotated[bool, typer.Option(help="keep the runs in $DAGSTER_HOME for the UI "
                                              "(slow where fsync is slow)")] = False,
) -> None:
    """Materialize every asset on the bundled sample into the DuckDB file, then summarise."""
    from factor_mart.demo import run_demo

    settings = Settings(source_mode=SourceMode.replay)
    run_demo(settings, console, record=record)
    print_summary(settings)


@app.command()
def ingest(
    source: Annotated[Source, typer.Argument(help="which source's payloads the folder holds")],
    from_dir: Annotated[Path, typer.Option("--from", exists=True, file_okay=False,
                                           help="folder of recorded payloads (replay layout)")],
) -> None:
    """Load recorded payloads of the real APIs' shape from a folder into the raw tables."""
    from orchestration.lib.sources import adapter

    source = source.value
    module = adapter(source)
    client = module.ReplayClient(from_dir)
    keys = sorted(client.keys())
    if not keys:
        raise typer.BadParameter(f"no {source} payloads found in {from_dir}")
    load_id, failed = f"cli-{uuid.uuid4()}", {}
    with connect() as wh, Progress(console=console) as progress:
        ensure_raw_schema(wh)
        task = progress.add_task(f"{source}: {len(keys)} payloads", total=len(keys))
        total = LandingReport(load_id)
        for key in keys:
            try:
                total.merge(land(wh, module.fetch(client, key), load_id, source, key))
            except PayloadError as exc:
                failed[key] = str(exc)
            progress.advance(task)
    for key, error in failed.items():
        console.print(f"[red]unreadable[/red] {key}: {error}")
    new_rows = {t: n for t, n in total.inserted.items() if t != "quarantine"}
    console.print(f"new rows: {new_rows}; records failing validation: {total.total_rejected} "
                  f"({total.inserted.get('quarantine', 0)} new in raw.quarantine); "
                  f"unreadable payloads: {len(failed)}")
    if failed and len(failed) == len(keys):
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default FACTOR_MART_API_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default FACTOR_MART_API_PORT")] = None,
    workers: Annotated[int, typer.Option(help="processes; >1 needs a redis:// or "
                                              "postgresql:// FACTOR_MART_API_BROADCAST_URL")] = 1,
) -> None:
    """Serve the REST API and streams (uvicorn) from the published mart versions."""
    import logging

    import uvicorn

    settings = Settings()
    if workers > 1 and settings.api_broadcast_url.startswith("memory://"):
        raise typer.BadParameter("several workers need a shared broadcaster: set "
                                 "FACTOR_MART_API_BROADCAST_URL to redis://... or postgresql://...")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if metrics_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # workers share /metrics
        Path(metrics_dir).mkdir(parents=True, exist_ok=True)
        for stale in Path(metrics_dir).glob("*.db"):  # a previous run's values
            stale.unlink()
    from api.main import SERVER_OPTIONS

    uvicorn.run("api.main:create_app", factory=True, host=host or settings.api_host,
                port=port or settings.api_port, workers=workers, access_log=False,
                log_level="info", **SERVER_OPTIONS)


apikey_app = typer.Typer(help="API keys: create (shown once, stored hashed), list, revoke.",
                         no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="who or what the key is for")],
    rate_limit: Annotated[int | None, typer.Option(help="requests a minute (default: "
                                                        "FACTOR_MART_API_RATE_LIMIT_PER_MINUTE)")]
    = None,
) -> None:
    """Create a key; the full key is printed once and only its hash is stored."""
    from api.keys import KeyStore

    key, token = KeyStore(Settings()).create(name, rate_limit)
    console.print(f"id: {key.key_id}")
    print(f"key: {token}")


@apikey_app.command("list")
def apikey_list() -> None:
    """Every key's id, name, limit and state (never the secret)."""
    from api.keys import KeyStore

    table = Table("id", "name", "rate limit", "created", "revoked")
    for key in KeyStore(Settings()).list():
        table.add_row(key.key_id, key.name, str(key.rate_limit_per_minute or "default"),
                      str(key.created_at)[:19], str(key.revoked_at or "")[:19])
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="the id shown by create/list")]
                  ) -> None:
    """Revoke a key; requests with it get 401 from then on."""
    from api.keys import KeyStore

    if not KeyStore(Settings()).revoke(key_id):
        console.print(f"[red]no live key with id {key_id}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")


bench_app = typer.Typer(help="Benchmarks: `bench` alone runs the full warehouse benchmark.",
                        invoke_without_command=True)
app.add_typer(bench_app, name="bench")


@bench_app.callback()
def bench_all(
    ctx: typer.Context,
    symbols: Annotated[int, typer.Option(help="synthetic companies")] = 1000,
    years: Annotated[int, typer.Option(help="years of daily history")] = 10,
    seed: Annotated[int, typer.Option(help="synthetic universe seed")] = 7,
    skip_postgres: Annotated[bool, typer.Option("--skip-postgres",
                                                help="DuckDB only")] = False,
    stages: Annotated[str, typer.Option(help="comma list of duckdb, increment, technical, "
                                             "postgres")] = "duckdb,increment,technical,postgres",
    keep: Annotated[Path | None, typer.Option(help="build in this folder and keep the "
                                                   "warehouses (default: a temporary folder)")]
    = None,
) -> None:
    """Full build (per-stage wall time and peak RSS), daily increment, technical factors
    versus pandas + TA-Lib, and the PostgreSQL full build; a table and bench_results/*.json."""
    if ctx.invoked_subcommand is not None:
        return
    from factor_mart.bench.report import print_results, write_json
    from factor_mart.bench.runner import STAGES, BenchConfig, run_bench

    chosen = tuple(s.strip() for s in stages.split(",") if s.strip())
    unknown = [s for s in chosen if s not in STAGES]
    if unknown:
        raise typer.BadParameter(f"unknown stage(s) {unknown}; choose from {', '.join(STAGES)}")
    if skip_postgres:
        chosen = tuple(s for s in chosen if s != "postgres")
    results = run_bench(BenchConfig(symbols=symbols, years=years, seed=seed, stages=chosen,
                                    keep=keep),
                        progress=console.print)
    print_results(results, console)
    console.print(f"results: {write_json(results)}")


@bench_app.command("api")
def bench_api(
    url: Annotated[str | None, typer.Option(help="a running API to time the REST routes of "
                                                 "(streams are skipped: they need to publish)")]
    = None,
    symbols: Annotated[int, typer.Option(help="symbols in the bench mart")] = 1000,
    years: Annotated[int, typer.Option(help="years of daily values in the bench mart")] = 10,
    published: Annotated[bool, typer.Option("--published", help="time the environment's "
                                            "published mart instead of a bench mart")] = False,
    requests: Annotated[int, typer.Option(help="requests per route")] = 500,
    concurrency: Annotated[str, typer.Option(help="client threads; a comma list runs each")
                           ] = "1,8",
    workers: Annotated[int, typer.Option(help="API server processes (uvicorn workers); >1 "
                                              "streams through --broadcast-url")] = 1,
    api_key: Annotated[str | None, typer.Option(envvar="FACTOR_MART_API_KEY")] = None,
    stream_clients: Annotated[int, typer.Option(help="fast stream clients, half SSE, half "
                                                     "WebSocket (0: no stream bench)")] = 1000,
    slow_clients: Annotated[int, typer.Option(help="clients that stop reading")] = 10,
    events: Annotated[int, typer.Option(help="publishes timed in each stream phase")] = 30,
    interval: Annotated[float, typer.Option(help="seconds between publishes")] = 0.5,
    broadcast_url: Annotated[str | None, typer.Option(
        help="the stream server's broadcaster (default FACTOR_MART_API_BROADCAST_URL)")] = None,
    send_buffer: Annotated[int, typer.Option(
        help="kernel send buffer of each stream connection, bytes (0: the kernel's, which "
             "grows to 4 MB on loopback)")] = 16384,
    profile: Annotated[Path | None, typer.Option(
        help="write a pyinstrument profile of the REST server (.txt or .html)")] = None,
) -> None:
    """Cross-section and history latency p50/p99 on a mart of SYMBOLS x YEARS, then
    publish-to-delivery latency to STREAM_CLIENTS stream clients, alone and with slow ones."""
    from api.bench.report import run_api_bench

    run_api_bench(console, url=url, symbols=symbols, years=years, published=published,
                  requests=requests,
                  concurrency=[int(c) for c in concurrency.split(",") if c.strip()],
                  api_key=api_key,
                  stream_clients=stream_clients, slow_clients=slow_clients, events=events,
                  interval=interval, broadcast_url=broadcast_url,
                  send_buffer=send_buffer or None, profile=profile, workers=workers)


def print_summary(settings: Settings) -> None:
    """Row counts of every raw and mart table."""
    where = settings.duckdb_path if settings.backend == "duckdb" else "PostgreSQL"
    table = Table(title=f"Warehouse: {where}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    with connect(settings, read_only=True) as wh:
        names = wh.query(
            "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'staging', 'intermediate', 'marts') "
            "ORDER BY table_schema = 'raw' DESC, table_schema, table_name")["t"].to_list()
        for name in names:
            table.add_row(name, f"{wh.query(f'SELECT count(*) AS n FROM {name}')['n'][0]:,}")
        quarantined = wh.query("SELECT source, reason, count(*) AS n FROM raw.quarantine "
                               "GROUP BY source, reason ORDER BY n DESC")
    console.print(table)
    if quarantined.height:
        console.print("quarantined records (raw.quarantine):")
        console.print(quarantined)
