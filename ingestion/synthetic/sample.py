"""The sample bundle's IB bars: synthetic bars for real tickers with their real corporate actions.

Interactive Brokers' data may not be redistributed, so the bundle ships bars from this
generator: the real split dates and ratios, dividend schedules of the right size, listing dates
(SNOW's IPO, LPA's listing), and paths pinned to a few approximate historical price levels.
Run ``python -m ingestion.synthetic.sample --out data/sample/ibkr``.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ingestion.synthetic.market import market_factors
from ingestion.synthetic.prices import Life, PriceHistory, simulate
from ingestion.synthetic.rng import key_rng
from ingestion.synthetic.sectors import SECTOR_NAMES
from ingestion.synthetic.universe import bar_dicts
from ingestion.synthetic.writer import WHAT_TO_SHOW, write_bars

SAMPLE_SEED = 7
SAMPLE_START, SAMPLE_END = date(2015, 1, 2), date(2025, 12, 31)
_IT = SECTOR_NAMES.index("Information Technology")
_COMM = SECTOR_NAMES.index("Communication Services")
_DISC = SECTOR_NAMES.index("Consumer Discretionary")
_REIT = SECTOR_NAMES.index("Real Estate")


def _life(first: date, sector: int, shares: float, beta: float, idio: float, turnover: float,
          waypoints: tuple, splits: tuple = (), dividends: tuple | None = None,
          dividend_month: int = 1, dividend_day: int = 15, is_ipo: bool = False) -> Life:
    return Life(first=first, last=SAMPLE_END, start_price=waypoints[0][1], shares=shares,
                beta=beta, sector_index=sector, sector_loading=1.0, idio_vol=idio, alpha=0.0,
                turnover=turnover, trade_size=100.0, dividend_month=dividend_month,
                dividend_day=dividend_day, splits=splits, dividends=dividends or (),
                waypoints=waypoints, is_ipo=is_ipo)


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _points(*pairs: tuple[str, float]) -> tuple[tuple[date, float], ...]:
    return tuple((_d(day), price) for day, price in pairs)


# Waypoints are approximate TRADES closes (round historical levels), not quotes.
SAMPLE_LIVES: dict[str, Life] = {
    "AAPL": _life(SAMPLE_START, _IT, 5.8e9, 1.1, 0.012, 0.009, _points(
        ("2015-01-02", 109.3), ("2018-10-03", 232.0), ("2019-01-03", 142.0),
        ("2020-08-28", 499.0), ("2020-08-31", 129.0), ("2022-01-03", 182.0),
        ("2022-12-30", 130.0), ("2024-12-31", 250.0), ("2025-12-31", 271.0)),
        splits=((_d("2020-08-31"), 4.0),), dividends=((_d("2015-02-05"), 0.47, 1.08),),
        dividend_month=2, dividend_day=8),
    "MSFT": _life(SAMPLE_START, _IT, 8.2e9, 1.0, 0.010, 0.0035, _points(
        ("2015-01-02", 46.8), ("2020-12-31", 222.0), ("2021-12-31", 336.0),
        ("2022-12-30", 240.0), ("2024-12-31", 421.0), ("2025-12-31", 484.0)),
        dividends=((_d("2015-02-17"), 0.31, 1.10),), dividend_month=2, dividend_day=17),
    "NVDA": _life(SAMPLE_START, _IT, 0.54e9, 1.6, 0.022, 0.015, _points(
        ("2015-01-02", 20.1), ("2018-10-01", 284.0), ("2018-12-24", 130.0),
        ("2021-07-19", 749.0), ("2021-07-20", 188.0), ("2022-10-14", 112.0),
        ("2024-06-07", 1209.0), ("2024-06-10", 121.8), ("2024-12-31", 134.3),
        ("2025-12-31", 187.0)),
        splits=((_d("2021-07-20"), 4.0), (_d("2024-06-10"), 10.0)),
        dividends=((_d("2015-02-19"), 0.085, 1.05),), dividend_month=2, dividend_day=19),
    "GOOGL": _life(SAMPLE_START, _COMM, 0.345e9, 1.05, 0.012, 0.0045, _points(
        ("2015-01-02", 529.6), ("2020-03-23", 1054.0), ("2021-11-18", 3014.0),
        ("2022-07-15", 2235.0), ("2022-07-18", 109.0), ("2022-12-30", 88.2),
        ("2024-12-31", 189.3), ("2025-12-31", 313.0)),
        splits=((_d("2022-07-18"), 20.0),), dividends=((_d("2024-06-10"), 0.20, 1.05),),
        dividend_month=3, dividend_day=10),
    "TSLA": _life(SAMPLE_START, _DISC, 0.125e9, 1.5, 0.030, 0.035, _points(
        ("2015-01-02", 219.3), ("2019-06-03", 179.0), ("2020-08-28", 2213.0),
        ("2020-08-31", 498.3), ("2021-11-04", 1230.0), ("2022-08-24", 891.3),
        ("2022-08-25", 296.1), ("2022-12-30", 123.2), ("2024-12-31", 403.8),
        ("2025-12-31", 450.0)),
        splits=((_d("2020-08-31"), 5.0), (_d("2022-08-25"), 3.0))),
    "MRVL": _life(SAMPLE_START, _IT, 0.51e9, 1.4, 0.022, 0.025, _points(
        ("2015-01-02", 14.5), ("2016-02-11", 7.5), ("2021-12-31", 87.5),
        ("2022-12-30", 37.0), ("2024-12-31", 110.5), ("2025-12-31", 85.0)),
        dividends=((_d("2015-01-08"), 0.06, 1.0),), dividend_month=1, dividend_day=8),
    "SNOW": _life(_d("2020-09-16"), _IT, 0.28e9, 1.3, 0.025, 0.02, _points(
        ("2020-09-16", 253.9), ("2020-12-08", 389.0), ("2022-12-30", 143.5),
        ("2024-12-31", 154.4), ("2025-12-31", 220.0)), is_ipo=True),
    "LPA": _life(_d("2024-03-27"), _REIT, 0.03e9, 0.8, 0.030, 0.002, _points(
        ("2024-03-27", 10.0), ("2024-12-31", 4.5), ("2025-12-31", 5.0)), is_ipo=True),
}


def sample_history(symbol: str) -> PriceHistory:
    """The sample bundle's bars of one symbol."""
    factors = market_factors(SAMPLE_SEED, date(2013, 1, 2), SAMPLE_END)
    return simulate(SAMPLE_LIVES[symbol], factors, key_rng(SAMPLE_SEED, "sample", symbol))


def write_sample(folder: str | Path) -> list[Path]:
    """Write ``folder/bars/<SYMBOL>.<WHAT_TO_SHOW>.json`` for every sample symbol."""
    bars_dir = Path(folder) / "bars"
    bars_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for symbol in SAMPLE_LIVES:
        history = sample_history(symbol)
        for what in WHAT_TO_SHOW:
            path = bars_dir / f"{symbol}.{what}.json"
            write_bars(bar_dicts(history, what), path)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingestion.synthetic.sample",
                                     description="Write the sample bundle's synthetic IB bars.")
    parser.add_argument("--out", default="data/sample/ibkr", help="the ibkr replay folder")
    args = parser.parse_args(argv)
    paths = write_sample(args.out)
    print(f"wrote {len(paths)} files to {args.out}/bars")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
