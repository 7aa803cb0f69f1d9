"""Fixtures for the FRED adapter tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from fred_fixtures import write_derived_series


@pytest.fixture(scope="session")
def derived_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_derived_series(tmp_path_factory.mktemp("fred_derived"))
