import dagster as dg

from orchestration.defs.ibkr.assets import TABLES
from orchestration.lib.checks import raw_source_checks


def ibkr_checks() -> list[dg.AssetChecksDefinition]:
    return [raw_source_checks("ibkr", TABLES, "ib_bars")]
