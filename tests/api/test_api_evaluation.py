"""Evaluation routes against a real server: values and ranks match the hand-made mart's rows."""

from __future__ import annotations

import io
import math

import httpx
import polars as pl
import pytest
from serving import DATES, RANK_IC, SECTOR_RANK_IC

from api.schemas import LeaderboardRow


@pytest.fixture(scope="module")
def client(server, api_key) -> httpx.Client:
    with httpx.Client(base_url=server.url, headers={"X-API-Key": api_key}, timeout=10) as c:
        yield c


def _ranked(body: dict) -> list[tuple[int, str]]:
    return [(r["rank"], r["factor"]) for r in body["items"]]


def test_evaluation_summary_for_one_horizon(client):
    body = client.get("/v1/factors/ret_1d/evaluation", params={"horizon": 5}).json()
    assert (body["factor"], body["family"], body["direction"]) == ("ret_1d", "technical", 1)
    assert body["version"] == 1 and body["horizons"] == [5] and body["count"] == 1
    row = body["summary"][0]
    # RANK_IC[("ret_1d", 5)] = 0.3, -0.1, 0.1: mean 0.1, sample std 0.2, 2 of 3 positive.
    assert row["horizon"] == 5 and row["dates"] == 3
    assert row["ic_mean"] == pytest.approx(0.1) and row["ic_std"] == pytest.approx(0.2)
    assert row["ic_ir"] == pytest.approx(0.5)
    assert row["t_stat"] == pytest.approx(0.5 * math.sqrt(3))
    assert row["t_stat_overlap"] == pytest.approx(0.5 * math.sqrt(3) / math.sqrt(5))
    assert row["hit_rate"] == pytest.approx(2 / 3)
    assert row["pearson_ic_mean"] == pytest.approx(0.05)
    assert row["ic_decay"] == pytest.approx(0.1 / 0.2)  # relative to the 1-day mean IC
    assert row["first_date"] == "2024-01-02" and row["last_date"] == "2024-01-04"
    assert [(q["quantile"], q["mean_return"], q["se"]) for q in row["quantiles"]] == [
        (q, pytest.approx(0.001 * (q - 3)), 0.0005) for q in range(1, 6)]
    assert row["spread"] == 0.004 and row["turnover"] == 0.25


def test_evaluation_ic_series_defaults_to_the_year_before_the_last_ic(client):
    body = client.get("/v1/factors/ret_1d/evaluation", params={"horizon": 5}).json()
    assert body["end"] == "2024-01-04" and body["start"] == "2023-01-04"
    assert body["ic_count"] == 3
    assert [(p["date"], p["horizon"], p["rank_ic"], p["n"]) for p in body["ic"]] == [
        (day.isoformat(), 5, ic, 3) for day, ic in zip(DATES, RANK_IC[("ret_1d", 5)],
                                                       strict=True)]
    assert [p["pearson_ic"] for p in body["ic"]] == pytest.approx([0.15, -0.05, 0.05])


def test_evaluation_every_horizon_with_a_window_and_sectors(client):
    body = client.get("/v1/factors/ret_1d/evaluation", params={"start": "2024-01-03"}).json()
    assert body["horizons"] == [1, 5, 21] and body["count"] == 3
    assert [r["ic_ir"] for r in body["summary"]] == pytest.approx([2.0, 0.5, 2.0])
    assert body["start"] == "2024-01-03" and body["ic_count"] == 6
    assert [(p["horizon"], p["date"]) for p in body["ic"]] == [
        (h, d) for h in (1, 5, 21) for d in ("2024-01-03", "2024-01-04")]
    assert [p["rank_ic"] for p in body["ic"]] == pytest.approx(
        [ic for h in (1, 5, 21) for ic in RANK_IC[("ret_1d", h)][1:]])
    # Sector ICs: Energy 0.5, 0.7, 0.9 (mean 0.7, std 0.2); Technology -0.1, 0.1, 0.3.
    assert body["sector_count"] == 2
    assert [(s["sector"], s["horizon"], s["dates"]) for s in body["sectors"]] == [
        (sector, 1, len(ics)) for sector, ics in sorted(SECTOR_RANK_IC.items())]
    energy, tech = body["sectors"]
    assert energy["ic_mean"] == pytest.approx(0.7) and energy["ic_ir"] == pytest.approx(3.5)
    assert tech["ic_mean"] == pytest.approx(0.1) and tech["hit_rate"] == pytest.approx(2 / 3)


def test_evaluation_of_a_horizon_without_sectors(client):
    body = client.get("/v1/factors/beta_dgs10_252d/evaluation", params={"horizon": 1}).json()
    assert body["direction"] == -1 and body["summary"][0]["ic_ir"] == pytest.approx(-3.0)
    assert body["sector_count"] == 0 and body["sectors"] == []


