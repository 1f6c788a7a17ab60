"""The Data Package profile check runs in a child process (validate/profile.py).

The child must find exactly what the check finds in the parent, the parent must fall back
to checking itself whenever the child cannot run or says something unexpected, a child
that hangs must be stopped, and the child must import nothing from the working folder.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import run_cli, run_python
from zonedata.problems import Problem
from zonedata.validate import profile


def _broken(repo: Path) -> dict[str, Any]:
    """The canonical descriptor with profile errors (frictionless reports the first)."""
    d = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    d["resources"][0]["name"] = 5
    d["resources"][2]["schema"]["fields"][0]["type"] = "float"
    d["licenses"] = "CC-BY-4.0"
    return d


def test_the_child_finds_what_the_parent_finds(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profile, "_frictionless_imported", lambda: False)
    d = _broken(repo)
    want = profile.check_profile(d, "pkg/datapackage.json")
    check = profile.start(d, "pkg/datapackage.json")
    assert check._child is not None  # this machine can run the child

    def no_fallback(*args: object) -> None:
        raise AssertionError("the parent checked the descriptor itself")

    monkeypatch.setattr(profile, "check_profile", no_fallback)
    got = check.result()
    assert got == want
    assert got and all(p.code == "descriptor-profile" for p in got)
    assert any(p.table is not None for p in got)  # an error owned by its resource


def test_no_child_once_frictionless_is_imported(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profile, "_frictionless_imported", lambda: True)
    d = _broken(repo)
    check = profile.start(d, "p")
    assert check._child is None
    assert check.result() == profile.check_profile(d, "p")


def test_start_leaves_the_descriptor_alone(repo: Path) -> None:
    d = _broken(repo)
    before = copy.deepcopy(d)
    profile.start(d, "x").result()
    assert d == before


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"executable": "/nonexistent/python"}, id="no-python"),
        pytest.param({"child": "print('not json')"}, id="garbage"),
        pytest.param({"child": 'print(\'[{"code": 1, "evil": 2}]\')'}, id="wrong-record"),
        pytest.param({"child": "print('{}')"}, id="not-a-list"),
        pytest.param({"child": "import sys; print('[]'); sys.exit(3)"}, id="exit-3"),
        pytest.param({"child": "import os; os.close(0)"}, id="closes-stdin"),
    ],
)
def test_the_parent_checks_itself_when_the_child_fails(
    repo: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, str]
) -> None:
    monkeypatch.setattr(profile, "_frictionless_imported", lambda: False)
    if "executable" in change:
        monkeypatch.setattr(profile.sys, "executable", change["executable"])
    else:
        monkeypatch.setattr(profile, "_CHILD", change["child"])
    d = _broken(repo)
    assert profile.start(d, "p").result() == profile.check_profile(d, "p")


@pytest.mark.parametrize(
    ("executable", "frozen"),
    [
        ("/usr/bin/sleep", False),
        ("/usr/bin/uwsgi", False),
        ("", False),
        (profile.sys.executable, True),
    ],
)
def test_no_child_unless_the_executable_is_a_python(
    repo: Path, monkeypatch: pytest.MonkeyPatch, executable: str, frozen: bool
) -> None:
    """A frozen application's or an embedding program's ``sys.executable`` is not a Python
    that would run the child: the parent checks the descriptor itself."""
    monkeypatch.setattr(profile, "_frictionless_imported", lambda: False)
    monkeypatch.setattr(profile.sys, "executable", executable)
    if frozen:
        monkeypatch.setattr(profile.sys, "frozen", True, raising=False)
    d = _broken(repo)
    check = profile.start(d, "p")
    assert check._child is None
    assert check.result() == profile.check_profile(d, "p")


def test_a_child_that_hangs_is_stopped(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profile, "_frictionless_imported", lambda: False)
    monkeypatch.setattr(profile, "_CHILD", "import time; time.sleep(60)")
    monkeypatch.setattr(profile, "TIMEOUT", 0.5)
    check = profile.start(_broken(repo), "p")
    child = check._child
    assert child is not None
    assert check.result() == [
        Problem(
            code="descriptor-profile",
            severity="error",
            message="The Data Package profile check did not finish in 0 s.",
            path="p",
        )
    ]
    assert child.poll() is not None  # killed, not left behind


def test_validate_imports_neither_frictionless_nor_pandera_on_the_canonical_data() -> None:
    """What keeps the canonical package's validation within 1.5x frictionless' time
    (benchmarks/README.md): the profile check's imports happen in the child, and no rule's
    verdict on valid data is in doubt, so Pandera is not needed."""
    out = run_python(
        "import sys; from zonedata.validate import validate_package\n"
        "r = validate_package()\n"
        "print(len(r.errors), 'frictionless' in sys.modules, 'pandera' in sys.modules)"
    )
    assert out.code == 0, out.output
    assert out.stdout.split() == ["0", "False", "False"]


def test_the_child_imports_nothing_from_the_working_folder(repo: Path, tmp_path: Path) -> None:
    """A stranger's package may hold a ``frictionless.py``: validating it from its own
    folder must not run it (the child is an isolated Python)."""
    marker = tmp_path / "ran"
    # (only frictionless: the parent, run as ``python -m``, has the folder on its path
    # too, as any Python program run so has, but never imports frictionless here)
    (tmp_path / "frictionless.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    out = run_cli("validate", str(repo / "datapackage.json"), "--format", "json", cwd=tmp_path)
    assert not marker.exists()
    assert out.code == 0, out.output
    report = json.loads(out.stdout)
    assert report["summary"]["errors"] == 0


_NO_FETCH = """
import json, sys
seen = []
def hook(event, args):
    if event == "socket.getaddrinfo" or (event == "open" and "myprofile" in str(args[0])):
        seen.append((event, str(args[0])))
