"""API keys (hashed, revocable), JWT, per-key rate limits, CORS, metrics, logs without secrets."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import jwt
import pytest
from serving import start_server, stop_server

from api.keys import KeyStore
from api.security import KeyCache
from factor_mart.settings import Backend, Settings

SECRET = "test-signing-secret-of-enough-length-32b"
CROSS_SECTION = "/v1/factors/ret_1d/cross-section"
KEY_CACHE_SECONDS = 2.0


@pytest.fixture(scope="module")
def secured(warehouse):
    running = start_server(warehouse, api_jwt_secret=SECRET,
                           api_cors_origins="https://app.example.org",
                           api_rate_limit_per_minute="1000",
                           api_key_cache_seconds=str(KEY_CACHE_SECONDS))
    yield running
    stop_server(running)


def _new_key(server, name: str, rate_limit: int | None = None) -> str:
    """A key made in-process (the CLI path is tested once, below; each CLI start is slow)."""
    return KeyStore(server.settings).create(name, rate_limit)[1]


def test_protected_routes_need_a_key_public_ones_do_not(secured):
    assert httpx.get(f"{secured.url}/v1/factors").status_code == 200
    assert httpx.get(f"{secured.url}/v1/health").status_code == 200
    missing = httpx.get(f"{secured.url}{CROSS_SECTION}")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_credentials"
    wrong = httpx.get(f"{secured.url}{CROSS_SECTION}", headers={"X-API-Key": "fm_abc_nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"


def test_key_works_until_revoked_and_is_stored_hashed(secured):
    output = secured.cli("apikey", "create", "revocable")
    key = next(line.split()[-1] for line in output.splitlines() if line.startswith("key:"))
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{secured.url}{CROSS_SECTION}", headers=headers).status_code == 200
    _, key_id, secret = key.split("_", 2)
    store = Path(secured.settings.duckdb_path).parent / "api_keys.sqlite"
    with sqlite3.connect(store) as con:
        stored = con.execute("SELECT secret_sha256 FROM api_keys WHERE key_id = ?",
                             [key_id]).fetchone()[0]
    assert secret not in store.read_bytes().decode("latin-1") and len(stored) == 64
    assert key_id in secured.cli("apikey", "list")
    secured.cli("apikey", "revoke", key_id)
    revoked_at = time.monotonic()
    # The server trusts a verified key for KEY_CACHE_SECONDS: refused within that bound.
    while httpx.get(f"{secured.url}{CROSS_SECTION}", headers=headers).status_code == 200:
        assert time.monotonic() - revoked_at < KEY_CACHE_SECONDS + 1
        time.sleep(0.1)
    assert httpx.get(f"{secured.url}{CROSS_SECTION}", headers=headers).status_code == 401


def test_verified_keys_are_cached_for_a_bounded_time(tmp_path):
    """Within the cache's time a verified key (and a refused token) is answered without the
    key store: here, with the store's file gone; after it, the store decides again."""
    settings = Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "w.duckdb")
    store = KeyStore(settings)
    key = store.create("cached")[1]
    cache = KeyCache(store, seconds=0.5)
    assert cache.verify(key).name == "cached"
    assert cache.verify("fm_abc_wrong") is None
    assert store.revoke(store.list()[0].key_id)
    store.path.rename(tmp_path / "elsewhere.sqlite")
    assert cache.verify(key).name == "cached"  # no store to ask: answered from the cache
    assert cache.verify("fm_abc_wrong") is None
    (tmp_path / "elsewhere.sqlite").rename(store.path)
    time.sleep(0.6)
    assert cache.verify(key) is None  # revoked, and now asked again
    assert KeyCache(store, seconds=0).verify(store.create("uncached")[1]).name == "uncached"


def test_jwt_bearer_tokens(secured):
    good = jwt.encode({"sub": "analyst", "exp": int(time.time()) + 60}, SECRET, "HS256")
    expired = jwt.encode({"sub": "analyst", "exp": int(time.time()) - 1}, SECRET, "HS256")
    forged = jwt.encode({"sub": "analyst", "exp": int(time.time()) + 60}, "x" * 32, "HS256")
    for token, status in ((good, 200), (expired, 401), (forged, 401)):
        response = httpx.get(f"{secured.url}{CROSS_SECTION}",
                             headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status, response.text


def test_per_key_rate_limit_gives_429_with_retry_after(secured):
    key = _new_key(secured, "limited", 3)
    other = _new_key(secured, "unlimited")
    statuses = [httpx.get(f"{secured.url}{CROSS_SECTION}", headers={"X-API-Key": key})
                for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[-1].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(statuses[-1].headers["Retry-After"]) <= 60
    # another key's budget is its own
    assert httpx.get(f"{secured.url}{CROSS_SECTION}",
                     headers={"X-API-Key": other}).status_code == 200


def test_cors_preflight_for_a_configured_origin(secured):
    response = httpx.options(f"{secured.url}/v1/factors", headers={
        "Origin": "https://app.example.org", "Access-Control-Request-Method": "GET"})
    assert response.headers["access-control-allow-origin"] == "https://app.example.org"
    other = httpx.options(f"{secured.url}/v1/factors", headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in other.headers


def test_metrics_count_requests_by_route_template(secured):
    httpx.get(f"{secured.url}/v1/factors/ret_1d")
    text = httpx.get(f"{secured.url}/metrics", headers={"X-API-Key": _new_key(secured, "m")}).text
    assert 'route="/v1/factors/{factor}"' in text
    assert "factor_mart_mart_version 1.0" in text


def test_request_log_has_no_secrets(secured):
    key = _new_key(secured, "logged")
    httpx.get(f"{secured.url}/v1/versions", params={"api_key": key})
    httpx.get(f"{secured.url}/v1/versions", headers={"X-API-Key": key})
    time.sleep(0.3)
    logs = Path(secured.settings.duckdb_path).parent.glob("server-*.log")
    text = "".join(p.read_text() for p in logs)
    assert "/v1/versions?api_key=***" in text
    assert key.split("_", 2)[2] not in text
