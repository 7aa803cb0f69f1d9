"""Where the recorded EDGAR payloads live, and a plain reader used as the tests' reference."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "edgar"
USER_AGENT = "Factor Mart Tests tests@example.com"


def read_fixture(relative: str) -> dict:
    """A recorded payload, read independently of the adapter."""
    with gzip.open(FIXTURES / relative, "rt") as handle:
        return json.load(handle)
