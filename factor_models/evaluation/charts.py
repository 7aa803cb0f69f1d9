"""Per-factor SVG charts an analyst can open: rank IC over time and quantile mean returns.

Hand-written SVG (no plotting dependency): a polyline per series and a rect per bar.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np
import polars as pl

ROLLING = 63  # sessions in the rolling mean (about a quarter)
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")
WIDTH, PANEL_HEIGHT, MARGIN = 860, 260, 50


def _scale(low: float, high: float, out_low: float, out_high: float):
    span = (high - low) or 1.0
    return lambda v: out_low + (v - low) / span * (out_high - out_low)


def _points(x: np.ndarray, y: np.ndarray) -> str:
    """SVG polyline points, skipping missing values (nulls arrive as NaN)."""
    keep = np.isfinite(y)
    return " ".join(map("{:.1f},{:.1f}".format, x[keep].tolist(), y[keep].tolist()))


def _ic_panel(ic: pl.DataFrame, top: float) -> list[str]:
    """Daily rank IC of the shortest horizon (grey) and each horizon's rolling mean."""
    parts = [f'<text x="{MARGIN}" y="{top - 8}" font-size="13">Rank IC by date '
             f'(grey: daily, shortest horizon; lines: {ROLLING}-session rolling mean)</text>']
    ic = ic.drop_nulls("rank_ic")  # a date with too few names has no IC
    if ic.is_empty():
        return parts + [f'<text x="{MARGIN}" y="{top + 40}">no IC</text>']
    days = ic["date"].unique().sort()
    x = _scale(0, max(len(days) - 1, 1), MARGIN, WIDTH - MARGIN)
    low, high = min(ic["rank_ic"].min(), -0.05), max(ic["rank_ic"].max(), 0.05)
    y = _scale(low, high, top + PANEL_HEIGHT, top)
    horizons = sorted(ic["horizon"].unique().to_list())
    parts.append(f'<line x1="{MARGIN}" x2="{WIDTH - MARGIN}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
                 'stroke="#999" stroke-dasharray="4 3"/>')
    for value in (low, high):
        parts.append(f'<text x="4" y="{y(value) + 4:.1f}" font-size="11">{value:+.2f}</text>')
    for i, h in enumerate(horizons):
        series = ic.filter(pl.col("horizon") == h).sort("date").with_columns(
            rolling=pl.col("rank_ic").rolling_mean(ROLLING, min_samples=ROLLING // 3))
        position = x(days.search_sorted(series["date"]).to_numpy())
        if i == 0:
            parts.append(f'<polyline fill="none" stroke="#ccc" stroke-width="0.7" '
                         f'points="{_points(position, y(series["rank_ic"].to_numpy()))}"/>')
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" '
                     f'points="{_points(position, y(series["rolling"].to_numpy()))}"/>')
        parts.append(f'<text x="{WIDTH - MARGIN - 70}" y="{top + 14 + 14 * i}" font-size="11" '
                     f'fill="{colour}">{h}-day</text>')
    parts.append(f'<text x="{MARGIN}" y="{top + PANEL_HEIGHT + 14}" font-size="11">'
                 f'{days[0]}</text><text x="{WIDTH - MARGIN - 60}" '
                 f'y="{top + PANEL_HEIGHT + 14}" font-size="11">{days[-1]}</text>')
    return parts


def _quantile_panel(summary: pl.DataFrame, top: float) -> list[str]:
    """Mean forward return per quantile (demeaned, basis points), one bar group per horizon."""
    columns = sorted(c for c in summary.columns if c.startswith("q") and c.endswith("_return"))
    parts = [f'<text x="{MARGIN}" y="{top - 8}" font-size="13">Mean forward return by '
             'quantile (demeaned, bp), per horizon</text>']
    rows = summary.sort("horizon").select("horizon", *columns).rows()
    values = [v * 1e4 for row in rows for v in row[1:] if v is not None]
    if not values:
        return parts + [f'<text x="{MARGIN}" y="{top + 40}">no quantile returns</text>']
    low, high = min(min(values), 0.0), max(max(values), 0.0)
    y = _scale(low, high, top + PANEL_HEIGHT, top)
    group = (WIDTH - 2 * MARGIN) / max(len(rows), 1)
    bar = group / (len(columns) + 1)
    for g, (horizon, *means) in enumerate(rows):
        left = MARGIN + g * group
        for q, mean in enumerate(means):
            if mean is None:
                continue
            value = mean * 1e4
            y0, y1 = sorted((y(0), y(value)))
            parts.append(f'<rect x="{left + q * bar + bar / 2:.1f}" y="{y0:.1f}" '
                         f'width="{bar * 0.9:.1f}" height="{max(y1 - y0, 0.5):.1f}" '
                         f'fill="{COLOURS[q % len(COLOURS)]}"><title>Q{q + 1} {horizon}-day: '
                         f'{value:.1f} bp</title></rect>')
        parts.append(f'<text x="{left + group / 2 - 20:.1f}" y="{top + PANEL_HEIGHT + 14}" '
                     f'font-size="11">{horizon}-day</text>')
    parts.append(f'<line x1="{MARGIN}" x2="{WIDTH - MARGIN}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
                 'stroke="#333"/>')
    parts += [f'<text x="{WIDTH - MARGIN - 170 + 34 * q}" y="{top - 8}" font-size="11" '
              f'fill="{COLOURS[q % len(COLOURS)]}">Q{q + 1}</text>' for q in range(len(columns))]
    for value in (low, high):
        parts.append(f'<text x="4" y="{y(value) + 4:.1f}" font-size="11">{value:+.1f}</text>')
    return parts


def factor_chart_svg(factor: str, ic: pl.DataFrame, summary: pl.DataFrame) -> str:
    """One factor's chart: ``ic`` holds its fct_factor_ic rows, ``summary`` its fct_factor_eval
    rows."""
    height = 2 * PANEL_HEIGHT + 4 * MARGIN
    body = [f'<text x="{MARGIN}" y="24" font-size="16" font-weight="bold">'
            f'{escape(factor)}</text>']
    stats = "   ".join(
        f"{h}-day IC {m:+.3f} (t {t:+.1f})"
        for h, m, t in summary.sort("horizon").select("horizon", "ic_mean", "t_stat").rows()
        if m is not None and t is not None)
    body.append(f'<text x="{MARGIN}" y="44" font-size="12">{escape(stats)}</text>')
    body += _ic_panel(ic, 2 * MARGIN - 10)
    body += _quantile_panel(summary, PANEL_HEIGHT + 3 * MARGIN)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">'
            f'<rect width="100%" height="100%" fill="white"/>{"".join(body)}</svg>\n')


def write_charts(folder: Path, ic: pl.DataFrame, summary: pl.DataFrame) -> list[Path]:
    """Write ``<folder>/<factor>.svg`` for every factor in ``summary``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    by_factor = ic.partition_by("factor", as_dict=True)
    empty = ic.clear()
    written = []
    for (factor,), rows in summary.group_by("factor", maintain_order=True):
        path = folder / f"{factor}.svg"
        path.write_text(factor_chart_svg(factor, by_factor.get((factor,), empty), rows))
        written.append(path)
    return written