@pytest.mark.parametrize(("horizon", "expected"), [
    # score = IC IR x direction: ret_1d (+1) IRs 2.0, 0.5, 2.0; beta (-1) IRs -3.0, 1.5, -0.5.
    (1, [(1, "beta_dgs10_252d", 3.0), (2, "ret_1d", 2.0)]),
    (5, [(1, "ret_1d", 0.5), (2, "beta_dgs10_252d", -1.5)]),
    (21, [(1, "ret_1d", 2.0), (2, "beta_dgs10_252d", 0.5)]),
])
def test_leaderboard_ranks_by_signed_ic_ir(client, horizon, expected):
    body = client.get("/v1/evaluation/leaderboard", params={"horizon": horizon}).json()
    assert body["horizon"] == horizon and body["version"] == 1 and body["count"] == 2
    assert [(r["rank"], r["factor"], pytest.approx(r["score"])) for r in body["items"]] == [
        (rank, factor, pytest.approx(score)) for rank, factor, score in expected]


def test_leaderboard_defaults_to_21_sessions_and_carries_the_catalog(client):
    body = client.get("/v1/evaluation/leaderboard").json()
    assert body["horizon"] == 21 and body["family"] is None
    top = body["items"][0]
    assert (top["factor"], top["family"], top["direction"], top["dates"]) == (
        "ret_1d", "technical", 1, 3)
    assert top["ic_mean"] == pytest.approx(0.4) and top["hit_rate"] == 1.0


def test_leaderboard_family_filter_and_limit(client):
    family = client.get("/v1/evaluation/leaderboard",
                        params={"horizon": 1, "family": "technical"}).json()
    assert family["family"] == "technical" and _ranked(family) == [(1, "ret_1d")]
    macro = client.get("/v1/evaluation/leaderboard", params={"family": "macro"}).json()
    assert macro["count"] == 0 and macro["items"] == []
    top = client.get("/v1/evaluation/leaderboard", params={"horizon": 1, "limit": 1}).json()
    assert top["count"] == 1 and _ranked(top) == [(1, "beta_dgs10_252d")]


def test_leaderboard_as_csv(client):
    response = client.get("/v1/evaluation/leaderboard", params={"horizon": 1, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="leaderboard-1d.csv"' in response.headers["content-disposition"]
    frame = pl.read_csv(io.BytesIO(response.content))
    assert frame.columns == list(LeaderboardRow.model_fields)
    assert frame["rank"].to_list() == [1, 2]
    assert frame["factor"].to_list() == ["beta_dgs10_252d", "ret_1d"]
    assert frame["score"].to_list() == pytest.approx([3.0, 2.0])
    assert frame["family"].to_list() == ["cross_source", "technical"]


def test_leaderboard_as_parquet(client):
    response = client.get("/v1/evaluation/leaderboard", params={"format": "parquet"})
    frame = pl.read_parquet(io.BytesIO(response.content))
    assert frame["factor"].to_list() == ["ret_1d", "beta_dgs10_252d"]


def test_evaluation_routes_need_a_key(server):
    for path in ("/v1/factors/ret_1d/evaluation", "/v1/evaluation/leaderboard"):
        response = httpx.get(f"{server.url}{path}")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "missing_credentials"


BAD_REQUESTS = [
    ("/v1/factors/nope/evaluation", {}, 404, "unknown_factor", "factor"),
    ("/v1/factors/Bad-Name/evaluation", {}, 422, "invalid_parameter", "factor"),
    ("/v1/factors/dgs10_level/evaluation", {}, 404, "no_evaluation", "factor"),
    ("/v1/factors/ret_1d/evaluation", {"horizon": 2}, 400, "unknown_horizon", "horizon"),
    ("/v1/factors/ret_1d/evaluation", {"horizon": "week"}, 422, "invalid_parameter",
     "horizon"),
    ("/v1/factors/ret_1d/evaluation", {"start": "2024-01-04", "end": "2024-01-02"}, 422,
     "reversed_range", "start"),
    ("/v1/factors/ret_1d/evaluation", {"end": "2024-02-30"}, 422, "invalid_parameter", "end"),
    ("/v1/factors/ret_1d/evaluation", {"as_of": "2020-01-01"}, 404, "no_version_as_of",
     "as_of"),
    ("/v1/evaluation/leaderboard", {"horizon": 63}, 400, "unknown_horizon", "horizon"),
    ("/v1/evaluation/leaderboard", {"family": "astrology"}, 422, "invalid_parameter",
     "family"),
    ("/v1/evaluation/leaderboard", {"limit": 0}, 422, "invalid_parameter", "limit"),
    ("/v1/evaluation/leaderboard", {"format": "xml"}, 422, "invalid_parameter", "format"),
]


@pytest.mark.parametrize(("path", "params", "status", "code", "field"), BAD_REQUESTS)
def test_bad_input_gets_a_json_4xx_naming_the_problem(client, path, params, status, code,
                                                       field):
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["field"] == field and error["message"]


def test_error_messages_say_what_is_known(client):
    macro = client.get("/v1/factors/dgs10_level/evaluation").json()["error"]["message"]
    assert "dgs10_level has no evaluation in mart version 1" in macro and "macro" in macro
    horizon = client.get("/v1/evaluation/leaderboard", params={"horizon": 63}).json()
    assert horizon["error"]["message"].endswith("known horizons: 1, 5, 21")


def test_openapi_documents_the_evaluation_routes(server):
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert {"/v1/factors/{factor}/evaluation", "/v1/evaluation/leaderboard"} <= set(paths)
    assert "400" in paths["/v1/evaluation/leaderboard"]["get"]["responses"]