sys.addaudithook(hook)
from zonedata.validate.profile import check_profile
d = json.load(open(sys.argv[1]))
d["profile"] = sys.argv[2]
d["resources"][0]["profile"] = sys.argv[3]
for p in check_profile(d, "datapackage.json"):
    print(p.table, p.message)
print("seen", seen)
"""


@pytest.mark.parametrize(
    ("package", "resource", "expected"),
    [
        pytest.param(
            "https://example.invalid/profile.json",
            "myprofile.json",
            [
                "None profile 'https://example.invalid/profile.json' is not one zonedata "
                "checks against (data-package, tabular-data-package, or their published "
                "URLs): frictionless would fetch it or read it as a JSON Schema, and a "
                "descriptor may not make validation open files or connections",
                "sources profile 'myprofile.json' is not one zonedata checks against "
                "(data-resource, tabular-data-resource, or their published URLs): "
                "frictionless would fetch it or read it as a JSON Schema, and a descriptor "
                "may not make validation open files or connections",
                "seen []",
            ],
            id="url-and-path",
        ),
        pytest.param(
            "https://specs.frictionlessdata.io/schemas/data-package.json",
            "https://specs.frictionlessdata.io/schemas/tabular-data-resource.json",
            ["seen []"],
            id="published-urls-are-names",
        ),
    ],
)
def test_a_profile_is_never_fetched_or_read(
    repo: Path, tmp_path: Path, package: str, resource: str, expected: list[str]
) -> None:
    """frictionless fetches a profile given by URL (the published ones too) and reads one
    given by path from the working folder; zonedata refuses the ones it does not know and
    checks the published ones by name."""
    (tmp_path / "myprofile.json").write_text('{"required": ["zzz"]}', encoding="utf-8")
    out = run_python(
        _NO_FETCH.replace("sys.argv[1]", repr(str(repo / "datapackage.json")))
        .replace("sys.argv[2]", repr(package))
        .replace("sys.argv[3]", repr(resource)),
        cwd=tmp_path,
    )
    assert out.code == 0, out.output
    assert out.stdout.splitlines() == expected
