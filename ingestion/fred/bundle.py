"""Build the bundled FRED sample (``data/sample/fred``) from real public FRED data.

GDP keeps every real ALFRED vintage. The other series exist only as latest values (a
2026-01-02 snapshot), so each observation gets one approximate vintage: ``realtime_start`` =
end of the observation period + the series' typical publication lag (table below),
``realtime_end`` = 9999-12-31. Run: ``python -m ingestion.fred.bundle [--source DIR] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "fred"
DEFAULT_OUT = REPO / "data" / "sample" / "fred"
CASSETTES = "api_json_pyfredapi_cassettes"
SNAPSHOT_DIR = "latest_2026-01-02_codex_macro_monitor"
SNAPSHOT_DATE = date(2026, 1, 2)
SINCE = date(1990, 1, 1)
DAILY_SINCE = date(2000, 1, 1)  # daily series are most of the bytes: keep the bundle small
OPEN_END = "9999-12-31"
_FREQUENCY = {"D": "Daily", "M": "Monthly", "Q": "Quarterly",
              "W-SAT": "Weekly, Ending Saturday", "W-FRI": "Weekly, Ending Friday"}
_ADJUSTMENT = {"SA": "Seasonally Adjusted", "NSA": "Not Seasonally Adjusted",
               "SAAR": "Seasonally Adjusted Annual Rate"}


@dataclass(frozen=True)
class SampleSeries:
    """A snapshot series, its FRED metadata and its approximate first-release lag."""

    series_id: str
    title: str
    frequency: str  # key of _FREQUENCY
    units: str
    units_short: str
    adjustment: str  # key of _ADJUSTMENT
    lag_days: int  # days after the end of the observation period
    release: str  # why that lag


SAMPLE_SERIES: tuple[SampleSeries, ...] = (
    SampleSeries("DGS2", "Market Yield on U.S. Treasury Securities at 2-Year Constant Maturity, "
                 "Quoted on an Investment Basis", "D", "Percent", "%", "NSA", 1,
                 "Fed H.15 daily yields, posted the next business day"),
    SampleSeries("DGS10", "Market Yield on U.S. Treasury Securities at 10-Year Constant "
                 "Maturity, Quoted on an Investment Basis", "D", "Percent", "%", "NSA", 1,
                 "Fed H.15 daily yields, posted the next business day"),
    SampleSeries("DGS30", "Market Yield on U.S. Treasury Securities at 30-Year Constant "
                 "Maturity, Quoted on an Investment Basis", "D", "Percent", "%", "NSA", 1,
                 "Fed H.15 daily yields, posted the next business day"),
    SampleSeries("T10Y2Y", "10-Year Treasury Constant Maturity Minus 2-Year Treasury Constant "
                 "Maturity", "D", "Percent", "%", "NSA", 1,
                 "computed by FRED from H.15, next business day"),
    SampleSeries("T5YIE", "5-Year Breakeven Inflation Rate", "D", "Percent", "%", "NSA", 1,
                 "computed by FRED from H.15 nominal and TIPS yields, next business day"),
    SampleSeries("T10YIE", "10-Year Breakeven Inflation Rate", "D", "Percent", "%", "NSA", 1,
                 "computed by FRED from H.15 nominal and TIPS yields, next business day"),
    SampleSeries("DTWEXBGS", "Nominal Broad U.S. Dollar Index", "D", "Index Jan 2006=100",
                 "Index Jan 2006=100", "NSA", 7,
                 "Fed H.10 is published weekly on Monday for the previous week"),
    SampleSeries("FEDFUNDS", "Federal Funds Effective Rate", "M", "Percent", "%", "NSA", 1,
                 "monthly average of daily EFFR, available the first day after the month"),
    SampleSeries("CPIAUCSL", "Consumer Price Index for All Urban Consumers: All Items in U.S. "
                 "City Average", "M", "Index 1982-1984=100", "Index 1982-1984=100", "SA", 15,
                 "BLS CPI release, typically the 10th-15th of the following month"),
    SampleSeries("CPILFESL", "Consumer Price Index for All Urban Consumers: All Items Less "
                 "Food and Energy in U.S. City Average", "M", "Index 1982-1984=100",
                 "Index 1982-1984=100", "SA", 15,
                 "BLS CPI release, typically the 10th-15th of the following month"),
    SampleSeries("PCEPILFE", "Personal Consumption Expenditures Excluding Food and Energy "
                 "(Chain-Type Price Index)", "M", "Index 2017=100", "Index 2017=100", "SA", 30,
                 "BEA Personal Income and Outlays, near the end of the following month"),
    SampleSeries("UNRATE", "Unemployment Rate", "M", "Percent", "%", "SA", 7,
                 "BLS Employment Situation, first Friday of the following month (<= 7 days)"),
    SampleSeries("PAYEMS", "All Employees, Total Nonfarm", "M", "Thousands of Persons",
                 "Thous. of Persons", "SA", 7,
                 "BLS Employment Situation, first Friday of the following month (<= 7 days)"),
    SampleSeries("ICSA", "Initial Claims", "W-SAT", "Number", "Number", "SA", 5,
                 "DOL weekly claims, Thursday after the week ending Saturday"),
    SampleSeries("INDPRO", "Industrial Production: Total Index", "M", "Index 2017=100",
                 "Index 2017=100", "SA", 17,
                 "Fed G.17, around the 15th-17th of the following month"),
    SampleSeries("M2SL", "M2", "M", "Billions of Dollars", "Bil. of $", "SA", 28,
                 "Fed H.6, fourth Tuesday of the following month"),
    SampleSeries("ANFCI", "Chicago Fed Adjusted National Financial Conditions Index", "W-FRI",
                 "Index", "Index", "NSA", 5,
                 "Chicago Fed, Wednesday after the week ending Friday"),
    SampleSeries("STLFSI4", "St. Louis Fed Financial Stress Index", "W-FRI", "Index", "Index",
                 "NSA", 6, "St. Louis Fed, Thursday after the week ending Friday"),
    SampleSeries("GDPC1", "Real Gross Domestic Product", "Q", "Billions of Chained 2017 Dollars",
                 "Bil. of Chn. 2017 $", "SAAR", 30,
                 "BEA advance estimate; GDP's real first releases 1992-2024: median 29, "
                 "75th percentile 30 days after quarter end"),
)

EXCLUDED = {
    "VIXCLS, SP500, BAMLC0A0CM, BAMLH0A0HYM2, UMCSENT": "copyrighted by their owners (Cboe, "
    "S&P, ICE, University of Michigan): test fixtures only, never redistributed",
    "MORTGAGE30US": "Freddie Mac's survey, published on FRED with Freddie Mac's copyright notice",
    "USREC": "NBER dates recessions months to years later: a fixed lag would leak the future",
    "GDP (CSV)": "GDP ships with its real ALFRED vintages instead",
}


def _period_end(frequency: str) -> pl.Expr:
    """Last day of the period FRED's observation date stands for (weekly dates end the week)."""
    day = pl.col("day")
    if frequency == "M":
        return day.dt.month_end()
    if frequency == "Q":
        return day.dt.offset_by("3mo").dt.offset_by("-1d")
    return day


