"""REST routes against a real server: values match the published mart; bad input is a 4xx."""

from __future__ import annotations

import io

import httpx
import polars as pl
import pytest
from serving import DATES, SYMBOLS, raw_value


@pytest.fixture(scope="module")
def client(server, api_key) -> httpx.Client:
    with httpx.Client(base_url=server.url, headers={"X-API-Key": api_key}, timeout=10) as c:
        yield c


def test_catalog_is_public_and_filters_by_family_and_source(server):
    body = httpx.get(f"{server.url}/v1/factors").json()
    assert body["count"] == 3 and body["version"] == 1
    assert {f["factor"] for f in body["items"]} == {"ret_1d", "beta_dgs10_252d", "dgs10_level"}
    family = httpx.get(f"{server.url}/v1/factors", params={"family": "cross_source"}).json()
    assert [f["factor"] for f in family["items"]] == ["beta_dgs10_252d"]
    assert family["items"][0]["sources"] == ["ibkr", "fred"]
    fred = httpx.get(f"{server.url}/v1/factors", params={"source": "fred"}).json()
    assert sorted(f["factor"] for f in fred["items"]) == ["beta_dgs10_252d", "dgs10_level"]


def test_one_factor_definition(server):
    body = httpx.get(f"{server.url}/v1/factors/ret_1d").json()
    assert body["family"] == "technical" and body["inputs"] == ["adjusted_close"]


