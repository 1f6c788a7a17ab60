"""The benchmark generator: its packages are clean, and its faults are each found once."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from zonedata.validate.engine import validate_package

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate", REPO / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = module
    spec.loader.exec_module(module)
    return module


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def test_generated_package_is_clean_and_deterministic(generate: ModuleType, tmp_path: Path) -> None:
    generate.generate(1000, 3, tmp_path / "a")
    generate.generate(1000, 3, tmp_path / "b")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    report = validate_package(tmp_path / "a", today=TODAY)
    assert report.problems == []
    assert report.rows > 1000


def test_each_fault_gives_exactly_one_problem(generate: ModuleType, tmp_path: Path) -> None:
    generate.generate(3000, 1, tmp_path, faults=40)
    summary = json.loads((tmp_path / ".faults").read_text())
    n = summary["faulty_rows"]
    assert n == 3000 // 40
    report = validate_package(tmp_path, today=TODAY)
    found = collections.Counter((p.code, p.severity) for p in report.problems)
    expected = collections.Counter(generate.FAULTS[i % len(generate.FAULTS)] for i in range(n))
    assert found == expected
    assert summary["problems"] == {c: k for (c, _), k in expected.items()}
    # every problem points at a distinct line of the figures table, with a column
    lines = [p.line for p in report.problems]
    assert len(set(lines)) == n
    assert all(p.path is not None and p.path.endswith("city_gdp.csv") for p in report.problems)
    assert all(p.column is not None for p in report.problems)
