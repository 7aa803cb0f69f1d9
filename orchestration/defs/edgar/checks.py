import dagster as dg

from orchestration.defs.edgar.assets import TABLES
from orchestration.lib.checks import raw_source_checks


def edgar_checks() -> list[dg.AssetChecksDefinition]:
    return [raw_source_checks("edgar", TABLES, "edgar_facts")]
