"""The sample FRED panel (plus stand-ins for the series it cannot carry), 2013-2019 sessions."""

from __future__ import annotations

from datetime import date

import pytest
from macro_panel import full_panel

from factor_models.macro import compute_macro_panel

START, END = date(2013, 1, 2), date(2019, 12, 31)


@pytest.fixture(scope="session")
def macro_panel():
    return full_panel(START, END)


@pytest.fixture(scope="session")
def macro_wide(macro_panel):
    return compute_macro_panel(macro_panel)
