"""The raw-table multi-asset shared by every source: fetch partition keys, land, report."""


from collections.abc import Callable, Iterator
from datetime import date

import dagster as dg

from factor_mart.warehouse.landing import LandingReport, land_partitions
from ingestion.batch import Batch, PayloadError
from orchestration.lib.resources import SourcesResource, WarehouseResource
from orchestration.lib.sources import adapter

POOL = "warehouse_writer"  # DuckDB allows one writer: every writing asset shares this pool
# Partitions are landed together, one transaction (one insert per raw table) per this many rows:
# one landing per partition re-read the whole stored table each time (1,000 companies: 1,000
# anti-joins against a growing raw.edgar_facts).
LANDING_BATCH_ROWS = 250_000

# What one run loads: the source keys and an optional [start, end] date window.
Selection = Callable[[dg.AssetExecutionContext, SourcesResource], tuple[list[str], date | None,
                                                                        date | None]]


def raw_source_asset(source: str, tables: tuple[str, ...], partitions_def: dg.PartitionsDefinition,
                     select: Selection, description: str) -> dg.AssetsDefinition:
    """A multi-asset landing every raw table of ``source`` for the selected partitions."""

    @dg.multi_asset(
        name=f"land_{source}",
        specs=[dg.AssetSpec(["raw", t], group_name=f"raw_{source}", kinds={"python", "sql"},
                            description=description) for t in tables],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=POOL,
    )
    def _land(context: dg.AssetExecutionContext, sources: SourcesResource,
              warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
        keys, start, end = select(context, sources)
        report, failed = land_keys(context, source, keys, sources, warehouse, start, end)
        for table in tables:
            yield dg.MaterializeResult(
                asset_key=["raw", table],
                metadata={"rows_in": report.rows_in.get(table, 0),
                          "rows_inserted": report.inserted.get(table, 0),
                          "rows_quarantined": report.rejected.get(table, 0),
                          "unreadable_payloads": dg.MetadataValue.json(failed),
                          "load_id": report.load_id})

    return _land


def land_keys(context: dg.AssetExecutionContext, source: str, keys: list[str],
              sources: SourcesResource, warehouse: WarehouseResource,
              start: date | None, end: date | None) -> tuple[LandingReport, dict[str, str]]:
    """Fetch each key and land the keys in batches of about ``LANDING_BATCH_ROWS`` rows; a
    payload that cannot be read is reported and skipped (the other keys load)."""
    module, client = adapter(source), sources.client(source)
    total, failed = LandingReport(context.run.run_id), {}
    pending: list[tuple[str, list[Batch]]] = []
    rows = 0
    with warehouse.connect() as wh:
        for key in keys:
            try:
                batches = module.fetch(client, key, start=start, end=end)
            except PayloadError as exc:
                failed[key] = str(exc)
                context.log.error(f"{source} {key}: {exc}")
                continue
            pending.append((key, batches))
            rows += sum(b.rows.height + len(b.rejected) for b in batches)
            if rows >= LANDING_BATCH_ROWS:
                total.merge(land_partitions(wh, pending, context.run.run_id, source))
                pending, rows = [], 0
        if pending:
            total.merge(land_partitions(wh, pending, context.run.run_id, source))
    if keys and len(failed) == len(keys):
        raise dg.Failure(f"every {source} payload failed to load",
                         metadata={"errors": dg.MetadataValue.json(failed)})
    context.log.info(f"{source}: inserted {dict(total.inserted)}, quarantined "
                     f"{total.total_rejected}, unreadable payloads {len(failed)}")
    return total, failed
