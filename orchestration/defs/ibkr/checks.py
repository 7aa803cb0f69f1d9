import dagster as dg

from orchestration.defs.ibkr.assets import TABLES
from orchestration.lib.checks import quarantine_check, raw_table_checks


def ibkr_checks() -> list[dg.AssetChecksDefinition]:
    return [c for t in TABLES for c in raw_table_checks(t)] + [
        quarantine_check("ibkr", "ib_bars")]