def test_catalog_as_csv(server):
    response = httpx.get(f"{server.url}/v1/factors", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    frame = pl.read_csv(io.BytesIO(response.content))
    assert frame.height == 3 and "formula" in frame.columns


def test_cross_section_on_a_date(client):
    body = client.get("/v1/factors/beta_dgs10_252d/cross-section",
                      params={"date": "2024-01-03"}).json()
    assert body["date"] == "2024-01-03" and body["count"] == 3 and body["version"] == 1
    assert [r["symbol"] for r in body["values"]] == SYMBOLS
    assert [r["raw"] for r in body["values"]] == [raw_value(1, s, 1) for s in range(3)]
    assert body["values"][2] == {"symbol": "CCC", "raw": raw_value(1, 2, 1), "z": 1.0,
                                 "rank": 1.0, "sector_z": None}


def test_cross_section_defaults_to_the_latest_date(client):
    body = client.get("/v1/factors/ret_1d/cross-section").json()
    assert body["date"] == DATES[-1].isoformat()
    assert body["values"][0]["raw"] == raw_value(2, 0, 0)


def test_cross_section_as_parquet(client):
    response = client.get("/v1/factors/ret_1d/cross-section",
                          params={"date": "2024-01-02", "format": "parquet"})
    frame = pl.read_parquet(io.BytesIO(response.content))
    assert frame.columns == ["symbol", "raw", "z", "rank", "sector_z"]
    assert frame["raw"].to_list() == [raw_value(0, s, 0) for s in range(3)]


def test_symbol_history_for_chosen_factors(client):
    body = client.get("/v1/symbols/bbb/factors", params={
        "factors": "ret_1d,beta_dgs10_252d", "start": "2024-01-03", "end": "2024-01-04"}).json()
    assert body["symbol"] == "BBB" and body["count"] == 4
    assert [(r["date"], r["factor"], r["raw"]) for r in body["values"]] == [
        ("2024-01-03", "beta_dgs10_252d", raw_value(1, 1, 1)),
        ("2024-01-03", "ret_1d", raw_value(1, 1, 0)),
        ("2024-01-04", "beta_dgs10_252d", raw_value(2, 1, 1)),
        ("2024-01-04", "ret_1d", raw_value(2, 1, 0))]


def test_macro_series_and_regimes(client):
    series = client.get("/v1/macro/series", params={"factors": "dgs10_level",
                                                     "start": "2024-01-01"}).json()
    assert [r["value"] for r in series["values"]] == [3.9, 3.95, None]  # NaN is sent as null
    regimes = client.get("/v1/macro/regimes", params={"start": "2024-01-03"}).json()
    assert [(r["date"], r["regime"]) for r in regimes["values"]] == [
        ("2024-01-03", "expansion"), ("2024-01-04", "slowdown")]
    assert regimes["values"][1]["growth_signal"] == -0.5


def test_versions_and_health(client, server):
    versions = client.get("/v1/versions").json()
    assert versions["count"] >= 1 and versions["items"][-1]["version"] == 1
    assert versions["items"][-1]["row_counts"]["fct_factor_values"] == 18
    health = httpx.get(f"{server.url}/v1/health").json()
    assert health["status"] == "ok" and health["warehouse_reachable"] is True
    assert health["freshness"]["factors"]["latest"] == "2024-01-04"
    assert health["freshness"]["ibkr"]["latest"] == "2024-01-04"


def test_as_of_before_the_first_version_is_404(client):
    response = client.get("/v1/factors/ret_1d/cross-section",
                          params={"date": "2024-01-02", "as_of": "2020-01-01T00:00:00Z"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_version_as_of"


BAD_REQUESTS = [
    ("/v1/factors/nope/cross-section", {}, 404, "unknown_factor", "factor"),
    ("/v1/factors/Bad-Name/cross-section", {}, 422, "invalid_parameter", "factor"),
    ("/v1/factors/dgs10_level/cross-section", {}, 422, "not_stock_level", "factor"),
    ("/v1/factors/ret_1d/cross-section", {"date": "2024-13-01"}, 422, "invalid_parameter",
     "date"),
    ("/v1/factors/ret_1d/cross-section", {"date": "2023-06-01"}, 404, "no_values", "date"),
    ("/v1/factors/ret_1d/cross-section", {"format": "xml"}, 422, "invalid_parameter", "format"),
    ("/v1/factors/ret_1d/cross-section", {"date": "2024-01-04", "as_of": "2099-01-03"}, 200,
     None, None),
    ("/v1/factors/ret_1d/cross-section", {"as_of": "not-a-date"}, 422, "invalid_parameter",
     "as_of"),
    ("/v1/symbols/ZZZ/factors", {}, 404, "unknown_symbol", "symbol"),
    ("/v1/symbols/AAA/factors", {"factors": "ret_1d,nope"}, 404, "unknown_factor", "factors"),
    ("/v1/symbols/AAA/factors", {"factors": "ret_1d;drop"}, 422, "invalid_parameter", "factors"),
    ("/v1/symbols/AAA/factors", {"start": "2024-01-04", "end": "2024-01-02"}, 422,
     "reversed_range", "start"),
    ("/v1/symbols/AAA/factors", {"start": "1900-01-01", "end": "2024-01-02"}, 422,
     "range_too_large", "end"),
    ("/v1/symbols/AAA/factors", {"format": "xlsx"}, 422, "invalid_parameter", "format"),
    ("/v1/macro/series", {"factors": "nope"}, 404, "unknown_factor", "factors"),
    ("/v1/macro/regimes", {"end": "2024-02-30"}, 422, "invalid_parameter", "end"),
    ("/v1/factors", {"family": "astrology"}, 422, "invalid_parameter", "family"),
    ("/v1/nothing-here", {}, 404, "not_found", None),
]


@pytest.mark.parametrize(("path", "params", "status", "code", "field"), BAD_REQUESTS)
def test_bad_input_gets_a_json_4xx_naming_the_problem(client, path, params, status, code,
                                                       field):
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    if code is None:
        return
    error = response.json()["error"]
    assert error["code"] == code and error["field"] == field and error["message"]


def test_openapi_documents_every_route(server):
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert {"/v1/factors", "/v1/factors/{factor}", "/v1/factors/{factor}/cross-section",
            "/v1/symbols/{symbol}/factors", "/v1/macro/series", "/v1/macro/regimes",
            "/v1/versions", "/v1/health", "/v1/stream/events"} <= set(paths)


def test_bench_measures_every_route_without_errors(server, api_key):
    from api.bench.rest import bench

    results = bench(server.url, requests=20, concurrency=2, api_key=api_key)
    assert [r.route.split(":")[0] for r in results] == ["cross-section", "history", "catalog"]
    assert all(r.errors == 0 and len(r.latencies_ms) == 20 for r in results)
    assert float(results[0].row()["p99 ms"]) >= float(results[0].row()["p50 ms"]) > 0


def test_symbol_history_as_csv_keeps_dates_and_nulls(client):
    response = client.get("/v1/symbols/CCC/factors", params={
        "factors": "ret_1d", "start": "2024-01-02", "end": "2024-01-04", "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    frame = pl.read_csv(io.BytesIO(response.content), try_parse_dates=True)
    assert frame.columns == ["date", "factor", "raw", "z", "rank", "sector_z"]
    assert frame["date"].to_list() == DATES
    assert frame["raw"].to_list() == [raw_value(d, 2, 0) for d in range(3)]
    assert frame["sector_z"].null_count() == 3  # CCC has no sector z: empty, not NaN
