"""docs/factors.md is generated from the catalog and must not drift from it."""

import re
import subprocess
import sys
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


def test_catalog_order_does_not_depend_on_import_order():
    # A fresh process that imports a later family first must list the same order as the page.
    script = ("import factor_models.cross_source, factor_models.macro\n"
              "from factor_models.catalog import catalog_frame\n"
              "print(','.join(catalog_frame()['factor']))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    page = re.findall(r"^\| `([a-z0-9_]+)` \|", PAGE.read_text(), re.MULTILINE)
    assert done.stdout.strip().split(",") == page
