"""Fixtures: a published hand-made mart and a running API server with an API key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serving import Server, start_server, stop_server, write_marts

from api.keys import KeyStore
from factor_mart.publish import publish
from factor_mart.settings import Backend, Settings


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Settings:
    """A DuckDB warehouse with one published version."""
    folder = tmp_path_factory.mktemp("api")
    settings = Settings(backend=Backend.duckdb, duckdb_path=folder / "warehouse.duckdb")
    write_marts(settings.duckdb_path)
    publish(settings)
    return settings


@pytest.fixture(scope="module")
def server(warehouse: Settings) -> Iterator[Server]:
    """The API with auth on (catalog and health public) and a generous rate limit."""
    running = start_server(warehouse, api_rate_limit_per_minute="10000")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def api_key(server: Server) -> str:
    return KeyStore(server.settings).create("tests")[1]
