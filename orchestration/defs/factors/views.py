"""One wide view per stock-level family for BI tools: date, symbol, one column per factor.

The columns hold the raw values (the family's own units: an RSI reads 0-100, a return 0.05);
z-scores and ranks stay in the long marts.fct_factor_values. Generated from the catalog with a
portable pivot (max(case when ...)), so DuckDB and PostgreSQL get the same SQL.
"""

from __future__ import annotations

from factor_models.catalog import by_family

VALUES_TABLE = "marts.fct_factor_values"


def view_name(family: str) -> str:
    return f"marts.factors_{family}_wide"


def wide_view_sql(family: str) -> str | None:
    """CREATE VIEW for ``family`` (None when the catalog has no factor of that family)."""
    names = [f.name for f in by_family(family)]
    if not names:
        return None
    columns = ",\n    ".join(f"max(case when factor = '{n}' then raw end) as {n}" for n in names)
    listed = ", ".join(f"'{n}'" for n in names)
    return (f"create view {view_name(family)} as\nselect\n    date,\n    symbol,\n    {columns}\n"
            f"from {VALUES_TABLE}\nwhere factor in ({listed})\ngroup by date, symbol")
