import hashlib
import json

import dagster as dg

from ingestion import edgar
from orchestration.lib.resources import SourcesResource


def new_filings(refresh: dg.JobDefinition, partitions: dg.StaticPartitionsDefinition
                ) -> dg.SensorDefinition:
    """Reload the companies whose newest accession number changed (polled hourly,
    rate-limited), all of them in one run of ``refresh`` (``edgar_refresh_job``)."""

    @dg.sensor(name="edgar_new_filings", job=refresh, minimum_interval_seconds=3600,
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
        filings = "+".join(f"{cik}-{latest[cik]}" for cik in changed)
        yield dg.RunRequest(
            run_key=f"filings-{hashlib.sha1(filings.encode()).hexdigest()[:16]}",
            run_config={"ops": {"refresh_edgar": {"config": {"keys": changed}}}},
            tags={"filers": str(len(changed))})

    return _sensor
