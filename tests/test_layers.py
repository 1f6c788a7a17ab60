"""Imports only go down: ground floor, the descriptor model, validate, release, then load, site and
docs, then the command line. A layer imports its own modules and those of the layers
below it, never one above (at module level or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "zonedata"

#: each package of the toolkit and its floor; a module of a floor imports floors <= its own
FLOORS = {
    "errors": 0,
    "problems": 0,
    "limits": 0,
    "names": 0,
    "paths": 0,
    "safeio": 0,
    "sqlguard": 0,
    "download": 0,
    "descriptor": 1,
    "validate": 2,
    "release": 3,
    "loading": 4,
    "site": 4,
    "docs": 4,
    "cli": 5,
}


#: upward imports known and not yet moved down: (module, what it imports). None today:
#: zonedata:docs' declaration is read in the descriptor layer
#: (descriptor/docs_declaration.py), as zonedata:site's is (descriptor/site_declaration.py).
KNOWN_UPWARD: set[tuple[str, str]] = set()


def floor_of(module: str) -> int | None:
    """The floor of ``zonedata.<part>...`` (None for the modules outside the layers)."""
    parts = module.split(".")
    if parts[0] != "zonedata" or len(parts) < 2:
        return None
    return FLOORS.get(parts[1])


def imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names if node.module == "zonedata"]
    return [m for m in found if m.startswith("zonedata.")]


MODULES = sorted(
    p
    for p in SRC.rglob("*.py")
    if floor_of("zonedata." + p.relative_to(SRC).parts[0].removesuffix(".py")) is not None
)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(SRC)) for p in MODULES])
def test_imports_only_go_down(path: Path) -> None:
    own = floor_of("zonedata." + path.relative_to(SRC).parts[0].removesuffix(".py"))
    assert own is not None
    rel = path.relative_to(SRC).as_posix()
    up = [
        m
        for m in imports(path)
        if (f := floor_of(m)) is not None and f > own and (rel, m) not in KNOWN_UPWARD
    ]
    assert up == [], f"{path.relative_to(SRC)} imports from a floor above its own: {up}"


def test_the_known_upward_imports_are_still_there() -> None:
    """Each exception above is still needed (remove it once its import goes)."""
    for rel, module in KNOWN_UPWARD:
        assert module in imports(SRC / rel), (rel, module)


def test_validate_does_not_import_the_site() -> None:
    for path in (SRC / "validate").rglob("*.py"):
        assert not [m for m in imports(path) if m.startswith("zonedata.site")], path
