"""Keep dbt's partial parsing working from one Dagster run to the next.

dagster-dbt gives every dbt call a fresh target folder and seeds it with the project's
`target/partial_parse.msgpack`, written when the manifest was prepared. dbt throws that file away
(a full parse, ~4.5 CPU-s) unless the profile's connection details and the `--vars` are the ones
it was parsed with; ours never were, because the warehouse path (DuckDB) or the database
(PostgreSQL) comes from settings at run time. So each connection (and set of vars; the Dagster
asset passes none) keeps its own copy of the
file, refreshed after every call: the next run against the same warehouse parses only the files
that changed."""

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
CACHE_FOLDER = "partial_parse_cache"
KEEP = 16  # cached files (~1 MB each); the least recently used go first


def cache_key(dbt_env: Mapping[str, str], dbt_vars: Mapping[str, str] | None) -> str:
    """What dbt's partial-parse check compares: the connection (from the env) and the vars."""
    text = json.dumps({"env": dict(sorted(dbt_env.items())), "vars": dbt_vars or {}},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prune(folder: Path, keep: int = KEEP) -> None:
    files = sorted(folder.glob(f"*.{PARTIAL_PARSE_FILE}"), key=lambda p: p.stat().st_mtime,
                   reverse=True)
    for stale in files[keep:]:
        stale.unlink(missing_ok=True)


@contextmanager
def reuse_partial_parse(project_dir: Path, dbt_env: Mapping[str, str],
                        dbt_vars: Mapping[str, str] | None = None) -> Iterator[Path]:
    """A fresh target folder for one dbt call, seeded with the partial-parse file of the last
    call with the same connection and vars; that call's file is kept for the next one. The
    folder goes when the call succeeds (one a run piled up: ~2 MB of compiled SQL and logs);
    a failed call's stays, for its dbt.log."""
    cache = project_dir / "target" / CACHE_FOLDER
    cached = cache / f"{cache_key(dbt_env, dbt_vars)}.{PARTIAL_PARSE_FILE}"
    target_path = project_dir / "target" / f"dbt-{uuid.uuid4().hex[:12]}"
    target_path.mkdir(parents=True)
    if cached.exists():
        shutil.copyfile(cached, target_path / PARTIAL_PARSE_FILE)
        os.utime(cached)  # recently used
    try:
        yield target_path
    finally:
        parsed = target_path / PARTIAL_PARSE_FILE
        if parsed.exists():
            cache.mkdir(exist_ok=True)
            staged = cache / f".{uuid.uuid4().hex}.tmp"
            shutil.copyfile(parsed, staged)
            os.replace(staged, cached)  # atomic: a concurrent call reads a whole file
            _prune(cache)
    shutil.rmtree(target_path, ignore_errors=True)
