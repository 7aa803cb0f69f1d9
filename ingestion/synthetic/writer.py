"""Writes a universe (or a set of bars) in the replay folder layout of docs/CONTRACTS.md."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingestion.synthetic.universe import SyntheticUniverse

WHAT_TO_SHOW = ("TRADES", "ADJUSTED_LAST")
Progress = Callable[[str, int], None]  # (source, items done since the last call)


def _dump(payload, path: Path) -> None:
    path.write_text(json.dumps(payload, separators=(",", ":")))


def write_bars(bars: list[dict], path: Path) -> None:
    """A JSON list of bar dicts, one bar a line (readable diffs, small files)."""
    lines = ",\n".join(json.dumps(b, separators=(",", ":")) for b in bars)
    path.write_text(f"[\n{lines}\n]\n" if bars else "[]\n")


def write_universe(universe: SyntheticUniverse, folder: str | os.PathLike,
                   progress: Progress | None = None) -> dict[str, int]:
    """Every payload of the universe under folder/{edgar,fred,ibkr}; returns files per source."""
    root = Path(folder)
    tick = progress or (lambda source, n: None)
    written = {"edgar": 0, "fred": 0, "ibkr": 0}

    facts_dir, subs_dir = root / "edgar" / "companyfacts", root / "edgar" / "submissions"
    series_dir, obs_dir = root / "fred" / "series", root / "fred" / "observations"
    bars_dir = root / "ibkr" / "bars"
    for d in (facts_dir, subs_dir, series_dir, obs_dir, bars_dir):
        d.mkdir(parents=True, exist_ok=True)

    fred = universe.fred_client()
    series_ids = fred.keys()
    for series_id in series_ids:
        _dump(fred.series_info(series_id), series_dir / f"{series_id}.json")
        _dump(fred.observations(series_id), obs_dir / f"{series_id}.json")
        written["fred"] += 2
        tick("fred", 1)

    edgar, ibkr = universe.edgar_client(), universe.ibkr_client()
    for cik, symbol in zip(edgar.keys(), ibkr.keys(), strict=True):
        for what in WHAT_TO_SHOW:
            write_bars(ibkr.bars(symbol, what), bars_dir / f"{symbol}.{what}.json")
        written["ibkr"] += 2
        tick("ibkr", 1)
        _dump(edgar.company_facts(cik), facts_dir / f"CIK{cik}.json")
        main, *pages = edgar.submissions(cik)
        _dump(main, subs_dir / f"CIK{cik}.json")
        for n, page in enumerate(pages, start=1):
            _dump(page, subs_dir / f"CIK{cik}-submissions-{n:03d}.json")
        written["edgar"] += 2 + len(pages)
        tick("edgar", 1)
    return written
