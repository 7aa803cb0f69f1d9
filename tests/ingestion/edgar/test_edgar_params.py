import pytest
from pydantic import ValidationError

from ingestion.edgar.params import CompanyQuery, cik_to_int, normalize_cik


@pytest.mark.parametrize("given", [320193, "320193", "0000320193", "CIK0000320193",
                                   "cik320193", " CIK0000320193 "])
def test_cik_forms_normalise_to_ten_digits(given):
    assert normalize_cik(given) == "0000320193"
    assert cik_to_int(given) == 320193


@pytest.mark.parametrize("junk", ["AAPL", "", "CIK", "12345678901", "-320193", 0, "0000000000",
                                  True, 320193.0, None, "320 193"])
def test_junk_cik_is_refused_with_the_value_named(junk):
    with pytest.raises(ValueError, match="invalid CIK"):
        normalize_cik(junk)


def test_company_query_normalises_and_checks_the_window():
    assert CompanyQuery(cik="CIK320193").cik == "0000320193"
    with pytest.raises(ValidationError, match="start 2020-01-02 is after end 2020-01-01"):
        CompanyQuery(cik=320193, start="2020-01-02", end="2020-01-01")
    with pytest.raises(ValidationError, match="invalid CIK 'apple'"):
        CompanyQuery(cik="apple")
