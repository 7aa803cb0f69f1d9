"""The DuckDB publish: each past year of fct_factor_values, and each month of its newest year, is
an immutable DuckDB part named by its content and shared by the versions that hold it; a new
version writes only the parts (and the small tables) whose content changed, and it must equal a
full copy."""

from __future__ import annotations

import hashlib
import shutil
import threading
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from factor_mart.publish import open_snapshot, publish, snapshot_dir, snapshots
from factor_mart.publish.parts import FINGERPRINTS_TABLE
from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect
from factor_mart.warehouse.tables import WRITES_TABLE, replace_partition

YEARS = (2021, 2022, 2023)
# 1,095 days x 30 symbols x 14 factors: ~150 k rows a year, more than one row group each.
SYMBOLS, FACTORS = 30, 14
# The newest year is cut by month: 202301 .. 202312.
PARTS = {2021, 2022, *range(202301, 202313)}


def _build_warehouse(path: Path) -> None:
    """Marts like the build's: factor values appended in date order, and small tables."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(f"""
            CREATE TABLE marts.fct_factor_values AS
            SELECT d.date, 'S' || lpad(s::VARCHAR, 2, '0') AS symbol, 'f_' || f AS factor,
                   ((epoch(d.date) / 86400 * 31 + s * 7 + f) % 997) / 10.0 AS raw,
                   (s - 15) / 10.0 AS z, (s + 1) / {SYMBOLS}.0 AS rank,
                   CASE WHEN s % 5 = 0 THEN NULL ELSE (f - 7) / 4.0 END AS sector_z
            FROM (SELECT unnest(range(DATE '{YEARS[0]}-01-01', DATE '{YEARS[-1] + 1}-01-01',
                                      INTERVAL 1 DAY))::DATE AS date) AS d,
                 range({SYMBOLS}) AS t(s), range({FACTORS}) AS u(f)
            ORDER BY d.date, symbol, factor""")
        con.execute("CREATE TABLE marts.dim_factor AS SELECT 'f_' || f AS factor, "
                    "f % 3 AS direction FROM range(14) AS t(f)")
        con.execute("CREATE TABLE marts.fct_prices_daily AS SELECT 'S00' AS symbol, "
                    "DATE '2023-12-29' AS trading_date, 101.5 AS adjusted_close")


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings(backend=Backend.duckdb, duckdb_path=tmp_path / "w" / "w.duckdb",
                        snapshot_keep=10)
    settings.duckdb_path.parent.mkdir()
    _build_warehouse(settings.duckdb_path)
    return settings


def _snapshot(settings: Settings, version: int) -> Path:
    return snapshot_dir(settings) / f"mart-{version}.duckdb"


def _written_in(settings: Settings, version: int) -> dict[tuple[str, int | None], int]:
    with duckdb.connect(str(_snapshot(settings, version)), read_only=True) as con:
        rows = con.execute("SELECT table_name, part, written_in FROM snapshot_meta.parts")
        return {(table, part): written for table, part, written in rows.fetchall()}


def _rewrite_december(settings: Settings, shift: float) -> None:
    """The daily increment's write: December 2023 replaced (values shifted, one day fewer)
    through the factor stage's writer."""
    start, end = date(2023, 12, 1), date(2023, 12, 31)
    with connect(settings) as wh:
        month = wh.query("SELECT * FROM marts.fct_factor_values WHERE date >= ?", [start])
        frame = month.filter(pl.col("date") < end).with_columns(pl.col("raw") + shift)
        replace_partition(wh, "marts.fct_factor_values", frame, "date", start, end)


def _full_copy(settings: Settings, tmp_path: Path) -> Path:
    """The same warehouse published from scratch: the reference an increment must equal."""
    folder = tmp_path / "reference"
    folder.mkdir()
    shutil.copyfile(settings.duckdb_path, folder / "w.duckdb")
    reference = Settings(backend=Backend.duckdb, duckdb_path=folder / "w.duckdb")
    version = publish(reference)
    return snapshot_dir(reference) / version.location


def _part_of(day: date, newest_year: int) -> int:
    return day.year if day.year < newest_year else day.year * 100 + day.month


