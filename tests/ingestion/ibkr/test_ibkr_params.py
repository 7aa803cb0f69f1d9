from datetime import date

import pytest
from ib_async import Stock
from pydantic import ValidationError

from ingestion.ibkr.params import (
    HistoricalRequest,
    IbBarsQuery,
    adjusted_last_request,
    default_window,
    stock_contract,
    trades_requests,
)


def test_symbol_maps_to_a_smart_routed_usd_stock_with_ib_share_class_spelling():
    assert stock_contract("aapl") == Stock("AAPL", "SMART", "USD")
    assert stock_contract("BRK.B") == Stock("BRK B", "SMART", "USD")
    assert stock_contract("BF-B").symbol == "BF B"


def test_query_rejects_unknown_kind_empty_symbol_and_reversed_window():
    with pytest.raises(ValidationError, match="what_to_show"):
        IbBarsQuery(symbol="AAPL", what_to_show="MIDPOINT")
    with pytest.raises(ValidationError, match="symbol must not be empty"):
        IbBarsQuery(symbol=" ", what_to_show="TRADES")
    with pytest.raises(ValidationError, match="start 2020-01-02 is after end 2020-01-01"):
        IbBarsQuery(symbol="AAPL", what_to_show="TRADES", start=date(2020, 1, 2),
                    end=date(2020, 1, 1))


def test_trades_window_is_split_into_whole_years_then_the_remaining_days():
    assert trades_requests("AAPL", date(2013, 1, 1), date(2015, 1, 23)) == [
        HistoricalRequest("AAPL", "TRADES", "20131231 23:59:59 US/Eastern", "1 Y",
                          date(2013, 1, 1), date(2013, 12, 31)),
        HistoricalRequest("AAPL", "TRADES", "20141231 23:59:59 US/Eastern", "1 Y",
                          date(2014, 1, 1), date(2014, 12, 31)),
        HistoricalRequest("AAPL", "TRADES", "20150123 23:59:59 US/Eastern", "23 D",
                          date(2015, 1, 1), date(2015, 1, 23)),
    ]
    assert trades_requests("CBS", date(2019, 11, 20), date(2019, 12, 4)) == [
        HistoricalRequest("CBS", "TRADES", "20191204 23:59:59 US/Eastern", "15 D",
                          date(2019, 11, 20), date(2019, 12, 4)),
    ]


def test_yearly_chunks_survive_a_leap_day_start():
    requests = trades_requests("X", date(2016, 2, 29), date(2017, 3, 1))
    assert [r.end_date_time[:8] for r in requests] == ["20170227", "20170301"]
    assert [r.duration for r in requests] == ["1 Y", "2 D"]


def test_adjusted_last_is_one_request_ending_now_reaching_back_to_start():
    today = date(2015, 1, 23)
    assert adjusted_last_request("AAPL", date(2013, 1, 1), date(2014, 6, 30), today) == \
        HistoricalRequest("AAPL", "ADJUSTED_LAST", "", "3 Y", date(2013, 1, 1), date(2014, 6, 30))
    assert adjusted_last_request("AAPL", today, today, today).duration == "1 Y"
    assert adjusted_last_request("AAPL", date(2012, 1, 23), today, today).duration == "3 Y"
    assert adjusted_last_request("AAPL", date(2012, 1, 22), today, today).duration == "4 Y"


def test_open_window_defaults_to_ten_years_up_to_today_and_never_past_today():
    today = date(2020, 1, 10)
    assert default_window(None, None, today) == (date(2010, 1, 11), today)
    assert default_window(date(2019, 1, 1), date(2021, 1, 1), today) == (date(2019, 1, 1), today)
