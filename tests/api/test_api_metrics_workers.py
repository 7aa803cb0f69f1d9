"""/metrics with several uvicorn workers: every scrape reports the sum over all of them."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import httpx
import pytest
from serving import CLI, free_port

REQUESTS = 40


def _value(text: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(prefix))


@pytest.fixture
def two_workers(warehouse, tmp_path):
    """`factor-mart serve --workers 2` sharing a Redis broadcaster and a metrics folder."""
    try:
        import redis

        redis.Redis(socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 (any failure means no Redis to test with)
        pytest.skip(f"no Redis on 127.0.0.1:6379: {exc}")
    port, folder = free_port(), tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"")  # a previous run's file: serve must clear it
    env = os.environ | {
        "FACTOR_MART_DUCKDB_PATH": str(warehouse.duckdb_path), "FACTOR_MART_API_AUTH": "false",
        "FACTOR_MART_API_BROADCAST_URL": "redis://127.0.0.1:6379/0",
        "FACTOR_MART_API_BROADCAST_CHANNEL": f"test-{uuid.uuid4().hex}",
        "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    process = subprocess.Popen([str(CLI), "serve", "--port", str(port), "--workers", "2"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.glob("*.db"))) < 2 or not _up(url):  # both workers started
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        yield url, folder
    finally:
        process.terminate()
        process.wait(timeout=30)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_every_scrape_counts_the_requests_of_every_worker(two_workers):
    url, folder = two_workers
    before = _value(httpx.get(f"{url}/metrics").text,
                    'factor_mart_http_requests_total{method="GET",route="/v1/factors"')
    for _ in range(REQUESTS):  # a new connection each time, so both workers answer some
        assert httpx.get(f"{url}/v1/factors", headers={"Connection": "close"}).status_code == 200
    pids = {p.stem.rsplit("_", 1)[1] for p in folder.glob("counter_*.db")}
    assert "1" not in pids and len(pids) >= 2, pids  # stale file gone; both workers counted
    for _ in range(6):  # whichever worker answers the scrape
        text = httpx.get(f"{url}/metrics", headers={"Connection": "close"}).text
        total = _value(text, 'factor_mart_http_requests_total{method="GET",route="/v1/factors"')
        assert total - before == REQUESTS
        assert _value(text, "factor_mart_mart_version ") >= 1
        assert _value(text, "factor_mart_mart_published_timestamp_seconds ") > 1.6e9
