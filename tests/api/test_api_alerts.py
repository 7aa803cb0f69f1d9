"""The universe_summary and alerts WebSocket streams on a real server, driven by publishes."""

from __future__ import annotations

import json
import time
from datetime import date

import duckdb
import polars as pl
import pytest
from serving import write_marts
from websockets.sync.client import connect

from api.alerts import AlertRule
from factor_mart.publish import publish
from factor_mart.settings import Backend, Settings

LATEST, BEFORE = date(2024, 1, 4), date(2024, 1, 3)
# Universe size (symbols with a bar) per date, and symbols with a value per factor: on the
# latest date DDD has a bar but no factors, and BBB has no beta_dgs10_252d.
COVERAGE = [(BEFORE, "ret_1d", 3, 3), (BEFORE, "beta_dgs10_252d", 3, 3),
            (LATEST, "ret_1d", 3, 4), (LATEST, "beta_dgs10_252d", 2, 4)]
SECTORS = {"AAA": "Technology", "BBB": "Technology", "CCC": "Energy", "DDD": "Energy"}
SET_VALUE = "UPDATE marts.fct_factor_values SET {field} = ? WHERE factor = ? AND symbol = ? " \
            "AND date = DATE '2024-01-04'"


def _publish(settings: Settings, edits: list[tuple[str, list]] = ()) -> int:
    """The serving fixture mart plus coverage and a security master; `edits` run before publish."""
    write_marts(settings.duckdb_path)
    coverage = pl.DataFrame(
        [{"date": d, "factor": f, "symbols": n, "universe": u, "coverage": n / u}
         for d, f, n, u in COVERAGE],
        schema={"date": pl.Date, "factor": pl.String, "symbols": pl.UInt32,
                "universe": pl.UInt32, "coverage": pl.Float64})
    security = pl.DataFrame({"symbol": list(SECTORS), "sector": list(SECTORS.values())})
    with duckdb.connect(str(settings.duckdb_path)) as con:
        for name, frame in (("fct_factor_coverage", coverage), ("dim_security", security)):
            con.register("incoming", frame.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE marts.{name} AS SELECT * FROM incoming")
            con.unregister("incoming")
        con.execute("DELETE FROM marts.fct_factor_values WHERE symbol = 'BBB' "
                    "AND factor = 'beta_dgs10_252d' AND date = DATE '2024-01-04'")
        for sql, params in edits:
            con.execute(sql, params)
    return publish(settings).version


def _reset(settings: Settings) -> None:
    """Publish the unedited mart and let the server notice it (it polls every 0.2 s)."""
    _publish(settings)
    time.sleep(0.8)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Settings:
    """Overrides conftest's: the same mart with coverage and sectors, published once."""
    folder = tmp_path_factory.mktemp("alerts")
    settings = Settings(backend=Backend.duckdb, duckdb_path=folder / "warehouse.duckdb")
    _publish(settings)
    return settings


def _recv(ws, timeout: float = 10) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def _drain(ws, seconds: float = 1.5) -> list[dict]:
    """Every message that arrives within `seconds` of the last one."""
    messages = []
    while True:
        try:
            messages.append(_recv(ws, timeout=seconds))
        except TimeoutError:
            return messages


def _socket(server, api_key):
    return connect(f"{server.ws_url}/v1/stream/ws", additional_headers={"X-API-Key": api_key})


def test_universe_summary_on_subscribe_and_after_a_publish(server, api_key, warehouse):
    _reset(warehouse)
    with _socket(server, api_key) as ws:
        ws.send(json.dumps({"type": "subscribe", "stream_type": "universe_summary",
                            "update_frequency_seconds": 0}))
        subscribed = _recv(ws)
        assert subscribed["type"] == "subscribed" and "alerts" not in subscribed
        summary = _recv(ws)
        assert summary["type"] == "update" and summary["stream_type"] == "universe_summary"
        assert {k: v for k, v in summary.items() if k not in ("version", "subscription_id",
                                                             "type", "stream_type")} == {
            "date": "2024-01-04", "universe": 4, "symbols_with_values": 3,
            "families": [
                {"family": "cross_source", "factors": 1, "symbols": 2, "coverage": 2 / 4,
                 "mean_factor_coverage": 2 / 4},
                {"family": "technical", "factors": 1, "symbols": 3, "coverage": 3 / 4,
                 "mean_factor_coverage": 3 / 4}],
            "sectors": [{"sector": "Technology", "symbols": 2},
                        {"sector": "Energy", "symbols": 1}]}

        # CCC loses its values on the latest date (coverage restated to match).
        version = _publish(warehouse, [
            ("DELETE FROM marts.fct_factor_values WHERE symbol = 'CCC' "
             "AND date = DATE '2024-01-04'", []),
            ("UPDATE marts.fct_factor_coverage SET symbols = symbols - 1, "
             "coverage = (symbols - 1) / universe WHERE date = DATE '2024-01-04'", [])])
        update = _recv(ws)
        assert update["version"] == version and update["universe"] == 4
        assert update["symbols_with_values"] == 2
        assert [(f["family"], f["symbols"], f["coverage"], f["mean_factor_coverage"])
                for f in update["families"]] == [("cross_source", 1, 1 / 4, 1 / 4),
                                                 ("technical", 2, 2 / 4, 2 / 4)]
        assert update["sectors"] == [{"sector": "Technology", "symbols": 2}]


RULES = [
    {"factor": "ret_1d", "symbol": "AAA", "field": "raw", "above": 25},        # 10.5 -> 20.5
    {"factor": "ret_1d", "symbol": "bbb", "field": "z", "below": -1.5},        # 0 -> 0
    {"factor": "beta_dgs10_252d", "symbol": "CCC", "field": "raw", "above": 120},  # crossed
    {"factor": "ret_1d", "symbol": "CCC", "field": "raw", "below": 0},          # 12.5 -> 22.5
]


def test_alerts_fire_on_a_crossing_after_a_publish(server, api_key, warehouse):
    _reset(warehouse)
    with _socket(server, api_key) as ws:
        ws.send(json.dumps({"type": "subscribe", "stream_type": "mart_versions",
                            "update_frequency_seconds": 0}))
        assert _recv(ws)["type"] == "subscribed" and _recv(ws)["type"] == "update"
        ws.send(json.dumps({"type": "subscribe", "stream_type": "alerts", "alerts": RULES,
                            "update_frequency_seconds": 0}))
        subscribed = _recv(ws)
        assert subscribed["alerts"][1] == {"factor": "ret_1d", "symbol": "BBB", "field": "z",
                                           "below": -1.5}
        alert_id = subscribed["subscription_id"]
        state = _recv(ws)
        assert state["type"] == "update" and state["date"] == "2024-01-04"
        assert [(r["previous"], r["current"], r["beyond"], r["crossed"])
                for r in state["values"]] == [(10.5, 20.5, False, False), (0.0, 0.0, False, False),
                                              (112.5, 122.5, True, True),
                                              (12.5, 22.5, False, False)]
        # The crossing already in the data at subscribe time is not an alert.
        assert _drain(ws, 1.0) == []

        # AAA's raw and BBB's z on the newest date move past their thresholds.
        version = _publish(warehouse, [(SET_VALUE.format(field="raw"), [30.0, "ret_1d", "AAA"]),
                                       (SET_VALUE.format(field="z"), [-2.0, "ret_1d", "BBB"])])
        messages = _drain(ws)
        assert [m["type"] for m in messages].count("update") == 1  # the mart_versions one
        alerts = [m for m in messages if m["type"] == "alert"]
        assert alerts == [
            {"type": "alert", "subscription_id": alert_id, "stream_type": "alerts",
             "version": version, "factor": "ret_1d", "symbol": "AAA", "field": "raw",
             "direction": "above", "threshold": 25.0, "previous": 10.5, "current": 30.0,
             "previous_date": "2024-01-03", "date": "2024-01-04", "beyond": True},
            {"type": "alert", "subscription_id": alert_id, "stream_type": "alerts",
             "version": version, "factor": "ret_1d", "symbol": "BBB", "field": "z",
             "direction": "below", "threshold": -1.5, "previous": 0.0, "current": -2.0,
             "previous_date": "2024-01-03", "date": "2024-01-04", "beyond": True}]

        # Restated but no new crossing: AAA still beyond (already reported for this date),
        # BBB's z back above -1.5: no alerts.
        _publish(warehouse, [(SET_VALUE.format(field="raw"), [40.0, "ret_1d", "AAA"]),
                             (SET_VALUE.format(field="z"), [-1.0, "ret_1d", "BBB"])])
        messages = _drain(ws)
        assert [m["type"] for m in messages] == ["update"]

        # BBB crosses again on the same date after moving back: reported again.
        version = _publish(warehouse, [(SET_VALUE.format(field="z"), [-3.0, "ret_1d", "BBB"])])
        alerts = [m for m in _drain(ws) if m["type"] == "alert"]
        assert [(a["symbol"], a["previous"], a["current"], a["version"]) for a in alerts] == [
            ("BBB", 0.0, -3.0, version)]

        ws.send(json.dumps({"type": "unsubscribe", "subscription_id": alert_id}))
        assert _recv(ws)["type"] == "unsubscribed"


def test_no_alert_when_nothing_crosses(server, api_key, warehouse):
    _reset(warehouse)
    with _socket(server, api_key) as ws:
        ws.send(json.dumps({"type": "subscribe", "stream_type": "alerts",
                            "update_frequency_seconds": 0, "alerts": [
                                {"factor": "ret_1d", "symbol": "AAA", "field": "raw",
                                 "above": 1000},
                                {"factor": "beta_dgs10_252d", "symbol": "AAA", "field": "z",
                                 "below": -5}]}))
        assert _recv(ws)["type"] == "subscribed" and _recv(ws)["type"] == "update"
        # Values move a lot but stay on their side of the thresholds.
        _publish(warehouse, [(SET_VALUE.format(field="raw"), [900.0, "ret_1d", "AAA"]),
                             (SET_VALUE.format(field="z"), [-4.0, "beta_dgs10_252d", "AAA"])])
        assert _drain(ws, 2.0) == []
        ws.send(json.dumps({"type": "ping"}))
        assert _recv(ws) == {"type": "pong"}


def _subscribe_alerts(ws, alerts, **extra) -> dict:
    ws.send(json.dumps({"type": "subscribe", "stream_type": "alerts", "alerts": alerts}
                       | extra))
    return _recv(ws)


def test_malformed_alert_subscriptions_get_errors(server, api_key, warehouse):
    _reset(warehouse)
    good = {"factor": "ret_1d", "symbol": "AAA", "field": "raw", "above": 70}
    bad_shapes = {
        "field": good | {"field": "rank"},
        "exactly one": good | {"below": 30},
        "exactly one of": {k: v for k, v in good.items() if k != "above"},
        "valid number": good | {"above": "70"},
        "when": good | {"when": "now"},  # unknown keys are refused
    }
    with _socket(server, api_key) as ws:
        for expected, rule in bad_shapes.items():
            error = _subscribe_alerts(ws, [rule])
            assert error["type"] == "error" and error["code"] == "bad_message", rule
            assert "alerts" in error["message"] and expected in error["message"], error
        checks = {
            "unknown factor(s): nope_factor": [good | {"factor": "nope_factor"}],
            "unknown symbol(s): ZZZ": [good | {"symbol": "zzz"}],
            "dgs10_level (macro)": [good | {"factor": "dgs10_level"}],
            "non-empty 'alerts'": [],
        }
        for expected, alerts in checks.items():
            error = _subscribe_alerts(ws, alerts)
            assert error["code"] == "invalid_subscription" and expected in error["message"]
        error = _subscribe_alerts(ws, [good], symbols=["AAA"])
        assert "inside each rule" in error["message"]
        ws.send(json.dumps({"type": "subscribe", "stream_type": "factors", "symbols": ["AAA"],
                            "factors": ["ret_1d"], "alerts": [good]}))
        assert "belongs to stream_type alerts" in _recv(ws)["message"]
        ws.send(json.dumps({"type": "subscribe", "stream_type": "alerts"}))
        assert "non-empty 'alerts'" in _recv(ws)["message"]

        # Still connected and usable.
        ws.send(json.dumps({"type": "ping"}))
        assert _recv(ws) == {"type": "pong"}
        subscribed = _subscribe_alerts(ws, [good])
        assert subscribed["type"] == "subscribed" and subscribed["subscription_id"] == "s1"
        assert _recv(ws)["values"][0]["current"] == 20.5


@pytest.mark.parametrize(("rule", "previous", "current", "crossed"), [
    ({"above": 70}, 65.0, 71.0, True),
    ({"above": 70}, None, 71.0, True),      # no previous value: counts as the other side
    ({"above": 70}, 70.0, 70.5, True),      # at the threshold is not beyond it
    ({"above": 70}, 72.0, 75.0, False),     # already beyond
    ({"above": 70}, 65.0, None, False),     # no value now
    ({"below": 30}, 31.0, 29.5, True),
    ({"below": 30}, 31.0, 30.0, False),
])
def test_crossing_rule(rule, previous, current, crossed):
    alert = AlertRule(factor="rsi_14", symbol="AAPL", field="raw", **rule)
    assert alert.crossed(previous, current) is crossed
