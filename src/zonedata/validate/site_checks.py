"""The site pages a package declares (``zonedata:site``), checked where they are declared.

The declaration is parsed by :mod:`zonedata.descriptor.site_declaration`, as the site parses
it: its shape (JSON types, properties, plain relative paths, no path the generic site
writes, ``each`` naming a table and ``{field}`` one of its fields, pictures and style
sheets only) and the template folder and templates it names. Each issue is a located
``site-invalid`` problem: at its property in the descriptor, or in the JSON file the
descriptor names for the declaration (``"zonedata:site": "site/site.json"``, read as the
site reads it: :func:`zonedata.descriptor.declared_files.read_json`). What
depends on the rows (a ``{field}`` value that cannot name a page) or on rendering a
template is the site's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from zonedata import paths, safeio
from zonedata.descriptor import files as descriptor_file
from zonedata.descriptor.declared_files import read_json
from zonedata.descriptor.site_declaration import (
    PROPERTY,
    Issue,
    Pointer,
    file_issues,
    parse,
    reference_problem,
)
from zonedata.errors import InputError, UnsafePathError
from zonedata.limits import current_limits
from zonedata.problems import Problem, make


def check_site(
    descriptor: dict[str, Any],
    tables: Mapping[str, Sequence[str]],
    path: Path,
    display: str,
) -> list[Problem]:
    """Every ``site-invalid`` problem of the declaration (none if there is none).

    ``tables`` maps each table a page may be written for to its fields; ``path`` is the
    descriptor, shown as ``display``.
    """
    if PROPERTY not in descriptor:
        return []
    raw = descriptor[PROPERTY]
    base = path.parent
    here = _Place(path, display, (PROPERTY,))
    if isinstance(raw, str):
        problem = reference_problem(raw)
        file: Path | None = None
        if problem is None:
            try:
                file = paths.inside(base, raw, what="the package folder")
                raw = read_json(base, raw, PROPERTY)
            except UnsafePathError as e:
                problem = e.problem
            except InputError as e:
                problem = e.detail
        if problem is not None or file is None:
            return [here.problem(Issue((), f"{str(raw)[:120]!r} {problem}"))]
        shown = _shown(file, base, display)
        here = _Place(file, shown, ())
    declared, issues = parse(raw, tables)
    if declared is not None:
        issues = file_issues(declared, base)
    return [here.problem(i) for i in issues]


def _shown(file: Path, base: Path, display: str) -> str:
    """How the declaration's JSON file is shown: beside the descriptor shown as ``display``."""
    head = display.rsplit("/", 1)[0] + "/" if "/" in display else ""
    try:
        return head + file.relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(file)


class _Place:
    """Where a declaration is written: a file (shown so) and the pointer to it there."""

    def __init__(self, path: Path, shown: str, prefix: Pointer) -> None:
        self.path, self.shown, self.prefix = path, shown, prefix
        self._text: str | None = None

    def problem(self, issue: Issue) -> Problem:
        pointer = (*self.prefix, *issue.pointer)
        at = "/".join(str(p) for p in pointer) or "(the top)"
        found = self._locate(pointer)
        return make(
            "site-invalid",
            f"Site declaration at property '{at}': {issue.message}.",
            path=self.shown,
            line=found[0] if found else None,
            column=found[1] if found else None,
        )

    def _locate(self, pointer: Pointer) -> tuple[int, int] | None:
        if self._text is None:
            try:
                limit = current_limits().max_descriptor_bytes
                self._text = safeio.read_regular(self.path, limit).decode("utf-8-sig")
            except (InputError, UnicodeDecodeError, ValueError, OSError):
                self._text = ""
        while self._text:  # the value, else the closest enclosing one
            found = descriptor_file.locate(self._text, self.path, pointer)
            if found is not None or not pointer:
                return found
            pointer = pointer[:-1]
        return None
