import dagster as dg

from orchestration.defs.edgar.assets import TABLES
from orchestration.lib.checks import quarantine_check, raw_table_checks


def edgar_checks() -> list[dg.AssetChecksDefinition]:
    return [c for t in TABLES for c in raw_table_checks(t)] + [
        quarantine_check("edgar", "edgar_facts")]