def _since(spec: SampleSeries) -> date:
    return DAILY_SINCE if spec.frequency == "D" else SINCE


def snapshot_observations(csv_path: Path, spec: SampleSeries) -> list[dict[str, str]]:
    """A ``date,value`` CSV as FRED observation rows with one approximate vintage each."""
    frame = pl.read_csv(csv_path, schema={"date": pl.String, "value": pl.String})
    first_release = _period_end(spec.frequency).dt.offset_by(f"{spec.lag_days}d")
    return (
        frame.with_columns(day=pl.col("date").str.to_date("%Y-%m-%d"))
        .filter(pl.col("day") >= _since(spec))
        .sort("day")
        .select(
            realtime_start=pl.min_horizontal(first_release, pl.lit(SNAPSHOT_DATE))
            .dt.to_string("%Y-%m-%d"),
            realtime_end=pl.lit(OPEN_END),
            date=pl.col("date"),
            value=pl.col("value").fill_null("."),  # a blank in the snapshot is FRED's '.'
        )
        .to_dicts()
    )


def snapshot_series_info(spec: SampleSeries, rows: list[dict[str, str]]) -> dict[str, Any]:
    """A ``fred/series`` body for a snapshot series (last_updated = its latest approx. release)."""
    snapshot = SNAPSHOT_DATE.isoformat()
    entry = {
        "id": spec.series_id, "realtime_start": snapshot, "realtime_end": snapshot,
        "title": spec.title,
        "observation_start": rows[0]["date"], "observation_end": rows[-1]["date"],
        "frequency": _FREQUENCY[spec.frequency], "frequency_short": spec.frequency[0],
        "units": spec.units, "units_short": spec.units_short,
        "seasonal_adjustment": _ADJUSTMENT[spec.adjustment],
        "seasonal_adjustment_short": spec.adjustment,
        "last_updated": f"{max(r['realtime_start'] for r in rows)} 00:00:00+00",
        "notes": f"Factor Mart sample: latest values of the {snapshot} snapshot from "
                 f"{_since(spec).isoformat()}; vintages approximated as period end + "
                 f"{spec.lag_days} days ({spec.release}). See data/sample/fred/PROVENANCE.md.",
    }
    return {"realtime_start": snapshot, "realtime_end": snapshot, "seriess": [entry]}


