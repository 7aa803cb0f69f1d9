"""compute_technical's input contract and output shapes."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from factor_models.catalog import by_family
from factor_models.technical import compute_technical, to_long


def _two_bars() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "symbol": ["A", "A"],
            "date": [dt.date(2020, 1, 2), dt.date(2020, 1, 3)],
            "open": [10.0, 11.0],
            "high": [10.5, 11.5],
            "low": [9.5, 10.5],
            "close": [10.0, 11.0],
            "volume": [100.0, 200.0],
        }
    )


def test_output_is_wide_with_every_technical_factor(real_bars, technical_values):
    names = [f.name for f in by_family("technical")]
    assert technical_values.columns == ["date", "symbol", *names]
    assert technical_values.height == real_bars.height
    assert all(technical_values.schema[n] == pl.Float64 for n in names)


def test_subset_lazy_and_unsorted_input_give_the_same_values(real_bars, technical_values):
    shuffled = real_bars.sample(fraction=1.0, shuffle=True, seed=7).lazy()
    subset = compute_technical(shuffled, ["rsi_14", "beta_mkt_252d"])
    assert subset.equals(technical_values.select("date", "symbol", "rsi_14", "beta_mkt_252d"))


def test_to_long_keeps_only_values(technical_values):
    long = to_long(technical_values)
    assert long.columns == ["date", "symbol", "factor", "value"]
    expected = sum(
        technical_values[c].drop_nulls().is_finite().sum() for c in technical_values.columns[2:]
    )
    assert long.height == expected
    assert long.filter(pl.col("factor") == "ret_1d").height == technical_values["ret_1d"].count()


def test_small_input_gives_nulls_before_lookback_and_a_hand_value():
    out = compute_technical(_two_bars())
    assert out["ret_1d"].to_list() == [None, pytest.approx(0.1)]
    assert out["rsi_14"].null_count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop("volume"), r"missing column\(s\) \['volume'\]"),
        (
            lambda f: pl.concat([f, f.tail(1)]),
            r"duplicate \(symbol, date\); first: symbol=A, date=2020-01-03",
        ),
        (
            lambda f: f.with_columns(close=pl.Series([10.0, None])),
            "non-positive open/high/low/close; first: symbol=A, date=2020-01-03",
        ),
        (
            lambda f: f.with_columns(low=pl.Series([0.0, 10.5])),
            "non-positive open/high/low/close; first: symbol=A, date=2020-01-02",
        ),
        (
            lambda f: f.with_columns(volume=pl.Series([-1.0, 5.0])),
            "negative volume; first: symbol=A, date=2020-01-02",
        ),
    ],
)
def test_bad_bars_are_refused_naming_the_row(change, message):
    with pytest.raises(ValueError, match=message):
        compute_technical(change(_two_bars()))


def test_unknown_factor_names_are_refused():
    with pytest.raises(KeyError, match="unknown factor"):
        compute_technical(_two_bars(), ["rsi_15"])
