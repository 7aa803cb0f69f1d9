"""One `dbt build` of a selection in-process, failing the test with the failed nodes' names."""

from __future__ import annotations

from pathlib import Path

from dbt.cli.main import dbtRunner

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def dbt_build(tmp_path: Path, selection: list[str] | tuple[str, ...], *extra: str) -> None:
    """Build ``selection`` and the tests on it only (cautious), writing into ``tmp_path``."""
    result = dbtRunner().invoke([
        "build", "--select", *selection, "--indirect-selection", "cautious", *extra,
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
        "--quiet",
    ])
    failed = [r.node.name for r in (result.result or []) if r.status in ("error", "fail")]
    assert result.success and not failed, f"dbt build failed: {failed or result.exception}"
