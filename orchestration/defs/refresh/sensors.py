import hashlib
import json
from collections.abc import Callable

import dagster as dg

from ingestion import edgar, fred
from orchestration.lib.resources import SourcesResource

# What shows a key has news: a company's newest accession number, a series' last update.
MARKERS: dict[str, Callable[[object, str], str | None]] = {
    "edgar": edgar.latest_accession,
    "fred": fred.last_updated,
}


def source_updates(refresh: dg.JobDefinition,
                   partitions: dict[str, dg.StaticPartitionsDefinition]) -> dg.SensorDefinition:
    """Every key whose marker changed since the last tick (companies that filed, series
    released or revised), of every source, in one run of ``refresh``. Polled hourly; a source
    that cannot be reached keeps its cursor and is asked again next tick."""

    @dg.sensor(name="source_updates", job=refresh, minimum_interval_seconds=3600,
               default_status=dg.DefaultSensorStatus.STOPPED)
    def _sensor(context: dg.SensorEvaluationContext, sources: SourcesResource):
        seen: dict[str, dict[str, str]] = json.loads(context.cursor) if context.cursor else {}
        changed: dict[str, list[str]] = {}
        for source, marker in MARKERS.items():
            try:
                client = sources.client(source)
                latest = {key: marker(client, key)
                          for key in partitions[source].get_partition_keys()}
            except Exception as exc:  # one source down must not stop the others
                context.log.warning(f"{source}: not polled this tick ({exc})")
                continue
            before = seen.get(source, {})
            changed[source] = [k for k, m in latest.items() if m and before.get(k) != m]
            seen[source] = latest
        context.update_cursor(json.dumps(seen, sort_keys=True))
        news = {source: keys for source, keys in changed.items() if keys}
        if not news:
            return
        digest = hashlib.sha1(json.dumps({s: {k: seen[s][k] for k in keys}
                                          for s, keys in news.items()},
                                         sort_keys=True).encode()).hexdigest()[:16]
        yield dg.RunRequest(
            run_key=f"updates-{digest}",
            run_config={"ops": {f"refresh_{source}": {"config": {"keys": keys}}
                                for source, keys in news.items()}},
            tags={f"{source}_keys": str(len(keys)) for source, keys in news.items()})

    return _sensor
