"""`factor-mart`: what is not Dagster's job — demo, ad-hoc ingest, serve and bench."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from factor_mart.settings import Settings, SourceMode
from factor_mart.warehouse import LandingReport, connect, ensure_raw_schema, land
from ingestion.batch import PayloadError

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
    source: Annotated[str, typer.Argument(help="edgar, fred or ibkr")],
    from_dir: Annotated[Path, typer.Option("--from", exists=True, file_okay=False,
                                           help="folder of recorded payloads (replay layout)")],
) -> None:
    """Load recorded payloads of the real APIs' shape from a folder into the raw tables."""
    from orchestration.lib.sources import adapter

    module = adapter(source)
    client = module.ReplayClient(from_dir)
    keys = sorted(client.keys())
    if not keys:
        raise typer.BadParameter(f"no {source} payloads found in {from_dir}")
    load_id, total, failed = f"cli-{uuid.uuid4()}", None, {}
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
    console.print(f"inserted {dict(total.inserted)}; quarantined {total.total_rejected}; "
                  f"unreadable payloads {len(failed)}")
    if failed and len(failed) == len(keys):
        raise typer.Exit(1)


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