def _parts(path: Path) -> dict[int | None, Path]:
    """The part file of each part of fct_factor_values that the version at `path` reads."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT part, file FROM snapshot_meta.parts "
                           "WHERE table_name = 'fct_factor_values'").fetchall()
    return {part: path.parent / file for part, file in rows}


def _contents(path: Path) -> dict[str, tuple]:
    """Per mart table of the version at `path`: its columns with their types, row count and
    the sum of its rows' hashes."""
    with open_snapshot(path) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
            "AND table_name <> 'mart_versions' ORDER BY 1").fetchall()]
        found = {}
        for table in tables:
            described = con.execute(f"DESCRIBE marts.{table}").fetchall()
            names = ", ".join(f'"{r[0]}"' for r in described)
            found[table] = ([r[:2] for r in described], *con.execute(
                f"SELECT count(*), sum(hash({names})) FROM marts.{table}").fetchone())
        return found


def _assert_same_marts(incremental: Path, full: Path) -> None:
    ours = _contents(incremental)
    assert "fct_factor_values" in ours
    assert ours == _contents(full)
    # fct_factor_values in the API's order (factor, symbol, date) within each part's file; the
    # same content has the same file name in either folder.
    ours, theirs = _parts(incremental), _parts(full)
    newest = max(p if p < 9999 else p // 100 for p in ours)
    assert {p: f.name for p, f in ours.items()} == {p: f.name for p, f in theirs.items()}
    for part, file in ours.items():
        in_order = "SELECT * FROM fct_factor_values ORDER BY rowid"
        with duckdb.connect(str(file), read_only=True) as con:
            rows = con.execute(in_order).fetchall()
        with duckdb.connect(str(theirs[part]), read_only=True) as con:
            assert rows == con.execute(in_order).fetchall(), part
        assert {_part_of(r[0], newest) for r in rows} == {part}
        keys = [(r[2], r[1], r[0]) for r in rows]
        assert keys == sorted(keys)


def test_an_increment_equals_a_full_copy_and_rewrites_only_what_changed(settings, tmp_path):
    first = publish(settings)
    assert set(_written_in(settings, 1).values()) == {1}
    _rewrite_december(settings, shift=0.25)
    with connect(settings) as wh:
        wh.execute("UPDATE marts.dim_factor SET direction = -1 WHERE factor = 'f_3'")
    second = publish(settings)
    assert (first.version, second.version) == (1, 2)

    _assert_same_marts(_snapshot(settings, 2), _full_copy(settings, tmp_path))
    # Only December 2023 and dim_factor were written again; the other parts are version 1's.
    assert _written_in(settings, 2) == {
        **{("fct_factor_values", part): 1 for part in PARTS - {202312}},
        ("fct_factor_values", 202312): 2, ("dim_factor", None): 2,
        ("fct_prices_daily", None): 1}
    # Timing-free evidence from the storage: the other parts are the very files version 1 wrote
    # (shared, not copied), December 2023 a new one; version 1 still reads its own.
    first_parts, second_parts = _parts(_snapshot(settings, 1)), _parts(_snapshot(settings, 2))
    assert set(first_parts) == set(second_parts) == PARTS
    for part in PARTS - {202312}:
        assert second_parts[part] == first_parts[part]
    assert second_parts[202312] != first_parts[202312]
    assert sorted(p.name for p in snapshot_dir(settings).glob("part-*")) == sorted(
        {p.name for p in (*first_parts.values(), *second_parts.values())})
    with open_snapshot(_snapshot(settings, 1)) as con:
        assert con.execute("SELECT max(raw) FROM marts.fct_factor_values WHERE date = "
                           "'2023-12-01' AND symbol = 'S01' AND factor = 'f_2'").fetchone()[0] \
            == pytest.approx(((date(2023, 12, 1) - date(1970, 1, 1)).days * 31 + 7 + 2) % 997 / 10)
    with open_snapshot(_snapshot(settings, 2)) as con:
        assert con.execute("SELECT max(version) FROM marts.mart_versions").fetchone()[0] == 2
        assert con.execute("SELECT raw FROM marts.fct_factor_values WHERE date = '2023-12-01' "
                           "AND symbol = 'S01' AND factor = 'f_2'").fetchone()[0] == pytest.approx(
            ((date(2023, 12, 1) - date(1970, 1, 1)).days * 31 + 7 + 2) % 997 / 10 + 0.25)


def _changed(settings: Settings, version: int) -> set[tuple[str, int | None]]:
    """The parts (and small tables) that `version` wrote."""
    return {p for p, v in _written_in(settings, version).items() if v == version}


def test_change_detection_sees_logged_writes_and_changed_row_counts(settings, tmp_path):
    publish(settings)
    publish(settings)  # nothing changed: nothing is written
    assert set(_written_in(settings, 2).values()) == {1}
    with connect(settings) as wh:  # by hand: a row of 2021 gone, one value of 2022 changed
        wh.execute("DELETE FROM marts.fct_factor_values "
                   "WHERE date = '2021-03-03' AND symbol = 'S11' AND factor = 'f_0'")
        wh.execute("UPDATE marts.fct_factor_values SET z = z + 1e-12 "
                   "WHERE date = '2022-06-30' AND symbol = 'S07' AND factor = 'f_9'")
    publish(settings)
    # 2021's row count changed; 2022's did not and no write was logged: it was not read again.
    assert _changed(settings, 3) == {("fct_factor_values", 2021)}
    with connect(settings) as wh:
        wh.execute(f"DELETE FROM {FINGERPRINTS_TABLE}")  # every part is hashed again
    publish(settings)
    assert _changed(settings, 4) == {("fct_factor_values", 2022)}
    # A write through the writers, same rows but one value: its month is read again.
    with connect(settings) as wh:
        day = date(2023, 2, 1)
        frame = wh.query("SELECT * FROM marts.fct_factor_values WHERE date = ?", [day])
        frame = frame.with_columns(
            pl.when((pl.col("symbol") == "S05") & (pl.col("factor") == "f_1"))
            .then(0.0).otherwise(pl.col("sector_z")).alias("sector_z"))
        replace_partition(wh, "marts.fct_factor_values", frame, "date", day, day)
        assert wh.query(f"SELECT count(*) AS n FROM {WRITES_TABLE}")["n"][0] == 1
    publish(settings)
    assert _changed(settings, 5) == {("fct_factor_values", 202302)}
    with connect(settings) as wh:  # the publish consumed the log
        assert wh.query(f"SELECT count(*) AS n FROM {WRITES_TABLE}")["n"][0] == 0
        # The table made again by hand, every row count as before, one value of 2021 changed.
        wh.execute("CREATE OR REPLACE TABLE marts.fct_factor_values AS "
                   "SELECT * REPLACE (CASE WHEN date = '2021-07-01' AND symbol = 'S03' "
                   "AND factor = 'f_2' THEN raw + 1 ELSE raw END AS raw) "
                   "FROM marts.fct_factor_values")
    publish(settings)
    assert _changed(settings, 6) == {("fct_factor_values", 2021)}
    _assert_same_marts(_snapshot(settings, 6), _full_copy(settings, tmp_path))


def test_tables_and_years_that_appear_or_disappear(settings, tmp_path):
    publish(settings)
    with connect(settings) as wh:
        wh.execute("DELETE FROM marts.fct_factor_values WHERE year(date) = 2021")
        wh.execute("INSERT INTO marts.fct_factor_values SELECT date + INTERVAL 3 YEAR, symbol, "
                   "factor, raw, z, rank, sector_z FROM marts.fct_factor_values "
                   "WHERE date BETWEEN '2023-01-01' AND '2023-01-31'")
        wh.execute("DROP TABLE marts.fct_prices_daily")
        wh.execute("CREATE TABLE marts.fct_macro_regime AS SELECT DATE '2024-01-31' AS date, "
                   "'expansion' AS regime")
    publish(settings)
    # 2026 is the newest year now: its January is a month part, and 2023 one year part.
    assert {p for p, v in _written_in(settings, 2).items() if v == 2} == {
        ("fct_factor_values", 2023), ("fct_factor_values", 202601), ("fct_macro_regime", None)}
    with open_snapshot(_snapshot(settings, 2)) as con:
        assert con.execute("SELECT min(date), max(date) FROM marts.fct_factor_values"
                           ).fetchone() == (date(2022, 1, 1), date(2026, 1, 31))
        assert {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'marts'").fetchall()} == {
            "dim_factor", "fct_factor_values", "fct_macro_regime", "mart_versions"}


def _inodes(settings: Settings, version: int) -> dict[int | None, int]:
    return {part: file.stat().st_ino for part, file in _parts(_snapshot(settings, version)).items()}


def _small_tables_rewritten(settings: Settings, version: int) -> bool:
    return {w for (table, _), w in _written_in(settings, version).items()
            if table != "fct_factor_values"} == {version}


def test_falls_back_to_a_new_version_file(settings, tmp_path, monkeypatch):
    publish(settings)
    first = _inodes(settings, 1)
    # A snapshot without the bookkeeping (an older publish) cannot be the start of the next
    # file; the parts, named by their content, are still the files version 1 wrote.
    with duckdb.connect(str(_snapshot(settings, 1))) as con:
        con.execute("DROP SCHEMA snapshot_meta CASCADE")
    publish(settings)
    assert _small_tables_rewritten(settings, 2)
    assert _inodes(settings, 2) == first
    # A column added to the ordered table: every year's content is new, so is every file.
    with connect(settings) as wh:
        wh.execute("ALTER TABLE marts.fct_factor_values ADD COLUMN score DOUBLE DEFAULT 1.5")
    publish(settings)
    assert {w for (t, _), w in _written_in(settings, 3).items() if t == "fct_factor_values"} == {3}
    assert not set(_parts(_snapshot(settings, 3)).values()) & set(
        _parts(_snapshot(settings, 2)).values())
    _assert_same_marts(_snapshot(settings, 3), _full_copy(settings, tmp_path))
    # A file that is mostly free space is compacted: a new file, the parts kept.
    monkeypatch.setattr(snapshots, "MAX_FREE_SHARE", -1.0)
    third = _inodes(settings, 3)
    publish(settings)
    assert _small_tables_rewritten(settings, 4)
    assert _inodes(settings, 4) == third


def test_a_snapshot_from_before_the_parts_is_replaced(settings, tmp_path):
    """A version written by the previous publish (fct_factor_values a table in the file, no
    part files) is neither the start of the next file nor a user of parts."""
    publish(settings)
    with duckdb.connect(str(_snapshot(settings, 1))) as con:
        con.execute("DROP VIEW marts.fct_factor_values")
        con.execute(f"ATTACH '{settings.duckdb_path}' AS w (READ_ONLY)")
        con.execute("CREATE TABLE marts.fct_factor_values AS SELECT * FROM "
                    "w.marts.fct_factor_values ORDER BY factor, symbol, date")
        con.execute("ALTER TABLE snapshot_meta.parts DROP COLUMN file")
    for part in snapshot_dir(settings).glob("part-*"):
        part.unlink()
    old_size = _snapshot(settings, 1).stat().st_size
    publish(settings)
    assert set(_written_in(settings, 2).values()) == {2}
    assert _snapshot(settings, 2).stat().st_size < old_size / 2
    _assert_same_marts(_snapshot(settings, 2), _full_copy(settings, tmp_path))
    with duckdb.connect(str(_snapshot(settings, 1)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.fct_factor_values").fetchone()[0] == (
            1095 * SYMBOLS * FACTORS)


def test_repeated_increments_keep_only_the_retained_parts(settings):
    settings = settings.model_copy(update={"snapshot_keep": 3})
    publish(settings)
    small_size = _snapshot(settings, 1).stat().st_size
    folder = snapshot_dir(settings)
    for step in range(2, 8):
        _rewrite_december(settings, shift=float(step))
        publish(settings)
        assert _written_in(settings, step)[("fct_factor_values", 202312)] == step
        assert _written_in(settings, step)[("fct_factor_values", 202311)] == 1
        assert _written_in(settings, step)[("fct_factor_values", 2021)] == 1
    # Versions 5-7 are kept: 2021 to November 2023 shared by all, one December each; nothing
    # else.
    kept = [_parts(_snapshot(settings, v)) for v in (5, 6, 7)]
    assert sorted(p.name for p in snapshot_dir(settings).glob("mart-*")) == [
        "mart-5.duckdb", "mart-6.duckdb", "mart-7.duckdb"]
    assert sorted(p.name for p in folder.glob("part-*")) == sorted(
        {f.name for files in kept for f in files.values()})
    assert len(list(folder.glob("part-*"))) == len(PARTS) - 1 + 3
    # The small file's blocks of a rewritten table are freed first and reused.
    assert _snapshot(settings, 7).stat().st_size <= 1.2 * small_size


def test_retention_removes_parts_no_retained_version_uses(settings):
    settings = settings.model_copy(update={"snapshot_keep": 2})
    query = ("SELECT count(*), sum(hash(date, symbol, factor, raw)) "
             "FROM marts.fct_factor_values WHERE year(date) = 2023")
    publish(settings)
    reader = open_snapshot(_snapshot(settings, 1))
    expected = reader.execute(query).fetchone()
    folder = snapshot_dir(settings)
    # What a publish killed part-way leaves: a half-written part and a complete one no
    # version uses.
    (folder / ".part-fct_factor_values-2023-0123.duckdb.partial").write_bytes(b"DUCK")
    shutil.copyfile(_parts(_snapshot(settings, 1))[202312],
                    folder / "part-fct_factor_values-2023-x.duckdb")
    _rewrite_december(settings, shift=1.0)
    publish(settings)
    # Version 1 is retained (keep=2): its 2023 part stays and its open reader reads on.
    assert reader.execute(query).fetchone() == expected
    # Version 1's parts and version 2's December 2023.
    assert len(list(folder.glob("part-*"))) == len(PARTS) + 1
    _rewrite_december(settings, shift=2.0)
    publish(settings)
    version_2 = {f.name for f in _parts(_snapshot(settings, 2)).values()}
    assert not _snapshot(settings, 1).exists()
    assert sorted(p.name for p in folder.glob("part-*")) == sorted(
        version_2 | {f.name for f in _parts(_snapshot(settings, 3)).values()})
    assert len(list(folder.glob("part-*"))) == len(PARTS) + 1
    with open_snapshot(_snapshot(settings, 2)) as con:
        count, total = con.execute(query).fetchone()
        assert count == expected[0] - SYMBOLS * FACTORS  # the rewrite drops December 31
    reader.close()


def test_column_types_survive_the_parts(settings, tmp_path):
    """Parquet stores an ENUM as VARCHAR: the version's view casts it back."""
    with connect(settings) as wh:
        wh.execute("CREATE TYPE sym AS ENUM (SELECT DISTINCT symbol FROM marts.fct_factor_values "
                   "ORDER BY 1)")
        wh.execute("ALTER TABLE marts.fct_factor_values ALTER symbol TYPE sym")
    publish(settings)
    with open_snapshot(_snapshot(settings, 1)) as con:
        kind = con.execute("SELECT data_type FROM information_schema.columns WHERE "
                           "table_name = 'fct_factor_values' AND column_name = 'symbol'"
                           ).fetchone()[0]
        assert kind.startswith("ENUM(")
        assert con.execute("SELECT count(*) FROM marts.fct_factor_values WHERE symbol = 'S03' "
                           "AND date = '2022-02-02'").fetchone()[0] == FACTORS
    _assert_same_marts(_snapshot(settings, 1), _full_copy(settings, tmp_path))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_readers_of_the_old_version_are_unaffected(settings):
    publish(settings)
    old = _snapshot(settings, 1)
    before = _digest(old)
    query = ("SELECT count(*), sum(hash(date, symbol, factor, raw)), max(date) "
             "FROM marts.fct_factor_values")
    reader = open_snapshot(old)
    expected = reader.execute(query).fetchone()
    seen, stop = [], threading.Event()

    def read() -> None:
        cursor = reader.cursor()
        while not stop.is_set():
            seen.append(cursor.execute(query).fetchone())

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for shift in (1.0, 2.0):  # two increments, the first starting from the file being read
            _rewrite_december(settings, shift)
            publish(settings)
    finally:
        stop.set()
        thread.join()
    assert len(seen) > 3 and set(seen) == {expected}
    assert reader.execute(query).fetchone() == expected
    reader.close()
    assert _digest(old) == before
    with open_snapshot(old) as con:
        assert con.execute(query).fetchone() == expected
        assert con.execute("SELECT max(version) FROM marts.mart_versions").fetchone()[0] == 1
