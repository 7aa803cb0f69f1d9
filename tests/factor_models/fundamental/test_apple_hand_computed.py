"""Apple's fundamental factors on four dates against values computed here from the
companyfacts JSON (each figure named by its concept, period and filing) and the raw close.

Dates: 2023-11-03, the day Apple filed its FY2023 10-K (0000320193-23-000106; not yet usable,
so the Q3 10-Q 0000320193-23-000077 is the latest filing), 2023-11-06, the next session (the
10-K now used), 2024-03-01 (Q1 FY2024 10-Q 0000320193-24-000006) and 2020-09-15, two weeks after
the 4:1 split, before any filing reported post-split shares (the documented residual).
"""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from factor_models.fundamental import compute_fundamental

Q3_10Q, FY23_10K, Q1_10Q = "0000320193-23-000077", "0000320193-23-000106", "0000320193-24-000006"
FY22_10K, Q1_FY23_10Q = "0000320193-22-000108", "0000320193-23-000006"
BEFORE, AFTER, LATER = date(2023, 11, 3), date(2023, 11, 6), date(2024, 3, 1)
REVENUE = "RevenueFromContractWithCustomerExcludingAssessedTax"
RELATIVE = 1e-9


class Facts:
    """Look up one figure of Apple's companyfacts by concept, period and filing."""

    def __init__(self, payload: dict) -> None:
        self.facts = payload["facts"]

    def __call__(self, concept: str, end: str, start: str | None = None, accn: str | None = None,
                 taxonomy: str = "us-gaap") -> float:
        units = self.facts[taxonomy][concept]["units"]
        rows = [r for rows in units.values() for r in rows
                if r["end"] == end and r.get("start") == start
                and (accn is None or r["accn"] == accn)]
        values = {r["val"] for r in rows}
        assert len(values) == 1, f"{concept} {start}..{end} {accn}: {values or 'not found'}"
        return float(values.pop())


@pytest.fixture(scope="module")
def fact(companyfacts) -> Facts:
    return Facts(companyfacts)


@pytest.fixture(scope="module")
def values(apple_inputs) -> pl.DataFrame:
    return compute_fundamental(apple_inputs)


def on(values: pl.DataFrame, day: date) -> dict[str, float | None]:
    rows = values.filter(pl.col("symbol") == "AAPL", pl.col("date") == day)
    assert rows.height == 1, f"no AAPL row on {day}"
    return rows.row(0, named=True)


def assert_close(ours: float | None, expected: float) -> None:
    assert ours is not None
    assert ours == pytest.approx(expected, rel=RELATIVE)


def _ttm_before(fact: Facts, concept: str) -> float:
    """TTM at Q3 FY2023 (2023-07-01): 9M FY2023 + FY2022 - 9M FY2022, as known on 2023-11-03."""
    return (fact(concept, "2023-07-01", "2022-09-25", Q3_10Q)
            + fact(concept, "2022-09-24", "2021-09-26", FY22_10K)
            - fact(concept, "2022-06-25", "2021-09-26", Q3_10Q))


def _ttm_later(fact: Facts, concept: str) -> float:
    """TTM at Q1 FY2024 (2023-12-30): Q1 FY2024 + FY2023 - Q1 FY2023."""
    return (fact(concept, "2023-12-30", "2023-10-01", Q1_10Q)
            + fact(concept, "2023-09-30", "2022-09-25", FY23_10K)
            - fact(concept, "2022-12-31", "2022-09-25", Q1_10Q))


def test_the_10k_is_used_from_the_session_after_its_filing(values, fact, raw_closes):
    before, after = on(values, BEFORE), on(values, AFTER)
    net_income_before = _ttm_before(fact, "NetIncomeLoss")
    net_income_after = fact("NetIncomeLoss", "2023-09-30", "2022-09-25", FY23_10K)
    equity_before = fact("StockholdersEquity", "2023-07-01", accn=Q3_10Q)
    equity_after = fact("StockholdersEquity", "2023-09-30", accn=FY23_10K)
    assert_close(before["roe_ttm"], net_income_before / equity_before)
    assert_close(after["roe_ttm"], net_income_after / equity_after)
    assert before["roe_ttm"] != after["roe_ttm"]

    shares_before = fact("EntityCommonStockSharesOutstanding", "2023-07-21", accn=Q3_10Q,
                         taxonomy="dei")
    shares_after = fact("EntityCommonStockSharesOutstanding", "2023-10-20", accn=FY23_10K,
                        taxonomy="dei")
    cap_before = raw_closes[BEFORE] * shares_before
    cap_after = raw_closes[AFTER] * shares_after
    assert_close(before["log_market_cap"], math.log(cap_before))
    assert_close(after["log_market_cap"], math.log(cap_after))
    assert_close(before["ep_ttm"], net_income_before / cap_before)
    assert_close(after["ep_ttm"], net_income_after / cap_after)
    assert_close(before["bm"], equity_before / cap_before)
    assert_close(after["bm"], equity_after / cap_after)


