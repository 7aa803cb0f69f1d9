"""The universe summary stream: size, per-family coverage and sectors on the newest date."""

from __future__ import annotations

from typing import Any

import polars as pl

from api.catalog_source import catalog
from api.mart import Snapshot

STOCK_FAMILIES = ("technical", "fundamental", "cross_source")


def universe_summary(snapshot: Snapshot) -> dict[str, Any]:
    """Computed once per version (published versions never change)."""
    return snapshot.store.cached(snapshot.version, "universe_summary",
                                 lambda: _summarise(snapshot))


def _summarise(snapshot: Snapshot) -> dict[str, Any]:
    empty = {"date": None, "universe": 0, "symbols_with_values": 0, "families": [],
             "sectors": []}
    if not snapshot.has_table("fct_factor_values"):
        return empty
    day = snapshot.query("SELECT max(date) AS d FROM {m}.fct_factor_values")["d"][0]
    if day is None:
        return empty
    # Symbols with a value: a row whose raw value is not null (or NaN).
    present = snapshot.query(
        "SELECT DISTINCT symbol, factor FROM {m}.fct_factor_values "
        "WHERE date = ? AND raw <> CAST('NaN' AS DOUBLE PRECISION)", [day])
    universe = _universe(snapshot, day, present)
    frame = catalog(snapshot).select("factor", "family").filter(
        pl.col("family").is_in(STOCK_FAMILIES))
    coverage = _factor_coverage(snapshot, day)
    families = []
    for family in sorted(frame["family"].unique()):
        names = frame.filter(pl.col("family") == family)["factor"]
        symbols = present.filter(pl.col("factor").is_in(names))["symbol"].n_unique()
        ratios = [coverage[n] for n in names if coverage.get(n) is not None]
        families.append({"family": family, "factors": names.len(), "symbols": symbols,
                         "coverage": symbols / universe if universe else None,
                         "mean_factor_coverage": sum(ratios) / len(ratios) if ratios else None})
    return {"date": day.isoformat(), "universe": universe,
            "symbols_with_values": present["symbol"].n_unique(), "families": families,
            "sectors": _sectors(snapshot, day, present)}


def _universe(snapshot: Snapshot, day, present: pl.DataFrame) -> int:
    """Symbols with a bar that date (fct_factor_coverage), else symbols with any value."""
    if snapshot.has_table("fct_factor_coverage"):
        size = snapshot.query("SELECT max(universe) AS n FROM {m}.fct_factor_coverage "
                              "WHERE date = ?", [day])["n"][0]
        if size is not None:
            return int(size)
    return present["symbol"].n_unique()


def _factor_coverage(snapshot: Snapshot, day) -> dict[str, float | None]:
    if not snapshot.has_table("fct_factor_coverage"):
        return {}
    rows = snapshot.query("SELECT factor, coverage FROM {m}.fct_factor_coverage WHERE date = ?",
                          [day])
    return dict(zip(rows["factor"], rows["coverage"], strict=True))


def _sectors(snapshot: Snapshot, day, present: pl.DataFrame) -> list[dict[str, Any]]:
    """Symbols with any value that date, per dim_security sector (null: not in the master)."""
    if not snapshot.has_table("dim_security"):
        return []
    frame = snapshot.query(
        "SELECT s.sector, count(DISTINCT v.symbol) AS symbols FROM {m}.fct_factor_values AS v "
        "LEFT JOIN {m}.dim_security AS s ON s.symbol = v.symbol "
        "WHERE v.date = ? AND v.raw <> CAST('NaN' AS DOUBLE PRECISION) "
        "GROUP BY s.sector ORDER BY symbols DESC, s.sector NULLS LAST", [day])
    return [{"sector": r["sector"], "symbols": int(r["symbols"])} for r in frame.to_dicts()]
