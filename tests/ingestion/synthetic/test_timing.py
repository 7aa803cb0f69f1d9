"""Prints how long 1,000 symbols x 10 years of bars take (a measurement, not a timed test)."""

from __future__ import annotations

import time

import pytest

from ingestion.synthetic import SyntheticUniverse


@pytest.mark.slow
def test_print_bars_generation_time_for_1000_by_10(capsys):
    universe = SyntheticUniverse(symbols=1000, years=10, seed=7)
    started = time.perf_counter()
    frame = universe.bars_frame("TRADES")
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nsynthetic bars 1000 x 10y: {frame.height:,} TRADES bars in {elapsed:.1f} s")
    assert frame["symbol"].n_unique() == 1000
