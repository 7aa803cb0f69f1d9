"""Query parameters for the EDGAR adapter: which company, and which filing dates."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

_CIK_TEXT = re.compile(r"(?:CIK)?0*(\d{1,10})", re.IGNORECASE)


def normalize_cik(value: Any) -> str:
    """A CIK as the SEC's 10-digit zero-padded string; accepts 320193, '320193', 'CIK0000320193'."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"invalid CIK {value!r}: expected an integer or a string of digits")
    text = str(value).strip()
    match = _CIK_TEXT.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(
            f"invalid CIK {value!r}: expected 1 to 10 digits, optionally prefixed 'CIK' "
            "(e.g. 320193, '0000320193' or 'CIK0000320193')"
        )
    return match.group(1).zfill(10)


def cik_to_int(value: Any) -> int:
    """A CIK as an integer (the raw tables' ``cik`` column)."""
    return int(normalize_cik(value))


Cik = Annotated[str, BeforeValidator(normalize_cik)]


class CompanyQuery(BaseModel):
    """One company's EDGAR payloads, optionally only what was filed in [start, end]."""

    model_config = ConfigDict(frozen=True)

    cik: Cik = Field(description="Central Index Key, normalised to 10 digits.")
    start: date | None = Field(None, description="First filing date to keep (inclusive).")
    end: date | None = Field(None, description="Last filing date to keep (inclusive).")

    @model_validator(mode="after")
    def _start_not_after_end(self) -> CompanyQuery:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self

    @property
    def cik_int(self) -> int:
        return int(self.cik)
