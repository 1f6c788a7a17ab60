"""The import graph of src/zonedata: imports only go down, and a function-local import of
our own modules has a reason.

Layers, from the ground floor up (CONTRIBUTING.md, "Code layout"): the ground floor
(errors, problems, limits, names, paths, safe IO, downloads), ``descriptor``,
``validate``, ``release``, then loading, the site, the docs and the generated modules,
and the command line with the package's ``__init__`` on top. A module may import its own
layer and the layers below it, never one above.

A function-local import of one of our modules is allowed where it keeps a heavy library
(pandas, pyarrow, pandera, frictionless, Jinja2...) off the paths that do not need it: the
imported module pulls in such a library at import time and the importing module does not;
and in the command line, whose commands import what they run. Anything else is a plain
import at the top of the module. The graph is read statically (``ast``), so the test runs
in a fraction of a second.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "zonedata"
HEAVY = {"pandas", "pyarrow", "pandera", "frictionless", "numpy", "jinja2", "polars", "duckdb"}
#: layer of each top-level module or subpackage of zonedata (the ground floor is 0)
LAYERS = {
    "errors": 0,
    "problems": 0,
    "limits": 0,
    "names": 0,
    "paths": 0,
    "safeio": 0,
    "download": 0,
    "sqlguard": 0,
    "jsonschemas": 0,
    "descriptor": 1,
    "validate": 2,
    "release": 3,
    "loading": 4,
    "site": 4,
    "docs": 4,
    "pandera_schemas": 4,
    "pandera_models": 4,
    "row_types": 4,
    "cli": 5,
    "__init__": 5,
    "__main__": 5,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


#: function-local imports kept for the time they save on a path that does not need them,
#: though the module imported pulls in no heavy library: (importer, imported) -> why
DEFERRED = {
    ("zonedata.loading.api", "zonedata.loading.release"): (
        "tables(), describe() and load() of the bundled data read no release: the release "
        "reader (zip, hashing, downloads) is imported by the calls that read one"
    ),
    ("zonedata.loading.api", "zonedata.pandera_schemas"): (
        "only load(..., validate=True) checks a frame: its schemas and rules are imported then"
    ),
}

MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS["__init__"] if len(parts) == 1 else LAYERS[parts[1]]


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    """The modules an import statement imports (``from x import y``: ``x.y`` if a module)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:  # relative: resolve against the importing package
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    return subs or [base]


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


@cache
def imports(module: str) -> tuple[list[str], list[tuple[str, int]]]:
    """(imported at import time, [(imported inside a function, line)])."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top: list[str] = []
    local: list[tuple[str, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue  # never imported at run time
            if isinstance(child, ast.Import | ast.ImportFrom):
                for t in _targets(child, module):
                    (local.append((t, child.lineno)) if in_function else top.append(t))
            is_function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, in_function or is_function)

    visit(tree, False)
    return top, local


@cache
def weight(module: str) -> frozenset[str]:
    """The heavy libraries importing ``module`` pulls in: through its import-time imports
    and those of its parent packages, followed through our own modules (cycles included)."""
    heavy: set[str] = set()
    seen = {module}
    todo = [module]
    while todo:
        current = todo.pop()
        parts = current.split(".")
        parents = [".".join(parts[:i]) for i in range(2, len(parts))]
        for target in [*imports(current)[0], *parents]:
            own = _own(target)
            if own is None:
                heavy |= {target.split(".")[0]} & HEAVY
            elif own not in seen:
                seen.add(own)
                todo.append(own)
    return frozenset(heavy)


def _own(target: str) -> str | None:
    """The zonedata module an import names (None for another library)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target if target.startswith("zonedata") else None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_go_down(module: str) -> None:
    top, local = imports(module)
    upward = [
        t
        for t in [*top, *(t for t, _ in local)]
        if (own := _own(t)) is not None and layer(own) > layer(module)
    ]
    assert not upward, f"{module} (layer {layer(module)}) imports from above: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) < LAYERS["cli"]))
def test_a_local_import_of_our_own_keeps_a_heavy_library_away(module: str) -> None:
    unexplained = [
        f"line {line}: {own}"
        for target, line in imports(module)[1]
        if (own := _own(target)) is not None
        and not (weight(own) - weight(module))
        and (module, own) not in DEFERRED
    ]
    assert not unexplained, (
        f"{module} imports inside functions what it could import at its top "
        f"(no heavy library is kept away): {unexplained}"
    )


def test_the_weights_are_those_python_sees() -> None:
    """The static reading agrees with the interpreter on a light and a heavy module."""
    assert weight("zonedata.loading.api") == frozenset()
    assert "pandas" in weight("zonedata.validate.schema_checks")
    assert "pyarrow" in weight("zonedata.descriptor.arrow")
