import hashlib
import json

import dagster as dg

from ingestion import edgar
from orchestration.lib.resources import SourcesResource
from orchestration.lib.schedules import partition_range_tags


def new_filings(job: dg.JobDefinition, partitions: dg.StaticPartitionsDefinition
                ) -> dg.SensorDefinition:
    """Reload a company when its newest accession number changes (polled hourly, rate-limited)."""

    @dg.sensor(name="edgar_new_filings", job=job, minimum_interval_seconds=3600,
               default_status=dg.DefaultSensorStatus.STOPPED)
    def _sensor(context: dg.SensorEvaluationContext, sources: SourcesResource):
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        client = sources.client("edgar")
        latest = {cik: edgar.latest_accession(client, cik)
                  for cik in partitions.get_partition_keys()}
        changed = [cik for cik, accn in latest.items() if accn and seen.get(cik) != accn]
        context.update_cursor(json.dumps(latest, sort_keys=True))
        if not changed:
            return
        # A run covers a partition range: adjacent filers share one run (as a single-run
        # backfill would split them); Dagster has no run over a non-contiguous key set.
        for keys in (partitions.get_partition_keys_in_range(r) for r in
                     partitions.subset_with_partition_keys(changed).get_partition_key_ranges(
                         partitions)):
            filings = "+".join(f"{cik}-{latest[cik]}" for cik in keys)
            if len(keys) == 1:
                yield dg.RunRequest(run_key=filings, partition_key=keys[0])
            else:
                digest = hashlib.sha1(filings.encode()).hexdigest()[:16]
                yield dg.RunRequest(run_key=f"{keys[0]}..{keys[-1]}-{digest}",
                                    tags=partition_range_tags(keys))

    return _sensor
