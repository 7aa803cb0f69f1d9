"""The PostgreSQL publish: a version is a schema whose fct_factor_values is a view over part
tables (a year, a month of the newest year) shared by the versions that hold the same content;
a new version copies only the parts (and the small tables) that changed, the parts carry the
API's indexes and a date check, and retention drops the parts no version reads."""

from __future__ import annotations

from datetime import date

import polars as pl
import psycopg
import pytest

from factor_mart.publish import PARTS_SCHEMA, publish
from factor_mart.settings import Backend, Settings
from factor_mart.warehouse import connect
from factor_mart.warehouse.tables import replace_partition

pytestmark = pytest.mark.postgres

# Two years of 40 symbols x 12 factors: parts 2022 and 202301 .. 202312.
PARTS = {2022, *range(202301, 202313)}
# A mart table partitioned by year, as dbt builds fct_prices_daily on PostgreSQL.
PRICES = """
CREATE TABLE marts.fct_prices_daily (symbol text, trading_date date, close float8)
    PARTITION BY RANGE (trading_date);
CREATE TABLE marts.fct_prices_daily_y2023 PARTITION OF marts.fct_prices_daily
    FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
INSERT INTO marts.fct_prices_daily VALUES ('S1', '2023-12-29', 101.5)"""


@pytest.fixture
def settings(postgres_dsn) -> Settings:
    with psycopg.connect(postgres_dsn, autocommit=True) as pg:
        pg.execute("CREATE SCHEMA marts")
        pg.execute("""
            CREATE TABLE marts.fct_factor_values AS
            SELECT d::date AS date, 'S' || s AS symbol, 'f_' || f AS factor,
                   (s * f)::float8 AS raw, 0.0::float8 AS z, 0.5::float8 AS rank,
                   NULL::float8 AS sector_z
            FROM generate_series('2022-01-01'::date, '2023-12-31', '1 day') AS d,
                 generate_series(1, 40) AS s, generate_series(1, 12) AS f""")
        pg.execute("CREATE TABLE marts.dim_factor AS SELECT 'f_1' AS factor")
        pg.execute(PRICES)
    return Settings(backend=Backend.postgres, postgres_dsn=postgres_dsn, snapshot_keep=2)


def _parts(pg: psycopg.Connection, schema: str) -> dict[int, str]:
    """The part table of each part the version's fct_factor_values reads."""
    tables = pg.execute(
        "SELECT DISTINCT source_table FROM (SELECT d.refobjid::regclass::text AS source_table "
        "FROM pg_depend AS d JOIN pg_rewrite AS r ON r.oid = d.objid "
        "WHERE d.classid = 'pg_rewrite'::regclass AND r.ev_class = %s::regclass "
        "AND d.refobjid <> r.ev_class) AS t", [f"{schema}.fct_factor_values"]).fetchall()
    found = {}
    for (table,) in tables:
        assert table.startswith(f"{PARTS_SCHEMA}.fct_factor_values_")
        found[int(table.split("_")[-2])] = table
    return found


def _same_rows(pg: psycopg.Connection, left: str, right: str) -> bool:
    sql = f"SELECT count(*) FROM ((TABLE {left} EXCEPT ALL TABLE {right}) UNION ALL " \
          f"(TABLE {right} EXCEPT ALL TABLE {left})) AS differ"
    return pg.execute(sql).fetchone() == (0,)


def _plan(pg: psycopg.Connection, sql: str) -> str:
    return "\n".join(r[0] for r in pg.execute("EXPLAIN " + sql))


