import dagster as dg

from orchestration.defs.fred.assets import TABLES
from orchestration.lib.checks import quarantine_check, raw_table_checks


def fred_checks() -> list[dg.AssetChecksDefinition]:
    return [c for t in TABLES for c in raw_table_checks(t)] + [
        quarantine_check("fred", "fred_observations")]
