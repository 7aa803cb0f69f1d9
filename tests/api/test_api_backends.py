"""Several workers: Redis pub/sub and PostgreSQL LISTEN/NOTIFY broadcasters; the PostgreSQL mart."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import redis
from serving import (
    raw_value,
    sse_events,
    start_server,
    stop_server,
    write_marts,
    write_marts_postgres,
)

from factor_mart.publish import publish
from factor_mart.settings import Backend, Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_available(), reason=f"Redis not reachable at {REDIS_URL}")
def test_redis_broadcaster_reaches_every_worker(tmp_path):
    channel = f"fm_test_{uuid.uuid4().hex[:8]}"
    settings = Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "w.duckdb",
                        api_broadcast_url=REDIS_URL, api_broadcast_channel=channel)
    write_marts(settings.duckdb_path)
    publish(settings)
    workers = [start_server(settings, api_auth="false", api_broadcast_url=REDIS_URL,
                            api_broadcast_channel=channel) for _ in range(2)]
    try:
        streams = [httpx.stream("GET", f"{w.url}/v1/stream/events", timeout=15)
                   for w in workers]
        responses = [s.__enter__() for s in streams]
        lines = [r.iter_lines() for r in responses]
        version = publish(settings).version  # this process publishes; both workers hear it
        for worker_lines in lines:
            [event] = sse_events(worker_lines, 1)
            assert event["id"] == str(version) and event["event"] == "mart_published"
        for stream in streams:
            stream.__exit__(None, None, None)
    finally:
        for worker in workers:
            stop_server(worker)


@pytest.mark.skipif(not _redis_available(), reason=f"Redis not reachable at {REDIS_URL}")
def test_rate_limit_is_shared_by_workers_through_redis(warehouse):
    from api.keys import KeyStore

    key = KeyStore(warehouse).create("shared", 3)[1]
    workers = [start_server(warehouse, api_broadcast_url=REDIS_URL,
                            api_broadcast_channel=f"fm_test_{uuid.uuid4().hex[:8]}")
               for _ in range(2)]
    try:
        statuses = [httpx.get(f"{workers[i % 2].url}/v1/versions",
                              headers={"X-API-Key": key}).status_code for i in range(4)]
    finally:
        for worker in workers:
            stop_server(worker)
    assert statuses == [200, 200, 200, 429]


@pytest.mark.postgres
def test_postgres_mart_and_listen_notify(postgres_dsn, tmp_path):
    channel = f"fm_test_{uuid.uuid4().hex[:8]}"
    settings = Settings(backend=Backend.postgres, postgres_dsn=postgres_dsn,
                        duckdb_path=tmp_path / "unused.duckdb", api_broadcast_url=postgres_dsn,
                        api_broadcast_channel=channel)
    write_marts_postgres(postgres_dsn)
    assert publish(settings).location == "mart_v1"
    server = start_server(settings, api_auth="false", api_broadcast_url=postgres_dsn,
                          api_broadcast_channel=channel)
    try:
        body = httpx.get(f"{server.url}/v1/factors/beta_dgs10_252d/cross-section",
                         params={"date": "2024-01-03"}).json()
        assert [r["raw"] for r in body["values"]] == [raw_value(1, s, 1) for s in range(3)]
        assert body["version"] == 1
        with httpx.stream("GET", f"{server.url}/v1/stream/events", timeout=15) as response:
            lines = response.iter_lines()
            write_marts_postgres(postgres_dsn, shift=100)
            version = publish(settings)
            [event] = sse_events(lines, 1)
            assert event["id"] == "2" and json.loads(event["data"])["version"] == 2
        assert version.location == "mart_v2"
        body = httpx.get(f"{server.url}/v1/factors/beta_dgs10_252d/cross-section",
                         params={"date": "2024-01-03"}).json()
        assert body["version"] == 2 and body["values"][0]["raw"] == raw_value(1, 0, 1) + 100
        health = httpx.get(f"{server.url}/v1/health").json()
        assert health["latest_version"] == 2
        assert health["freshness"]["factors"]["latest"] == "2024-01-04"
        versions = httpx.get(f"{server.url}/v1/versions").json()
        assert [(v["version"], v["retained"]) for v in versions["items"]] == [(2, True),
                                                                               (1, True)]
        assert httpx.get(f"{server.url}/v1/symbols/ZZZ/factors").status_code == 404
    finally:
        stop_server(server)
