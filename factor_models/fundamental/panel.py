"""Build ``FactorInputs.fundamentals`` from the marts: every version of every metric, by symbol.

The orchestration layer runs ``FUNDAMENTALS_PANEL_SQL`` (portable SQL, DuckDB and PostgreSQL)
and passes the rows through ``panel_from_rows``; ``fundamentals_panel(warehouse)`` does both.
It reads ``marts.fct_fundamentals_pit`` rather than ``fct_fundamentals_asof`` because year-ago
comparisons need the earlier period as known on the factor date (its restated comparative), and
the as-of mart only keeps each metric's latest period.
"""

from __future__ import annotations

from typing import Protocol

import polars as pl

from factor_models.fundamental.asof import PANEL_COLUMNS, validated_panel

FUNDAMENTALS_PANEL_SQL = """
select
    security.symbol,
    pit.metric,
    pit.period_kind,
    pit.period_end,
    pit.known_from,
    pit.metric_value as value,
    pit.ttm_value
from marts.fct_fundamentals_pit as pit
inner join marts.dim_security as security
    on pit.cik = security.cik
"""


class Queryable(Protocol):
    """Anything with ``query(sql) -> pl.DataFrame`` (``factor_mart.warehouse.Warehouse``)."""

    def query(self, sql: str) -> pl.DataFrame: ...


def panel_from_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The query's rows typed and checked as ``FactorInputs.fundamentals`` expects. Not sorted:
    the as-of joins order what they read themselves, and sorting millions of rows by three
    strings cost more than the rest of a day's load."""
    return validated_panel(rows).select(PANEL_COLUMNS)


def fundamentals_panel(warehouse: Queryable) -> pl.DataFrame:
    """``FactorInputs.fundamentals`` for every symbol in ``marts.dim_security`` with a CIK."""
    return panel_from_rows(warehouse.query(FUNDAMENTALS_PANEL_SQL))
