"""WebSocket subscription messages and the data each stream type sends."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter
from starlette.concurrency import run_in_threadpool

from api.alerts import AlertRule, readings
from api.broadcast import Event
from api.catalog_source import catalog
from api.deps import FACTOR_PATTERN, SYMBOL_PATTERN, without_nan
from api.mart import MartStore, Snapshot
from api.universe import universe_summary

StreamType = Literal["factors", "cross_source_factors", "macro_regime", "mart_versions",
                     "universe_summary", "alerts"]
STOCK_FAMILIES = {"factors": {"technical", "fundamental", "cross_source"},
                  "cross_source_factors": {"cross_source"},
                  "alerts": {"technical", "fundamental", "cross_source"}}


class Subscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["subscribe"]
    stream_type: StreamType
    symbols: list[Annotated[str, StringConstraints(pattern=SYMBOL_PATTERN)]] = Field(
        default_factory=list, max_length=500)
    factors: list[Annotated[str, StringConstraints(pattern=FACTOR_PATTERN)]] = Field(
        default_factory=list, max_length=100)
    update_frequency_seconds: float = Field(default=30, ge=0, le=86400)
    alerts: list[AlertRule] | None = Field(default=None, max_length=100,
                                           description="stream_type alerts only")


class Unsubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["unsubscribe"]
    subscription_id: str


class Ping(BaseModel):
    type: Literal["ping"]


ClientMessage = TypeAdapter(Annotated[Subscribe | Unsubscribe | Ping,
                                      Field(discriminator="type")])


class SubscriptionError(ValueError):
    """A well-formed subscribe message that names something the mart does not have."""


def check(message: Subscribe, store: MartStore) -> Subscribe:
    """Upper-case symbols and verify factors and symbols against the current version."""
    message = message.model_copy(update={"symbols": list(dict.fromkeys(
        s.upper() for s in message.symbols))})
    if message.alerts is not None or message.stream_type == "alerts":
        message = _alert_targets(message)
    families = STOCK_FAMILIES.get(message.stream_type)
    if families is None:
        return message
    if not message.symbols or not message.factors:
        raise SubscriptionError(f"{message.stream_type} needs non-empty symbols and factors")
    snapshot = store.current()
    frame = catalog(snapshot)
    family = dict(zip(frame["factor"], frame["family"], strict=True))
    unknown = [f for f in message.factors if f not in family]
    if unknown:
        raise SubscriptionError(f"unknown factor(s): {', '.join(unknown)}")
    wrong = [f"{f} ({family[f]})" for f in message.factors if family[f] not in families]
    if wrong:
        raise SubscriptionError(f"{message.stream_type} takes {'/'.join(sorted(families))} "
                                f"factors, not: {', '.join(wrong)}")
    marks = ", ".join("?" * len(message.symbols))
    found = set(snapshot.query(f"SELECT DISTINCT symbol FROM {{m}}.fct_factor_values "
                               f"WHERE symbol IN ({marks})", message.symbols)["symbol"])
    missing = [s for s in message.symbols if s not in found]
    if missing:
        raise SubscriptionError(f"unknown symbol(s): {', '.join(missing)}")
    return message


def _alert_targets(message: Subscribe) -> Subscribe:
    """Alert rules with upper-case symbols; their factors and symbols are checked like others."""
    if message.stream_type != "alerts":
        raise SubscriptionError(f"'alerts' belongs to stream_type alerts, not "
                                f"{message.stream_type}")
    if not message.alerts:
        raise SubscriptionError("alerts needs a non-empty 'alerts' list of rules")
    if message.symbols or message.factors:
        raise SubscriptionError("alerts take their factor and symbol inside each rule, "
                                "not in 'symbols'/'factors'")
    rules = [r.model_copy(update={"symbol": r.symbol.upper()}) for r in message.alerts]
    # The rules' symbols and factors fill the lists so they are verified like a factors stream.
    return message.model_copy(update={
        "alerts": rules, "symbols": list(dict.fromkeys(r.symbol for r in rules)),
        "factors": list(dict.fromkeys(r.factor for r in rules))})


def payload(message: Subscribe, snapshot: Snapshot) -> dict[str, Any]:
    """What one update carries for this subscription, from `snapshot`."""
    body: dict[str, Any] = {"version": snapshot.version.version}
    if message.stream_type == "universe_summary":
        return body | universe_summary(snapshot)
    if message.stream_type == "alerts":
        current = readings(message.alerts or [], snapshot)
        days = [r["date"] for r in current if r["date"]]
        return body | {"date": max(days) if days else None, "values": current}
    if message.stream_type == "mart_versions":
        return body | {"data": snapshot.version.event()["data"]}
    if message.stream_type == "macro_regime":
        if not snapshot.has_table("fct_macro_regime"):
            return body | {"values": []}
        frame = without_nan(snapshot.query(
            "SELECT * FROM {m}.fct_macro_regime ORDER BY date DESC LIMIT 1"))
        return body | {"values": frame.to_dicts()}
    factor_marks = ", ".join("?" * len(message.factors))
    symbol_marks = ", ".join("?" * len(message.symbols))
    frame = without_nan(snapshot.query(
        "WITH latest AS (SELECT max(date) AS d FROM {m}.fct_factor_values "
        f"WHERE factor IN ({factor_marks})) "
        "SELECT date, symbol, factor, raw, z, rank, sector_z FROM {m}.fct_factor_values "
        f"WHERE date = (SELECT d FROM latest) AND factor IN ({factor_marks}) "
        f"AND symbol IN ({symbol_marks}) ORDER BY symbol, factor",
        [*message.factors, *message.factors, *message.symbols]))
    day = frame["date"][0].isoformat() if frame.height else None
    rows = [r | {"date": r["date"].isoformat()} for r in frame.to_dicts()]
    return body | {"date": day, "values": rows}


def payload_key(message: Subscribe) -> str:
    """What a subscription's payload depends on (not the update interval)."""
    return message.model_dump_json(exclude={"type", "update_frequency_seconds"})