def test_a_version_reads_indexed_parts_of_the_same_rows(settings):
    version = publish(settings)
    schema = version.location
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as pg:
        parts = _parts(pg, schema)
        assert set(parts) == PARTS
        assert _same_rows(pg, "marts.fct_factor_values", f"{schema}.fct_factor_values")
        for part, table in parts.items():
            indexes = {r[0].split("USING btree ")[1] for r in pg.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname || '.' || tablename = %s",
                [table]).fetchall()}
            assert indexes == {"(date)", "(symbol, date)"}, part
        # The partitioned table is copied once, not also as its partitions.
        tables = {r[0] for r in pg.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            [schema]).fetchall()}
        assert tables == {"fct_factor_values", "dim_factor", "fct_prices_daily", "mart_versions"}
        assert pg.execute(f"SELECT close FROM {schema}.fct_prices_daily").fetchall() == [(101.5,)]
        assert version.row_counts["fct_prices_daily"] == 1
        # The parts' text columns sort in byte order (their index keys sort faster); the other
        # tables keep the database's collation.
        collations = pg.execute(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = %s AND data_type = 'text' ORDER BY 1, 2", [schema]).fetchall()
        assert collations == [("dim_factor", "factor", None), ("fct_factor_values", "factor", "C"),
                              ("fct_factor_values", "symbol", "C"),
                              ("fct_prices_daily", "symbol", None)]
        # A history ordered by symbol comes back in the warehouse's order ('S10' before 'S2'
        # in either collation), and joins with another table's column as before.
        order = ("SELECT array_agg(symbol ORDER BY symbol) FROM {s}.fct_factor_values "
                 "WHERE factor = 'f_3' AND date = '2023-06-30'")
        assert pg.execute(order.format(s=schema)).fetchone() == pg.execute(
            order.format(s="marts")).fetchone()
        joined = pg.execute(f"SELECT count(*) FROM {schema}.fct_factor_values AS v "
                            f"JOIN {schema}.dim_factor AS d ON d.factor = v.factor").fetchone()
        assert joined == (730 * 40,)  # f_1's rows: every day of 2022 and 2023 x 40 symbols
        # The API's reads (api/routes/factor_values.py, api/universe.py) use the indexes, and a
        # date filter reads only the parts whose check it can match.
        june = parts[202306].split(".")[1]
        cross_section = _plan(pg, f"SELECT symbol, raw FROM {schema}.fct_factor_values "
                                  "WHERE factor = 'f_3' AND date = '2023-06-30' ORDER BY symbol")
        assert "_date_idx" in cross_section and june in cross_section
        assert not [p for p, t in parts.items() if p != 202306 and t.split(".")[1] in cross_section]
        history = _plan(pg, f"SELECT date, factor, raw FROM {schema}.fct_factor_values "
                            "WHERE symbol = 'S7' AND date BETWEEN '2023-01-01' AND '2023-12-31' "
                            "AND factor = ANY(ARRAY['f_1', 'f_2']) ORDER BY date, factor")
        assert "symbol_date" in history and parts[2022].split(".")[1] not in history
        for latest in ("WHERE factor = 'f_3'", ""):
            sql = f"SELECT max(date) FROM {schema}.fct_factor_values {latest}"
            assert "Scan Backward using" in _plan(pg, sql)
            assert pg.execute(sql).fetchone() == (date(2023, 12, 31),)


def _rewrite_december(settings: Settings, shift: float) -> None:
    """The daily run's write: December 2023 replaced (values shifted, one day fewer) through
    the factor stage's writer."""
    start, end = date(2023, 12, 1), date(2023, 12, 31)
    with connect(settings) as wh:
        month = wh.query("SELECT * FROM marts.fct_factor_values WHERE date >= %s", [start])
        frame = month.filter(pl.col("date") < end).with_columns(pl.col("raw") + shift)
        replace_partition(wh, "marts.fct_factor_values", frame, "date", start, end)


def test_a_new_version_copies_only_the_changed_parts_and_old_ones_keep_reading(settings):
    first = publish(settings)
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as pg:
        before = pg.execute(f"SELECT sum(raw), count(*) FROM {first.location}.fct_factor_values"
                            ).fetchone()
    _rewrite_december(settings, 0.25)
    second = publish(settings)
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as pg:
        old, new = _parts(pg, first.location), _parts(pg, second.location)
        assert {p for p in PARTS if old[p] != new[p]} == {202312}
        assert _same_rows(pg, "marts.fct_factor_values", f"{second.location}.fct_factor_values")
        assert pg.execute(f"SELECT sum(raw), count(*) FROM {first.location}.fct_factor_values"
                          ).fetchone() == before
        assert second.row_counts["fct_factor_values"] == before[1] - 40 * 12
        # Nothing changed: the next version reads the same parts.
        third = publish(settings)
        assert _parts(pg, third.location) == new
        # The table made again by hand, same row counts, one value of 2022 changed: every part
        # is hashed again (the kept fingerprints name the table that was replaced).
        with pg.transaction():
            pg.execute("CREATE TABLE marts.fct_factor_values_new AS SELECT * FROM "
                       "marts.fct_factor_values")
            pg.execute("UPDATE marts.fct_factor_values_new SET raw = raw + 1 "
                       "WHERE date = '2022-03-01'")
            pg.execute("DROP TABLE marts.fct_factor_values CASCADE")
            pg.execute("ALTER TABLE marts.fct_factor_values_new RENAME TO fct_factor_values")
        fourth = publish(settings)
        changed = _parts(pg, fourth.location)
        assert {p for p in PARTS if changed[p] != new[p]} == {2022}
        assert _same_rows(pg, "marts.fct_factor_values", f"{fourth.location}.fct_factor_values")


def test_retention_drops_old_versions_and_the_parts_only_they_read(settings):
    versions = [publish(settings)]
    for shift in (0.5, 1.0):
        _rewrite_december(settings, shift)
        versions.append(publish(settings))
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as pg:
        schemas = {r[0] for r in pg.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname ~ '^mart_v'").fetchall()}
        assert schemas == {v.location for v in versions[1:]}  # snapshot_keep = 2
        kept = set(_parts(pg, versions[1].location).values()) | set(
            _parts(pg, versions[2].location).values())
        stored = {f"{PARTS_SCHEMA}.{r[0]}" for r in pg.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", [PARTS_SCHEMA]).fetchall()}
        assert stored == kept and len(kept) == len(PARTS) + 1  # two Decembers
