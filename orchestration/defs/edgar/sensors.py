import json

import dagster as dg

from ingestion import edgar
from orchestration.lib.resources import SourcesResource


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
        for cik in changed:
            yield dg.RunRequest(run_key=f"{cik}-{latest[cik]}", partition_key=cik)

    return _sensor