class Payloads:
    """Each subscription's update body, computed once per mart version and set of parameters
    however many clients share them, and started as soon as a version is announced (while the
    event is still being handed to the other clients) rather than when the first client asks."""

    def __init__(self, store: MartStore) -> None:
        self.store = store
        self._entries: dict[tuple[int, str], asyncio.Future] = {}
        self._active: dict[str, tuple[Subscribe, int]] = {}  # key -> (message, subscriptions)
        self._texts: dict[tuple[str, str, str], str] = {}  # see update_text

    def add(self, message: Subscribe) -> str:
        """Count a subscription in (its payload is prefetched after each publish); its key."""
        key = payload_key(message)
        first, count = self._active.get(key, (message, 0))
        self._active[key] = (first, count + 1)
        return key

    def remove(self, key: str) -> None:
        message, count = self._active.pop(key, (None, 0))
        if count > 1:
            self._active[key] = (message, count - 1)

    def prefetch(self, event: Event) -> None:
        """Start every subscribed payload for a newly announced version; forget older ones."""
        self._entries = {k: f for k, f in self._entries.items() if k[0] >= event.id}
        self._texts = {}
        for key, (message, _) in self._active.items():
            if message.stream_type == "mart_versions":  # the event itself is the payload
                body = {"version": event.id, "data": event.data}
                self._entries[(event.id, key)] = future = asyncio.get_running_loop().create_future()
                future.set_result((body, json.dumps(body, default=str)))
            else:
                self._future(event.id, key, message)

    async def get(self, message: Subscribe, key: str, version: int
                  ) -> tuple[dict[str, Any], str]:
        """(body, body as JSON) for `message` (whose `payload_key` is `key`) from the current
        snapshot; `version` is the newest version announced."""
        future = self._future(version, key, message)
        if future.done() and not future.cancelled() and future.exception() is None:
            return future.result()  # the usual case after a prefetch: no shield per client
        try:
            return await asyncio.shield(future)  # a client leaving must not cancel the others'
        except Exception:
            if self._entries.get((version, key)) is future:
                del self._entries[(version, key)]  # do not keep a failure
            raise

    def update_text(self, sub_id: str, stream_type: str, body_json: str) -> str:
        """The whole update message, made once per subscription id and body however many
        clients it goes to (most clients' first subscription is "s1")."""
        key = (sub_id, stream_type, body_json)  # body_json: the shared object, hashed once
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) > 10_000:
                self._texts = {}
            head = json.dumps({"subscription_id": sub_id, "stream_type": stream_type})
            text = self._texts[key] = f'{{"type": "update", {head[1:-1]}, {body_json[1:]}'
        return text

    def _future(self, version: int, key: str, message: Subscribe) -> asyncio.Future:
        future = self._entries.get((version, key))
        if future is None:
            future = asyncio.ensure_future(run_in_threadpool(_computed, message, self.store))
            future.add_done_callback(_retrieve)
            self._entries[(version, key)] = future
        return future


def _retrieve(future: asyncio.Future) -> None:
    """Mark a prefetch's error as seen (the clients that ask get it raised)."""
    if not future.cancelled():
        future.exception()


def _computed(message: Subscribe, store: MartStore) -> tuple[dict[str, Any], str]:
    body = payload(message, store.current())
    return body, json.dumps(body, default=str)
