"""`factor-mart ingest`: recorded payloads land, a malformed file is named, writers queue."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
CLI = Path(sys.executable).parent / "factor-mart"


def _ingest(source: str, folder: Path, db: Path) -> subprocess.Popen:
    env = os.environ | {"FACTOR_MART_DUCKDB_PATH": str(db), "FACTOR_MART_BACKEND": "duckdb"}
    return subprocess.Popen([str(CLI), "ingest", source, "--from", str(folder)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _count(db: Path, sql: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]


def test_malformed_file_is_named_and_the_rest_loads(tmp_path):
    folder = tmp_path / "edgar" / "companyfacts"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE / "edgar/companyfacts/CIK0001997711.json.gz", folder)
    good = (SAMPLE / "edgar/companyfacts/CIK0001640147.json.gz").read_bytes()
    broken = folder / "CIK0001640147.json.gz"
    broken.write_bytes(good[: len(good) // 3])  # a truncated download
    process = _ingest("edgar", tmp_path / "edgar", tmp_path / "w.duckdb")
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    assert "CIK0001640147.json.gz" in output and "not a readable gzip file" in output
    assert _count(tmp_path / "w.duckdb",
                  "SELECT count(*) FROM raw.edgar_facts WHERE cik = 1997711") == 768
    assert _count(tmp_path / "w.duckdb",
                  "SELECT count(*) FROM raw.edgar_facts WHERE cik = 1640147") == 0


def test_two_writers_started_together_both_succeed(tmp_path):
    db = tmp_path / "w.duckdb"
    fred, bars = _ingest("fred", SAMPLE / "fred", db), _ingest("ibkr", SAMPLE / "ibkr", db)
    for process in (fred, bars):
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output
    assert _count(db, "SELECT count(*) FROM raw.fred_observations") == 56_560
    assert _count(db, "SELECT count(*) FROM raw.ib_bars") == 36_738
