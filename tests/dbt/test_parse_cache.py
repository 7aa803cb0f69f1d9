"""The partial-parse file is kept per connection and vars, and handed to the next dbt call."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.defs.dbt.parse_cache import PARTIAL_PARSE_FILE, cache_key, reuse_partial_parse

ENV = {"FACTOR_MART_BACKEND": "duckdb", "FACTOR_MART_DUCKDB_PATH": "/data/a.duckdb"}


def test_key_changes_with_the_connection_and_the_vars_only():
    assert cache_key(ENV, None) == cache_key(dict(reversed(ENV.items())), {})
    assert cache_key(ENV, None) != cache_key(ENV | {"FACTOR_MART_DUCKDB_PATH": "/b.duckdb"}, None)
    assert cache_key(ENV, None) != cache_key(ENV, {"min_date": "2024-01-01"})


def test_a_call_gets_the_file_of_the_last_call_with_the_same_key(tmp_path: Path):
    with reuse_partial_parse(tmp_path, ENV) as first:
        assert not (first / PARTIAL_PARSE_FILE).exists()  # nothing cached yet
        (first / PARTIAL_PARSE_FILE).write_bytes(b"parsed once")  # what dbt leaves behind
    with reuse_partial_parse(tmp_path, ENV, {"min_date": "2024-01-01"}) as other_vars:
        assert not (other_vars / PARTIAL_PARSE_FILE).exists()
    with reuse_partial_parse(tmp_path, ENV) as second:
        assert second != first
        assert (second / PARTIAL_PARSE_FILE).read_bytes() == b"parsed once"
        (second / PARTIAL_PARSE_FILE).write_bytes(b"parsed twice")
    with reuse_partial_parse(tmp_path, ENV) as third:
        assert (third / PARTIAL_PARSE_FILE).read_bytes() == b"parsed twice"


def test_a_call_s_folder_goes_when_it_succeeds_and_stays_when_it_fails(tmp_path: Path):
    with reuse_partial_parse(tmp_path, ENV) as done:
        (done / "run").mkdir()  # what dbt leaves behind: compiled SQL, logs
        (done / PARTIAL_PARSE_FILE).write_bytes(b"parsed")
    assert not done.exists()
    with pytest.raises(RuntimeError), reuse_partial_parse(tmp_path, ENV) as failed:
        (failed / "dbt.log").write_text("the error")
        raise RuntimeError("dbt failed")
    assert (failed / "dbt.log").read_text() == "the error"
    with reuse_partial_parse(tmp_path, ENV) as after:
        assert (after / PARTIAL_PARSE_FILE).read_bytes() == b"parsed"
