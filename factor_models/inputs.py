"""What every factor family computes from: point-in-time panels read from the marts.

The orchestration layer fills this from the warehouse (marts.fct_prices_daily,
marts.fct_fundamentals_asof, marts.fct_macro_asof, marts.dim_security); tests fill it from
fixtures. Families never read the warehouse themselves, so they stay pure functions and the
look-ahead test can cut every input at a date and recompute.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import polars as pl

# Columns each panel carries (a family may use a subset).
BARS_COLUMNS = ("symbol", "date", "open", "high", "low", "close", "volume")
FUNDAMENTALS_COLUMNS = ("symbol", "metric", "period_kind", "period_end", "known_from", "value",
                        "ttm_value")
MACRO_COLUMNS = ("series_id", "date", "value", "observation_date", "first_release", "change",
                 "pct_change", "yoy")
SECURITIES_COLUMNS = ("symbol", "cik", "sector")


@dataclass(frozen=True)
class FactorInputs:
    """Point-in-time inputs, each already restricted to what was knowable on its date.

    - ``bars``: adjusted daily bars, one row per (symbol, date), sorted by symbol, date.
    - ``fundamentals``: every version of every metric as it became known: one row per
      (symbol, metric, period_kind, period_end, known_from); ``known_from`` is the first
      trading date the value may be used; ``ttm_value`` is the trailing four quarters as known.
    - ``macro``: one row per (series_id, date): the value known at that session's close, the
      observation it refers to, its first release and transforms computed in that vintage.
    - ``securities``: symbol, cik, sector (for sector-neutral scores).
    - ``computed``: wide frames already computed by earlier families (``"technical"``,
      ``"fundamental"``, ``"macro"``), for the cross-source family.
    """

    bars: pl.DataFrame
    fundamentals: pl.DataFrame
    macro: pl.DataFrame
    securities: pl.DataFrame
    computed: dict[str, pl.DataFrame] = field(default_factory=dict)

    def cut_after(self, day: date) -> FactorInputs:
        """Everything that was not known by ``day``'s close removed (the look-ahead test)."""
        return replace(
            self,
            bars=self.bars.filter(pl.col("date") <= day),
            fundamentals=self.fundamentals.filter(pl.col("known_from") <= day),
            macro=self.macro.filter(pl.col("date") <= day),
            computed={k: v.filter(pl.col("date") <= day) for k, v in self.computed.items()},
        )
