"""The bundled sample (data/sample/fred): loads cleanly, lags applied, reproducible."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from fred_fixtures import REPO, SAMPLE_FOLDER

from ingestion.fred import ReplayClient, fetch
from ingestion.fred.bundle import SAMPLE_SERIES, build_sample

SHARED_FRED = REPO.parent / "shared" / "data" / "fred"


@pytest.fixture(scope="module")
def sample() -> dict[str, pl.DataFrame]:
    client = ReplayClient(SAMPLE_FOLDER)
    loaded = {}
    for series_id in client.keys():  # noqa: SIM118 (keys() is the client API, not a dict)
        series, observations = fetch(client, series_id)
        assert not series.rejected and not observations.rejected, series_id
        loaded[series_id] = observations.rows
    return loaded


def _row(rows: pl.DataFrame, day: date) -> tuple:
    return rows.filter(pl.col("observation_date") == day).select(
        "value", "realtime_start", "realtime_end").row(0)


def test_bundle_holds_the_public_domain_series(sample) -> None:
    assert set(sample) == {"GDP"} | {s.series_id for s in SAMPLE_SERIES}
    assert not {"VIXCLS", "SP500", "UMCSENT", "BAMLC0A0CM", "MORTGAGE30US"} & set(sample)
    assert sample["GDP"]["realtime_start"].n_unique() == 395  # real ALFRED vintages


def test_snapshot_series_get_documented_first_release_lags(sample) -> None:
    open_end = date(9999, 12, 31)
    assert _row(sample["UNRATE"], date(2025, 10, 1)) == (None, date(2025, 11, 7), open_end)
    assert _row(sample["UNRATE"], date(2025, 11, 1)) == (4.6, date(2025, 12, 7), open_end)
    assert _row(sample["CPIAUCSL"], date(2025, 11, 1))[1] == date(2025, 12, 15)
    assert _row(sample["GDPC1"], date(2025, 7, 1)) == (24024.957, date(2025, 10, 30), open_end)
    assert _row(sample["ICSA"], date(2025, 12, 27)) == (199000.0, date(2026, 1, 1), open_end)
    assert _row(sample["DGS10"], date(2025, 12, 30)) == (4.14, date(2025, 12, 31), open_end)
    assert _row(sample["DGS10"], date(2025, 12, 25))[0] is None  # holiday: FRED's '.'
    assert sample["DGS10"]["observation_date"].min() == date(2000, 1, 3)
    assert sample["PAYEMS"]["observation_date"].min() == date(1990, 1, 1)


def test_bundle_is_small() -> None:
    size = sum(p.stat().st_size for p in SAMPLE_FOLDER.rglob("*") if p.is_file())
    assert size < 1_500_000


@pytest.mark.skipif(not SHARED_FRED.is_dir(), reason="../shared/data/fred not beside the repo")
def test_bundle_rebuilds_byte_for_byte(tmp_path) -> None:
    build_sample(SHARED_FRED, tmp_path)
    rebuilt = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(SAMPLE_FOLDER) for p in SAMPLE_FOLDER.rglob("*")
                       if p.is_file())
    assert rebuilt == committed
    for path in rebuilt:
        assert (tmp_path / path).read_bytes() == (SAMPLE_FOLDER / path).read_bytes(), path
