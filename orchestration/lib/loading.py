"""The raw-table multi-asset shared by every source: fetch partition keys, land, check, report."""


from collections.abc import Callable, Iterator
from datetime import date

import dagster as dg

from factor_mart.warehouse import Warehouse
from factor_mart.warehouse.landing import LandingReport, land_partitions
from ingestion.batch import Batch, PayloadError
from orchestration.lib.checks import raw_check_results, raw_check_specs
from orchestration.lib.resources import SourcesResource, WarehouseResource
from orchestration.lib.sources import adapter

POOL = "warehouse_writer"  # DuckDB allows one writer: every writing asset shares this pool
# Partitions are landed together, one transaction (one insert per raw table) per this many rows:
# one landing per partition re-read the whole stored table each time (1,000 companies: 1,000
# anti-joins against a growing raw.edgar_facts).
LANDING_BATCH_ROWS = 250_000
# Keys handed at once to an adapter's ``fetch_many`` (one validation pass for all of them):
# enough to amortise the pass, few enough that ten years of bars per key fit in memory.
FETCH_MANY_KEYS = 50

# What one run loads: the source keys and an optional [start, end] date window.
Selection = Callable[[dg.AssetExecutionContext, SourcesResource], tuple[list[str], date | None,
                                                                        date | None]]


def raw_source_asset(source: str, tables: tuple[str, ...], partitions_def: dg.PartitionsDefinition,
                     select: Selection, description: str, quarantined: str) -> dg.AssetsDefinition:
    """A multi-asset landing every raw table of ``source`` for the selected partitions, with
    the tables' checks evaluated in the same step (``quarantined``: the table the source's
    quarantine check sits on)."""

    @dg.multi_asset(
        name=f"land_{source}",
        specs=[dg.AssetSpec(["raw", t], group_name=f"raw_{source}", kinds={"python", "sql"},
                            description=description) for t in tables],
        check_specs=raw_check_specs(source, tables, quarantined),
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=POOL,
    )
    def _land(context: dg.AssetExecutionContext, sources: SourcesResource,
              warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        keys, start, end = select(context, sources)
        with warehouse.connect() as wh:
            report, failed = land_keys(context, source, keys, sources, wh, start, end)
            for table in tables:
                yield dg.MaterializeResult(
                    asset_key=["raw", table],
                    metadata={"rows_in": report.rows_in.get(table, 0),
                              "rows_inserted": report.inserted.get(table, 0),
                              "rows_quarantined": report.rejected.get(table, 0),
                              "unreadable_payloads": dg.MetadataValue.json(failed),
                              "load_id": report.load_id})
            yield from raw_check_results(wh, source, tables, quarantined)

    return _land


class RefreshConfig(dg.Config):
    keys: list[str] = []  # partition keys of the source's landing asset, in any order


def refresh_op(source: str, tables: tuple[str, ...], quarantined: str) -> dg.OpDefinition:
    """``refresh_<source>``: land any set of keys of ``source``, recorded as materializations of
    those partitions of its raw tables, with the tables' checks; no keys, nothing to do.

    A partitioned run covers one key range, so the filers of a day (scattered CIKs) took one run
    each, ~0.5 s of Dagster and process start-up apiece; Dagster has no run over a
    non-contiguous set of partitions (dagster-io/dagster#32335). `sources_refresh_job` runs
    these ops instead.
    """

    @dg.op(name=f"refresh_{source}", pool=POOL,
           description=f"Land the configured {source} keys and record their partitions.")
    def _refresh(context: dg.OpExecutionContext, config: RefreshConfig, sources: SourcesResource,
                 warehouse: WarehouseResource) -> None:
        keys = sorted(set(config.keys))
        if not keys:
            return
        with warehouse.connect() as wh:
            report, failed = land_keys(context, source, keys, sources, wh, None, None)
            for key in (k for k in keys if k not in failed):
                for table in tables:
                    context.log_event(dg.AssetMaterialization(
                        ["raw", table], partition=key, metadata={"load_id": report.load_id}))
            for result in raw_check_results(wh, source, tables, quarantined):
                context.log_event(dg.AssetCheckEvaluation(
                    asset_key=dg.AssetKey.from_coercible(result.asset_key),
                    check_name=result.check_name, passed=result.passed,
                    metadata=result.metadata, severity=result.severity))
        if failed:
            context.log.warning(f"{source}: {len(failed)} of {len(keys)} payloads unreadable: "
                                f"{failed}")

    return _refresh


def fetched(source: str, client, keys: list[str], start: date | None, end: date | None
            ) -> Iterator[tuple[str, list[Batch] | PayloadError]]:
    """Each key's batches, or the PayloadError that made its payload unreadable. Adapters with
    ``fetch_many`` validate many keys in one pass (bars: ~20 rows a symbol a month)."""
    module = adapter(source)
    many = getattr(module, "fetch_many", None)
    if many is not None:
        for first in range(0, len(keys), FETCH_MANY_KEYS):
            yield from many(client, keys[first:first + FETCH_MANY_KEYS], start=start, end=end)
        return
    for key in keys:
        try:
            yield key, module.fetch(client, key, start=start, end=end)
        except PayloadError as exc:
            yield key, exc


def land_keys(context: dg.AssetExecutionContext | dg.OpExecutionContext, source: str,
              keys: list[str], sources: SourcesResource, wh: Warehouse,
              start: date | None, end: date | None) -> tuple[LandingReport, dict[str, str]]:
    """Fetch each key and land the keys in batches of about ``LANDING_BATCH_ROWS`` rows; a
    payload that cannot be read is reported and skipped (the other keys load)."""
    total, failed = LandingReport(context.run.run_id), {}
    pending: list[tuple[str, list[Batch]]] = []
    rows = 0
    for key, batches in fetched(source, sources.client(source), keys, start, end):
        if isinstance(batches, PayloadError):
            failed[key] = str(batches)
            context.log.error(f"{source} {key}: {batches}")
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
