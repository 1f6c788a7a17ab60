"""Shared fixtures: the repository's package, and broken copies of it in tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DESCRIPTOR = REPO / "datapackage.json"


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A fresh copy of the canonical package (descriptor + data/) in a temp folder."""
    dest = tmp_path / "pkg"
    dest.mkdir()
    shutil.copy2(DESCRIPTOR, dest / "datapackage.json")
    shutil.copytree(REPO / "data", dest / "data")
    shutil.copytree(REPO / "derived", dest / "derived")
    return dest


Editor = Callable[[str, Callable[[str], str]], Path]


@pytest.fixture
def edit(package_copy: Path) -> Editor:
    """edit("data/x.csv", fn) rewrites a file of the copy through fn(text) -> text (UTF-8, LF kept)."""

    def _edit(rel: str, fn: Callable[[str], str]) -> Path:
        p = package_copy / rel
        text = p.read_bytes().decode("utf-8")
        p.write_bytes(fn(text).encode("utf-8"))
        return p

    return _edit


def replace_once(old: str, new: str) -> Callable[[str], str]:
    """A text edit that must apply exactly once (so tests fail loudly if the data moves)."""

    def fn(text: str) -> str:
        assert text.count(old) == 1, f"expected exactly one {old!r}"
        return text.replace(old, new)

    return fn


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing needle."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Let go of the frames Pandera validated while its modules are still alive.

    Pandera 0.35 keeps a weak reference to every validated frame, whose callback uses a
    module global; frames that live until the interpreter shuts down (fixtures, caches)
    would run it after the module was torn down and print "Exception ignored ...
    AttributeError" after pytest's summary line. Collecting them here runs the callbacks
    while they still work.
    """
    import gc
    import sys

    registry = sys.modules.get("pandera.accessors._schema_registry")
    if registry is not None:
        getattr(registry, "_refs", {}).clear()  # no callback can outlive its module
    gc.collect()
