"""FRED test data: the real GDP ALFRED recording and a derived many-vintage series."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from ingestion.files import recorded_bytes

REPO = Path(__file__).resolve().parents[3]
GDP_FOLDER = REPO / "tests" / "fixtures" / "fred" / "alfred_gdp"
SAMPLE_FOLDER = REPO / "data" / "sample" / "fred"
DERIVED_ID = "DGS10_DERIVED"


def _day_before(iso: str) -> str:
    return (date.fromisoformat(iso) - timedelta(days=1)).isoformat()


def write_derived_series(folder: Path, size: int = 2600) -> Path:
    """DERIVED, not a real FRED series: DGS10 sample values with one vintage per observation.

    Observation i is first released on its bundled ``realtime_start`` (one distinct vintage
    per business day, so ``size`` vintages); every fifth numeric value is revised by +0.01
    three vintages later. Written in the replay layout as series ``DGS10_DERIVED``.
    """
    real = json.loads(recorded_bytes(SAMPLE_FOLDER / "observations" / "DGS10.json")[0])
    source = real["observations"][:size]
    starts = [row["realtime_start"] for row in source]
    rows = []
    for i, row in enumerate(source):
        if i % 5 == 0 and i + 3 < size and row["value"] != ".":
            revised = f"{float(row['value']) + 0.01:.2f}"
            rows += [{**row, "realtime_end": _day_before(starts[i + 3])},
                     {**row, "realtime_start": starts[i + 3], "value": revised}]
        else:
            rows.append(row)
    rows.sort(key=lambda r: (r["date"], r["realtime_start"]))
    info = json.loads((SAMPLE_FOLDER / "series" / "DGS10.json").read_text())
    info["seriess"][0] |= {"id": DERIVED_ID, "title": "DERIVED test series from DGS10"}
    for kind, body in (("series", info), ("observations", {**real, "count": len(rows),
                                                            "observations": rows})):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        (folder / kind / f"{DERIVED_ID}.json").write_text(json.dumps(body))
    return folder
