"""Threshold alerts: a subscriber's rule on one symbol's factor value, checked after publishes.

A rule fires when the value on the newest date of the snapshot is beyond its threshold and the
value on the date before was on the other side (or missing). Subscribing never fires: the state
at subscribe time is the baseline, so a crossing already in the data is not reported. A crossing
is reported once per newest date (a republish of the same date does not repeat it); if a
restatement moves that date's value back, a later crossing on the same date fires again.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.deps import FACTOR_PATTERN, SYMBOL_PATTERN, without_nan
from api.mart import Snapshot

Threshold = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class AlertRule(BaseModel):
    """`{"factor", "symbol", "field": "raw"|"z", "above": x}` or the same with `"below"`."""

    model_config = ConfigDict(extra="forbid")
    factor: Annotated[str, StringConstraints(pattern=FACTOR_PATTERN)]
    symbol: Annotated[str, StringConstraints(pattern=SYMBOL_PATTERN)]
    field: Literal["raw", "z"]
    above: Threshold | None = None
    below: Threshold | None = None

    @model_validator(mode="after")
    def _one_threshold(self) -> Self:
        if (self.above is None) == (self.below is None):
            raise ValueError("an alert takes exactly one of 'above' or 'below'")
        return self

    @property
    def direction(self) -> str:
        return "above" if self.above is not None else "below"

    @property
    def threshold(self) -> float:
        return self.above if self.above is not None else self.below

    def beyond(self, value: float | None) -> bool:
        if value is None:
            return False
        return value > self.threshold if self.above is not None else value < self.threshold

    def crossed(self, previous: float | None, current: float | None) -> bool:
        """Now beyond the threshold, and before on the other side (or no value)."""
        return self.beyond(current) and (previous is None or not self.beyond(previous))


def last_two_dates(snapshot: Snapshot, factor: str) -> list[date]:
    """The factor's newest date and the one before (cached: a version never changes)."""
    return snapshot.store.cached(snapshot.version, f"last_two_dates:{factor}", lambda: (
        snapshot.query("SELECT DISTINCT date FROM {m}.fct_factor_values WHERE factor = ? "
                       "ORDER BY date DESC LIMIT 2", [factor])["date"].to_list()))


def readings(rules: list[AlertRule], snapshot: Snapshot) -> list[dict[str, Any]]:
    """Per rule: its values on the factor's newest date and the date before."""
    days = {r.factor: last_two_dates(snapshot, r.factor) for r in rules}
    wanted = sorted({d for pair in days.values() for d in pair})
    symbols = sorted({r.symbol for r in rules})
    values: dict[tuple, dict] = {}
    if wanted:
        frame = without_nan(snapshot.query(
            "SELECT date, factor, symbol, raw, z FROM {m}.fct_factor_values "
            f"WHERE date IN ({', '.join('?' * len(wanted))}) "
            f"AND factor IN ({', '.join('?' * len(days))}) "
            f"AND symbol IN ({', '.join('?' * len(symbols))})",
            [*wanted, *days, *symbols]))
        values = {(r["date"], r["factor"], r["symbol"]): r for r in frame.iter_rows(named=True)}
    out = []
    for rule in rules:
        newest, previous_date = (days[rule.factor] + [None, None])[:2]
        now = values.get((newest, rule.factor, rule.symbol), {}).get(rule.field)
        before = values.get((previous_date, rule.factor, rule.symbol), {}).get(rule.field)
        out.append({"factor": rule.factor, "symbol": rule.symbol, "field": rule.field,
                    "direction": rule.direction, "threshold": rule.threshold,
                    "previous": before, "current": now,
                    "previous_date": previous_date.isoformat() if previous_date else None,
                    "date": newest.isoformat() if newest else None,
                    "beyond": rule.beyond(now), "crossed": rule.crossed(before, now)})
    return out


class AlertTracker:
    """Which newest date each rule of one subscription has already reported a crossing for."""

    def __init__(self) -> None:
        self.reported: list[str | None] | None = None  # None until the baseline is taken

    def baseline(self, current: list[dict[str, Any]]) -> None:
        """Crossings present at subscribe time count as already reported."""
        self.reported = [r["date"] if r["crossed"] else None for r in current]

    def new_crossings(self, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Readings that crossed on a newest date not yet reported; updates what was reported."""
        if self.reported is None:
            self.baseline(current)
            return []
        fired = []
        for index, reading in enumerate(current):
            if reading["crossed"] and reading["date"] != self.reported[index]:
                fired.append(reading)
                self.reported[index] = reading["date"]
            elif not reading["crossed"] and reading["date"] == self.reported[index]:
                self.reported[index] = None  # restated back: a later crossing fires again
        return fired
