"""Every family computed from one `FactorInputs`, in order, and shaped for the mart tables.

Pure (no warehouse, no Dagster): the assets and the all-catalog look-ahead test both call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import polars as pl

from factor_models.inputs import FactorInputs
from factor_models.normalize import normalize
from orchestration.defs.factors.families import STOCK_FAMILIES, available

KEY = ("date", "symbol")
EMPTY_MACRO_SERIES = pl.DataFrame(schema={"date": pl.Date, "factor": pl.String,
                                          "value": pl.Float64})


@dataclass(frozen=True)
class FactorSet:
    """What one computation produced, ready to write.

    - ``wide``: each family's wide frame (stock families: date, symbol, ...; macro: date, ...).
    - ``values``: stock-level factors, long and normalised (fct_factor_values' columns).
    - ``macro_series``: date, factor, value (fct_macro_series).
    - ``regime``: date, regime, signals (fct_macro_regime), or None without the regime model.
    - ``skipped``: family -> why it was not computed.
    """

    wide: dict[str, pl.DataFrame]
    values: pl.DataFrame
    macro_series: pl.DataFrame
    regime: pl.DataFrame | None
    skipped: dict[str, str] = field(default_factory=dict)



def stock_long(wide: pl.DataFrame) -> pl.DataFrame:
    """A stock family's wide frame as date, symbol, factor, value (finite values only)."""
    return (wide.unpivot(index=list(KEY), variable_name="factor", value_name="value")
            .filter(pl.col("value").is_finite()))


def macro_long(wide: pl.DataFrame) -> pl.DataFrame:
    """The macro wide frame as date, factor, value (finite values only)."""
    return (wide.unpivot(index="date", variable_name="factor", value_name="value")
            .filter(pl.col("value").is_finite()))


def compute_wide(inputs: FactorInputs) -> tuple[dict[str, pl.DataFrame], pl.DataFrame | None,
                                                dict[str, str]]:
    """Each available family's wide frame (technical -> fundamental -> macro + regime ->
    cross-source, which reads the earlier frames), the regime frame and the skipped families."""
    functions, skipped = available()
    wide: dict[str, pl.DataFrame] = {}
    if "technical" in functions:
        wide["technical"] = functions["technical"](inputs.bars)
    for name in ("fundamental", "macro"):
        if name in functions:
            wide[name] = functions[name](inputs)
    regime = None
    if "regime" in functions and "macro" in wide:
        regime = functions["regime"](wide["macro"])
    if "cross_source" in functions:
        computed = dict(wide) | ({"regime": regime} if regime is not None else {})
        wide["cross_source"] = functions["cross_source"](replace(inputs, computed=computed))
    return wide, regime, skipped


def compute_factors(inputs: FactorInputs, start: date | None = None) -> FactorSet:
    """Compute every family and normalise the stock-level ones cross-sectionally per date.

    ``start`` skips normalising dates before it (warm-up rows that will not be written).
    """
    wide, regime, skipped = compute_wide(inputs)
    macro = macro_long(wide["macro"]) if "macro" in wide else EMPTY_MACRO_SERIES
    return FactorSet(wide=wide, values=normalized_values(wide, inputs.securities, start),
                     macro_series=macro.sort("factor", "date"), regime=regime, skipped=skipped)


def normalized_values(wide: dict[str, pl.DataFrame], securities: pl.DataFrame,
                      start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """The stock families' values dated in [start, end], long and normalised per date.

    Scores use only each date's cross-section, so normalising a window at a time gives the
    same rows as normalising everything at once; callers use that to bound memory.
    """
    def window(frame: pl.DataFrame) -> pl.DataFrame:
        if start is not None:
            frame = frame.filter(pl.col("date") >= start)
        return frame if end is None else frame.filter(pl.col("date") <= end)

    parts = [stock_long(window(wide[name])) for name in STOCK_FAMILIES if name in wide]
    long = (pl.concat(parts) if parts
            else pl.DataFrame(schema={"date": pl.Date, "symbol": pl.String,
                                      "factor": pl.String, "value": pl.Float64}))
    return normalize(long, securities)


def compute_macro_family(inputs: FactorInputs, skipped: dict[str, str]
                         ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Only the macro family and the regime: fct_macro_series rows (date, factor, value) and
    the regime frame (None without the regime model); missing parts noted in ``skipped``."""
    functions, missing = available()
    skipped |= {k: v for k, v in missing.items() if k in ("macro", "regime")}
    if "macro" not in functions:
        return EMPTY_MACRO_SERIES, None
    wide = functions["macro"](inputs)
    regime = functions["regime"](wide) if "regime" in functions else None
    return macro_long(wide).sort("factor", "date"), regime
