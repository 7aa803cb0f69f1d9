"""A small ten-year universe shared by the synthetic generator's tests."""

from __future__ import annotations

import pytest

from ingestion.synthetic import SyntheticUniverse


@pytest.fixture(scope="session")
def universe() -> SyntheticUniverse:
    return SyntheticUniverse(symbols=40, years=10, seed=11)
