"""``python -m ingestion.synthetic --symbols 1000 --years 10 --seed 7 --out DIR``."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingestion.synthetic.fred import SERIES
from ingestion.synthetic.universe import DEFAULT_END, SyntheticUniverse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.synthetic",
        description="Write a synthetic universe in the replay layout: DIR/{edgar,fred,ibkr}.")
    parser.add_argument("--symbols", type=int, default=1000, help="number of companies")
    parser.add_argument("--years", type=int, default=10, help="years of bars before --end")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same bytes)")
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END,
                        help=f"last day of the universe (default {DEFAULT_END})")
    parser.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args(argv)
    try:
        universe = SyntheticUniverse(args.symbols, args.years, args.seed, args.end)
    except ValueError as exc:
        parser.error(str(exc))
    columns = (TextColumn("{task.description:>6}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, transient=False) as bar:
        tasks = {"fred": bar.add_task("fred", total=len(SERIES)),
                 "ibkr": bar.add_task("ibkr", total=args.symbols),
                 "edgar": bar.add_task("edgar", total=args.symbols)}
        written = universe.write(args.out, lambda source, n: bar.advance(tasks[source], n))
    print(f"wrote {sum(written.values())} files to {args.out}: {written}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