def test_ratios_before_the_10k(values, fact):
    before = on(values, BEFORE)
    assets = fact("Assets", "2023-07-01", accn=Q3_10Q)
    assert_close(before["gross_profitability"], _ttm_before(fact, "GrossProfit") / assets)
    assert_close(before["current_ratio"], fact("AssetsCurrent", "2023-07-01", accn=Q3_10Q)
                 / fact("LiabilitiesCurrent", "2023-07-01", accn=Q3_10Q))
    # TTM a year earlier (Q3 FY2022): 9M FY2022 + FY2021 - 9M FY2021 (every filing agrees).
    year_ago = (fact(REVENUE, "2022-06-25", "2021-09-26")
                + fact(REVENUE, "2021-09-25", "2020-09-27")
                - fact(REVENUE, "2021-06-26", "2020-09-27"))
    assert_close(before["revenue_growth_yoy"], _ttm_before(fact, REVENUE) / year_ago - 1)


def test_ratios_after_the_10k(values, fact):
    after = on(values, AFTER)
    fy23 = {"start": "2022-09-25", "end": "2023-09-30", "accn": FY23_10K}
    fy22 = {"start": "2021-09-26", "end": "2022-09-24", "accn": FY23_10K}  # as restated/repeated
    assets = fact("Assets", "2023-09-30", accn=FY23_10K)
    assert_close(after["gross_profitability"], fact("GrossProfit", **fy23) / assets)
    # Year-ago TTM revenue = the FY2022 comparative in the FY2023 10-K.
    assert_close(after["revenue_growth_yoy"], fact(REVENUE, **fy23) / fact(REVENUE, **fy22) - 1)
    assert_close(after["current_ratio"], fact("AssetsCurrent", "2023-09-30", accn=FY23_10K)
                 / fact("LiabilitiesCurrent", "2023-09-30", accn=FY23_10K))
    assert_close(after["asset_growth_yoy"],
                 assets / fact("Assets", "2022-09-24", accn=FY23_10K) - 1)
    eps = fact("EarningsPerShareDiluted", **fy23) / fact("EarningsPerShareDiluted", **fy22) - 1
    assert_close(after["eps_growth_yoy"], eps)


def test_ratios_on_a_later_date(values, fact, raw_closes):
    later = on(values, LATER)
    revenue_now = _ttm_later(fact, REVENUE)
    # TTM a year earlier (Q1 FY2023): Q1 FY2023 + FY2022 - Q1 FY2022, each as known in 2024.
    revenue_year_ago = (fact(REVENUE, "2022-12-31", "2022-09-25", Q1_10Q)
                        + fact(REVENUE, "2022-09-24", "2021-09-26", FY23_10K)
                        - fact(REVENUE, "2021-12-25", "2021-09-26", Q1_FY23_10Q))
    assert revenue_now == 385_706e6  # the dbt test's figure for the same quarter
    assert_close(later["revenue_growth_yoy"], revenue_now / revenue_year_ago - 1)
    assets = fact("Assets", "2023-12-30", accn=Q1_10Q)
    equity = fact("StockholdersEquity", "2023-12-30", accn=Q1_10Q)
    assert_close(later["gross_profitability"], _ttm_later(fact, "GrossProfit") / assets)
    assert_close(later["roe_ttm"], _ttm_later(fact, "NetIncomeLoss") / equity)
    assert_close(later["current_ratio"], fact("AssetsCurrent", "2023-12-30", accn=Q1_10Q)
                 / fact("LiabilitiesCurrent", "2023-12-30", accn=Q1_10Q))
    cap = raw_closes[LATER] * fact("EntityCommonStockSharesOutstanding", "2024-01-19",
                                   accn=Q1_10Q, taxonomy="dei")
    assert_close(later["ep_ttm"], _ttm_later(fact, "NetIncomeLoss") / cap)
    assert_close(later["bm"], equity / cap)


