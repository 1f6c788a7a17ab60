"""A dataset's own site pages, declared in its descriptor (``zonedata:site``): read.

The declaration's shape (what may be declared, and where: see
:mod:`zonedata.descriptor.site_declaration`) is checked by the model layer, which ``validate``
reports from too; a declaration with an issue is refused here with the issue. Templates
are read from the declared folder only (regular files, no symlinks, bounded in number and
size) and run in the sandbox of :mod:`zonedata.site.render`. A declared file that is
missing is left out and reported; one that could run code (a script in an SVG) is refused.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from zonedata.descriptor.site_declaration import PROPERTY, file_issues, parse
from zonedata.errors import SiteError
from zonedata.limits import current_limits
from zonedata.paths import path_problem
from zonedata.site.publish import read_published

#: at most this many template files are read from the declared folder
MAX_TEMPLATES = 200


@dataclass(frozen=True)
class DeclaredPage:
    """One declared page (or one page per row of table ``each``)."""

    path: str
    template: str
    title: str = ""
    nav: str = ""
    each: str = ""


@dataclass
class Declaration:
    """What a package declares for its site (empty: the generic site only)."""

    templates: dict[str, str] = field(default_factory=dict)
    home: str | None = None
    pages: list[DeclaredPage] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)


def read_declaration(
    descriptor: dict[str, Any],
    base: Path | None,
    tables: Mapping[str, Sequence[str]],
    left_out: list[str],
) -> Declaration:
    """The package's declaration, its templates and files read from ``base``.

    ``tables`` maps each table with rows on the site to its fields.
    """
    if PROPERTY not in descriptor:
        return Declaration()
    raw = descriptor[PROPERTY]
    if base is None:
        left_out.append(
            f"the pages the descriptor declares ({PROPERTY}): a release holds no templates; "
            "give its source package too (zonedata site --release REL PACKAGE)"
        )
        return Declaration()
    if isinstance(raw, str):
        raw = read_json(base, raw)
    declared, issues = parse(raw, tables)
    if declared is None:
        raise SiteError(issues[0].text())
    templates = read_templates(base, declared.templates)
    for issue in file_issues(declared, base):
        raise SiteError(issue.text())
    pages = [DeclaredPage(p.path, p.template, p.title, p.nav, p.each) for p in declared.pages]
    for p in pages:
        if p.template not in templates:
            raise SiteError(f"{PROPERTY}: {p.template!r} is not a declared template")
    return Declaration(
        templates,
        declared.home,
        pages,
        list(declared.links),
        _read_files(base, declared.files, left_out),
    )


def read_json(base: Path, rel: str, prop: str = PROPERTY) -> Any:
    """The declaration kept in a JSON file beside the descriptor (``site/site.json``) of
    the descriptor's property ``prop``."""
    problem = path_problem(rel)
    if problem is not None:
        raise SiteError(f"{prop}: {rel[:120]!r} {problem}")
    data = read_published(base, rel, current_limits().max_descriptor_bytes)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise SiteError(f"{prop}: {rel} is not valid JSON: {e}") from None


def read_templates(
    base: Path, folder: str, suffixes: tuple[str, ...] = (".html",), prop: str = PROPERTY
) -> dict[str, str]:
    """Every file below ``base/folder`` whose name ends in one of ``suffixes``, by its
    path (``site/stations.html``): regular UTF-8 files, no symlink followed, at most
    :data:`MAX_TEMPLATES` of them, each of at most ``max_descriptor_bytes``."""
    problem = path_problem(folder)
    if problem is not None:
        raise SiteError(f"{prop}.templates: {str(folder)[:120]!r} {problem}")
    if folder.split("/", 1)[0] == "zonedata":
        raise SiteError(f"{prop}.templates: 'zonedata' names the toolkit's own templates")
    root = base / folder
    if not os.path.isdir(root) or os.path.islink(root):
        raise SiteError(f"{prop}.templates: {folder!r} is not a folder beside the descriptor")
    limit = current_limits().max_descriptor_bytes
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):  # symlinked folders are not entered
        dirnames[:] = sorted(d for d in dirnames if not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            rel = PurePosixPath(Path(dirpath, name).relative_to(base).as_posix())
            if rel.suffix not in suffixes or stat.S_ISLNK(os.lstat(base / rel).st_mode):
                continue
            if len(out) >= MAX_TEMPLATES:
                raise SiteError(
                    f"{prop}.templates: more than {MAX_TEMPLATES} templates in {folder!r}"
                )
            try:
                out[str(rel)] = read_published(base, str(rel), limit).decode("utf-8")
            except UnicodeDecodeError:
                raise SiteError(f"template {str(rel)!r} is not UTF-8") from None
    return out


def _read_files(
    base: Path, declared: tuple[tuple[str, str], ...], left_out: list[str]
) -> dict[str, bytes]:
    """The declared pictures: site path -> bytes (a missing one is left out, reported)."""
    limit = current_limits().max_file_bytes
    out = {}
    for target, source in declared:
        if not os.path.lexists(base / source):
            left_out.append(f"{source}: declared for the site but missing; left out")
            continue
        content = read_published(base, source, limit)
        if _active(target, content):
            raise SiteError(
                f"{PROPERTY}.files: {source[:120]!r} holds a script, an event handler or a "
                "javascript: link: a picture or style sheet of the site runs no code"
            )
        out[target] = content
    return out


#: what makes an SVG picture or a style sheet run code in the site's origin
_ACTIVE = re.compile(rb"<\s*script|\bon[a-z]+\s*=|javascript\s*:|<\s*foreignobject|@import", re.I)


def _active(target: str, content: bytes) -> bool:
    """Whether a declared SVG or CSS file could run code (pictures in other formats cannot)."""
    return target.lower().endswith((".svg", ".css")) and _ACTIVE.search(content) is not None
