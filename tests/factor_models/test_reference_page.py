"""docs/factors.md is generated from the catalog and must not drift from it."""

from pathlib import Path

from factor_models.catalog import catalog_frame, catalog_markdown

PAGE = Path(__file__).parents[2] / "docs" / "factors.md"


def test_reference_page_is_the_generated_catalog():
    assert PAGE.read_text() == catalog_markdown(), (
        "docs/factors.md is stale: run `python -m factor_models.catalog > docs/factors.md`")


def test_every_catalog_factor_is_on_the_page():
    page = PAGE.read_text()
    names = catalog_frame()["factor"].to_list()
    assert len(names) >= 33
    assert all(f"`{name}`" in page for name in names)
