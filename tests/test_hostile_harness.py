"""The hostile-input harness itself: its limits stop a child that hangs or grows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile import run_cli, run_python, snapshot


def test_a_child_that_hangs_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="did not finish within 2"):
        run_python("import time; time.sleep(30)", timeout=2)


def test_a_child_that_grows_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="ran out of memory"):
        run_python("x = bytearray(2 << 30)", memory=512 << 20)


def test_the_real_package_validates_within_the_limits() -> None:
    out = run_cli("validate")
    assert out.code == 0, out.output
    assert "Traceback" not in out.output


def test_snapshot_sees_files_links_and_changes(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "link").symlink_to("../a.csv")
    before = snapshot(tmp_path)
    assert before["sub"] == "dir"
    assert before["sub/link"] == "symlink:../a.csv"
    (tmp_path / "a.csv").write_text("y\n")
    assert snapshot(tmp_path)["a.csv"] != before["a.csv"]