def _write_json(path: Path, body: dict[str, Any]) -> None:
    """Observation bodies are gzipped (mtime 0, so rebuilds are byte-identical)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (json.dumps(body, separators=(",", ":")) + "\n").encode()
    if path.parent.name == "observations":
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(text, mtime=0))
    else:
        path.write_bytes(text)


def build_sample(source: Path = DEFAULT_SOURCE, out: Path = DEFAULT_OUT) -> dict[str, int]:
    """Write the replay folder and PROVENANCE.md; return observation rows per series."""
    snapshot_dir, cassettes = source / SNAPSHOT_DIR, source / CASSETTES
    coverage = pl.read_csv(snapshot_dir / "series_coverage.csv")
    frequency_of = dict(zip(coverage["series_id"], coverage["freq"], strict=True))
    counts = {}
    for kind in ("series", "observations"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cassettes / "GDP_series_info.json", out / "series" / "GDP.json")
    gdp = json.loads((cassettes / "GDP_observations_all_releases_alfred.json").read_text())
    (out / "observations" / "GDP.json.gz").write_bytes(gzip.compress(
        (cassettes / "GDP_observations_all_releases_alfred.json").read_bytes(), mtime=0))
    counts["GDP"] = len(gdp["observations"])
    for spec in SAMPLE_SERIES:
        if frequency_of[spec.series_id] != spec.frequency[0]:
            raise ValueError(f"{spec.series_id}: series_coverage.csv says frequency "
                             f"{frequency_of[spec.series_id]}, the sample table {spec.frequency}")
        rows = snapshot_observations(snapshot_dir / f"{spec.series_id}.csv", spec)
        _write_json(out / "observations" / f"{spec.series_id}.json", {
            "realtime_start": "1776-07-04", "realtime_end": OPEN_END,
            "observation_start": "1600-01-01", "observation_end": OPEN_END, "units": "lin",
            "output_type": 1, "file_type": "json", "order_by": "observation_date",
            "sort_order": "asc", "count": len(rows), "offset": 0, "limit": 100000,
            "observations": rows,
        })
        _write_json(out / "series" / f"{spec.series_id}.json", snapshot_series_info(spec, rows))
        counts[spec.series_id] = len(rows)
    (out / "PROVENANCE.md").write_text(provenance(counts), encoding="utf-8")
    return counts


def provenance(counts: dict[str, int]) -> str:
    """PROVENANCE.md: sources, licences and the lag table, generated with the data."""
    lag_rows = "\n".join(
        f"| {s.series_id} | {_FREQUENCY[s.frequency]} | +{s.lag_days} | {s.release} | "
        f"{counts[s.series_id]} |" for s in SAMPLE_SERIES)
    excluded = "\n".join(f"- {names}: {why}." for names, why in EXCLUDED.items())
    return f"""# FRED sample bundle: provenance

Generated by `python -m ingestion.fred.bundle` (ingestion/fred/bundle.py) from
`../shared/data/fred`; do not edit by hand. Layout: the FRED replay folder of
docs/CONTRACTS.md (`series/<ID>.json` = `fred/series` body, `observations/<ID>.json.gz` =
`fred/series/observations` body).

## Sources and licences
- `GDP`: real FRED/ALFRED API bodies, every vintage ({counts["GDP"]} rows, 395 vintages
  1991-12-04..2024-12-19), copied unchanged from gw-moore/pyfredapi test recordings (MIT).
  Data: U.S. Bureau of Economic Analysis via FRED, public domain.
- All other series: latest values as of 2026-01-02, `date,value` CSVs pulled with fredapi by
  sivamsapingali/Codex_Macro-Monitor, kept from {SINCE.isoformat()} on (daily series from
  {DAILY_SINCE.isoformat()}, to keep the bundle small). Data: Federal Reserve Board,
  BLS, BEA, DOL, Federal Reserve Banks of Chicago and St. Louis via FRED: U.S. government or
  Federal Reserve public data. Values are the CSV text unchanged (pandas wrote integer values
  as e.g. `90800.0`); blank values (holidays; UNRATE 2025-10-01, not published because of the
  2025 federal shutdown) are FRED's `.`.
- Series metadata (title, units, frequency, seasonal adjustment) are FRED's for each series,
  written in `SAMPLE_SERIES`; the frequency is checked against `series_coverage.csv`.

## Approximated vintages (everything except GDP)
The snapshot has no vintage history. Each observation gets ONE vintage: `realtime_start` = the
end of its observation period (the day itself for daily, the week-ending date for weekly, the
last day of the month/quarter) + the typical first-release lag below (capped at 2026-01-02),
and `realtime_end` = 9999-12-31. This is an explicit first-release approximation: values are
the latest revised ones, real release days vary (holidays, the 2025 shutdown delayed several
releases), and revisions are not represented. `last_updated` in series metadata is the latest
approximated release. Use GDP for real revision behaviour.

| series | frequency | lag (days after period end) | basis | rows |
|---|---|---|---|---|
{lag_rows}

## Left out
{excluded}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="folder with the shared FRED data (default: ../shared/data/fred)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="replay folder to write")
    args = parser.parse_args()
    counts = build_sample(args.source, args.out)
    print(f"wrote {len(counts)} series, {sum(counts.values())} observation rows to {args.out}")


if __name__ == "__main__":
    main()
