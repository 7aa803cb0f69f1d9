"""How dbt nodes appear in Dagster: keys [schema, name], groups by project folder."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

LAYERS = ("staging", "intermediate", "marts")


class FactorMartDbtTranslator(DagsterDbtTranslator):
    """Models and seeds are keyed by schema like the raw tables (["marts", "dim_security"])."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # ["raw", table] from sources.yml
        schema = dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        return next((f for f in folders if f in LAYERS), "dbt")


TRANSLATOR = FactorMartDbtTranslator(DagsterDbtTranslatorSettings(enable_asset_checks=True))
