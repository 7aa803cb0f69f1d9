import dagster as dg

from orchestration.defs.fred.assets import TABLES
from orchestration.lib.checks import raw_source_checks


def fred_checks() -> list[dg.AssetChecksDefinition]:
    return [raw_source_checks("fred", TABLES, "fred_observations")]