def test_piotroski_f_worked_case(values, fact):
    """FY2023 10-K against FY2022 (instants and flows as known on 2023-11-06)."""
    ni, ni_prev = (fact("NetIncomeLoss", "2023-09-30", "2022-09-25", FY23_10K),
                   fact("NetIncomeLoss", "2022-09-24", "2021-09-26", FY23_10K))
    cfo = fact("NetCashProvidedByUsedInOperatingActivities", "2023-09-30", "2022-09-25",
               FY23_10K)
    assets = {end: fact("Assets", end, accn=accn) for end, accn in
              [("2023-09-30", FY23_10K), ("2022-09-24", FY23_10K), ("2021-09-25", FY22_10K)]}
    a0, a1, a2 = assets["2023-09-30"], assets["2022-09-24"], assets["2021-09-25"]
    # Long-term debt at 2022-09-24: 110,100 in the Q3 10-Q, 110,087 in the 10-K: as known now.
    debt0 = fact("LongTermDebt", "2023-09-30", accn=FY23_10K)
    debt1 = fact("LongTermDebt", "2022-09-24", accn=FY23_10K)
    cr0 = (fact("AssetsCurrent", "2023-09-30", accn=FY23_10K)
           / fact("LiabilitiesCurrent", "2023-09-30", accn=FY23_10K))
    cr1 = (fact("AssetsCurrent", "2022-09-24", accn=FY23_10K)
           / fact("LiabilitiesCurrent", "2022-09-24", accn=FY23_10K))
    # Diluted shares: the latest three-month figure (Q3 FY2023) against Q3 FY2022.
    shares0 = fact("WeightedAverageNumberOfDilutedSharesOutstanding", "2023-07-01", "2023-04-02",
                   Q3_10Q)
    shares1 = fact("WeightedAverageNumberOfDilutedSharesOutstanding", "2022-06-25", "2022-03-27",
                   Q3_10Q)
    rev0 = fact(REVENUE, "2023-09-30", "2022-09-25", FY23_10K)
    rev1 = fact(REVENUE, "2022-09-24", "2021-09-26", FY23_10K)
    gp0 = fact("GrossProfit", "2023-09-30", "2022-09-25", FY23_10K)
    gp1 = fact("GrossProfit", "2022-09-24", "2021-09-26", FY23_10K)
    signals = [
        ni / a1 > 0,
        cfo > 0,
        ni / a1 > ni_prev / a2,
        cfo > ni,
        debt0 / ((a0 + a1) / 2) < debt1 / ((a1 + a2) / 2),
        cr0 > cr1,
        shares0 <= shares1,
        gp0 / rev0 > gp1 / rev1,
        rev0 / a1 > rev1 / a2,
    ]
    assert signals == [True, True, False, True, True, True, True, True, False]
    assert on(values, AFTER)["piotroski_f"] == sum(signals) == 7


def test_split_between_share_report_and_date_is_the_documented_residual(values, fact,
                                                                        raw_closes):
    """2020-09-15: the raw close is post-split (4:1 on 2020-08-31) but the latest share count
    (cover page of the Q3 10-Q, 2020-07-17) is pre-split, so market cap reads a quarter of the
    true value until the FY2020 10-K reports post-split shares."""
    day = date(2020, 9, 15)
    shares = fact("EntityCommonStockSharesOutstanding", "2020-07-17", taxonomy="dei")
    assert_close(on(values, day)["log_market_cap"], math.log(raw_closes[day] * shares))
    after_10k = date(2020, 11, 2)
    shares_after = fact("EntityCommonStockSharesOutstanding", "2020-10-16", taxonomy="dei")
    assert shares_after / shares == pytest.approx(4.0, rel=0.03)
    assert_close(on(values, after_10k)["log_market_cap"],
                 math.log(raw_closes[after_10k] * shares_after))


def test_every_factor_has_values_for_apple(values):
    empty = [c for c in values.columns[2:] if values[c].drop_nulls().len() == 0]
    assert empty == []


def test_net_share_issuance_is_split_neutral(values):
    """Across the 2020 split, the year-ago diluted share count is the restated comparative."""
    issuance = values.filter(pl.col("date").is_between(date(2020, 7, 1), date(2021, 6, 30)))[
        "net_share_issuance_yoy"].drop_nulls()
    assert issuance.len() > 0
    assert issuance.abs().max() < 0.1  # Apple buys back a few % a year; a split would be ln 4
