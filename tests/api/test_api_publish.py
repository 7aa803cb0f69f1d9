"""Publishing: numbered snapshots, atomic pointer, retention, and reads while a build runs."""

from __future__ import annotations

import json
import threading
import time

import duckdb
import httpx
import pytest
from serving import start_server, stop_server, write_marts

from factor_mart.publish import open_snapshot, publish, read_pointer, snapshot_dir
from factor_mart.settings import Backend, Settings


@pytest.fixture
def fresh(tmp_path) -> Settings:
    settings = Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "w.duckdb",
                        snapshot_keep=2)
    write_marts(settings.duckdb_path)
    return settings


def test_versions_are_numbered_snapshots_with_retention(fresh):
    versions = [publish(fresh) for _ in range(3)]
    assert [v.version for v in versions] == [1, 2, 3]
    folder = snapshot_dir(fresh)
    assert sorted(p.name for p in folder.glob("mart-*.duckdb")) == ["mart-2.duckdb",
                                                                   "mart-3.duckdb"]
    assert read_pointer(fresh).version == 3
    assert json.loads((folder / "current.json").read_text())["location"] == "mart-3.duckdb"
    with open_snapshot(folder / "mart-3.duckdb") as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'marts'").fetchall()}
        assert {"fct_factor_values", "dim_factor", "mart_versions"} <= tables
        assert con.execute("SELECT count(*) FROM marts.fct_factor_values").fetchone()[0] == 18
        assert con.execute("SELECT max(version) FROM marts.mart_versions").fetchone()[0] == 3
    assert versions[-1].freshness["factors"] == "2024-01-04"
    assert versions[-1].row_counts["fct_macro_regime"] == 3


def test_queries_keep_succeeding_while_a_build_runs(fresh):
    publish(fresh)
    # The reader loops as fast as it can: lift the anonymous rate limit so only the build matters.
    server = start_server(fresh, api_auth="false", api_rate_limit_per_minute="1000000")
    results, stop = [], threading.Event()

    def hammer():
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while not stop.is_set():
                response = client.get("/v1/factors/ret_1d/cross-section",
                                      params={"date": "2024-01-04"})
                body = response.json()
                shifts = {round(r["raw"] - r0, 6) for r0, r in zip(
                    (20.5, 21.5, 22.5), body.get("values", []), strict=False)}
                results.append((response.status_code, body.get("version"), shifts))

    try:
        reader = threading.Thread(target=hammer)
        reader.start()
        time.sleep(0.5)
        # A "build": hold the warehouse write lock, rewrite the marts table in steps.
        with duckdb.connect(str(fresh.duckdb_path)) as con:
            con.execute("DELETE FROM marts.fct_factor_values WHERE factor = 'ret_1d'")
            time.sleep(1.0)  # readers must not see the half-built table
            con.execute("DROP TABLE marts.fct_factor_values")
        write_marts(fresh.duckdb_path, shift=100)
        publish(fresh)
        time.sleep(1.0)
        stop.set()
        reader.join(timeout=15)
    finally:
        stop_server(server)
    assert len(results) > 10
    assert all(status == 200 for status, _, _ in results), [r for r in results if r[0] != 200][:3]
    # every answer is one whole version: version 1 unshifted, version 2 shifted by 100
    assert {(version, frozenset(shifts)) for _, version, shifts in results} <= {
        (1, frozenset({0.0})), (2, frozenset({100.0}))}
    assert results[-1][1] == 2


def test_as_of_reads_an_earlier_retained_version(fresh):
    publish(fresh)
    time.sleep(0.05)
    between = read_pointer(fresh).published_at.isoformat()
    time.sleep(0.05)
    write_marts(fresh.duckdb_path, shift=100)
    publish(fresh)
    server = start_server(fresh, api_auth="false")
    try:
        url = f"{server.url}/v1/symbols/AAA/factors"
        now = httpx.get(url, params={"factors": "ret_1d"}).json()
        then = httpx.get(url, params={"factors": "ret_1d", "as_of": between}).json()
        assert now["version"] == 2 and then["version"] == 1
        assert [r["raw"] - 100 for r in now["values"]] == [r["raw"] for r in then["values"]]
        publish(fresh)  # keep=2: version 1 is removed
        gone = httpx.get(url, params={"factors": "ret_1d", "as_of": between})
        assert gone.status_code == 410 and gone.json()["error"]["field"] == "as_of"
        versions = httpx.get(f"{server.url}/v1/versions").json()["items"]
        assert [(v["version"], v["retained"]) for v in versions] == [
            (3, True), (2, True), (1, False)]
    finally:
        stop_server(server)


def test_before_the_first_publish(tmp_path):
    settings = Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "empty.duckdb")
    server = start_server(settings, api_auth="false")
    try:
        health = httpx.get(f"{server.url}/v1/health")
        assert health.status_code == 503 and health.json()["status"] == "degraded"
        catalog = httpx.get(f"{server.url}/v1/factors").json()  # the code's registry
        assert catalog["version"] is None and catalog["count"] > 0
        section = httpx.get(f"{server.url}/v1/factors/ret_1d/cross-section")
        assert section.status_code == 503 and section.json()["error"]["code"] == "not_published"
    finally:
        stop_server(server)
