"""Shared fixtures: the repository's package, and broken copies of it in tmp_path."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

#: the browser fixtures (browser, bounded) for every test file that drives Chromium
pytest_plugins = ("tests.browser",)

REPO = Path(__file__).resolve().parent.parent
DESCRIPTOR = REPO / "datapackage.json"

#: property tests: hypothesis' bounded 100 examples each (a test whose example is costly
#: asks for fewer with its own @settings), and no per-example deadline or too-slow check,
#: which a loaded 2-core machine would turn into flaky failures; in CI (CI set) the examples
#: are the same on every run, as hypothesis' own CI profile has them;
#: HYPOTHESIS_PROFILE=thorough runs ten times as many
settings.register_profile(
    "zonedata",
    max_examples=100,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", parent=settings.get_profile("zonedata"), max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "zonedata"))


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A fresh copy of the canonical package (descriptor, data/, the derived tables' SQL
    and the declared documents' templates) in a temp folder."""
    dest = tmp_path / "pkg"
    dest.mkdir()
    shutil.copy2(DESCRIPTOR, dest / "datapackage.json")
    shutil.copytree(REPO / "data", dest / "data")
    shutil.copytree(REPO / "derived", dest / "derived")
    shutil.copytree(REPO / "site", dest / "site")
    shutil.copytree(REPO / "docs" / "templates", dest / "docs" / "templates")
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


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (pyproject's addopts): a worker a core when the whole suite runs
    (``pytest``, ``pytest tests``); a run of chosen files or tests (``pytest
    tests/test_x.py -k ...``) stays in one process, which starts sooner and leaves the
    other cores of a shared machine to others. PYTEST_XDIST_AUTO_NUM_WORKERS or ``-n N``
    decide otherwise."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # (xdist reads it)
    suite = {REPO, REPO / "tests"}
    chosen = [a for a in config.args if Path(a.split("::")[0]).resolve() not in suite]
    return 0 if chosen else None


#: files whose module-scoped fixtures are costly to set up (a browser, several releases, a
#: release built by the command line): under pytest-xdist each runs whole on one worker,
#: so that the setup happens once; the other files' tests spread over every worker
SHARED_SETUP = frozenset({"test_site.py", "test_site_hostile.py", "test_diff.py", "test_readme.py"})


#: the longest tests (each 6 to 25 s alone, several times that on a loaded machine) and the
#: groups they belong to are handed out first, so that no worker runs one of them alone
#: at the end while the other waits
LONG_FIRST = (
    "test_one_reading.py::test_validate_release_and_load_agree_on_random_mutations",
    "test_site.py::test_every_page_loads_cleanly_from_file",
    "test_schemas.py::test_the_canonical_tables_pass_their_schemas",
    "test_row_types.py::test_mypy_accepts_row_types_usage_and_rejects_mistakes",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SHARED_SETUP:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
    rank = {name: i for i, name in enumerate(LONG_FIRST)}

    def first(item: pytest.Item) -> int:
        key = f"{item.path.name}::{item.name}"
        return rank.get(key, len(rank))

    if os.environ.get("PYTEST_XDIST_WORKER"):  # (in one process, a file's tests stay together)
        items.sort(key=first)  # stable: every other test keeps its place


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
