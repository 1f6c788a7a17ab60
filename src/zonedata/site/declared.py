"""A dataset's own site pages, declared in its descriptor (``zonedata:site``).

The toolkit knows no dataset: a package that wants more than the generic pages declares
them, and the toolkit renders only what it declares::

    "zonedata:site": {              # or the path of a JSON file that holds this object
      "templates": "site",                      # a folder beside the descriptor
      "home": "site/home.html",                 # optional: replaces (extends) the home page
      "pages": [                                # optional: extra pages
        {"path": "stations/index.html", "template": "site/stations.html", "nav": "Stations"},
        {"path": "stations/{station_id}.html", "template": "site/station.html", "each": "stations"}
      ],
      "links": [{"href": "tables/sources.html", "nav": "Sources"}],   # optional: navigation
      "files": {"map.svg": "docs/map.svg", "extra.css": "site/extra.css"}  # optional: pictures
                                                # and stylesheets (linked from every page)
    }

A page with ``each`` is written once per row of that table, at its ``path`` with each
``{field}`` replaced by the row's value (its :func:`zonedata.names.file_stem`). Templates
are read from the declared folder only (regular files, no symlinks, bounded in number and
size) and run in the sandbox of :mod:`zonedata.site.render`. A declared file that is
missing is left out and reported; a declaration that is malformed is refused.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from zonedata.errors import SiteError
from zonedata.limits import current_limits
from zonedata.paths import is_plain_relative, path_problem
from zonedata.site.publish import ASSET_TYPES, read_published, type_allowed

PROPERTY = "zonedata:site"
#: at most this many template files are read from the declared folder
MAX_TEMPLATES = 200
#: paths the generic site writes itself: a declared page or file may not take them
RESERVED = ("index.html", "site.css", "site.js", "tables/", "downloads/", ".zonedata-site")


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
    descriptor: dict[str, Any], base: Path | None, tables: list[str], left_out: list[str]
) -> Declaration:
    """The package's declaration, its templates and files read from ``base``."""
    raw = descriptor.get(PROPERTY)
    if raw is None:
        return Declaration()
    if base is None:
        left_out.append(
            f"the pages the descriptor declares ({PROPERTY}): a release holds no templates; "
            "give its source package too (zonedata site --release REL PACKAGE)"
        )
        return Declaration()
    if isinstance(raw, str):
        raw = read_json(base, raw)
    if not isinstance(raw, dict):
        raise SiteError(f"{PROPERTY} must be an object")
    folder = _plain(raw.get("templates", ""), "templates", output=False)
    templates = read_templates(base, folder)
    pages = [_page(p, i, templates, tables) for i, p in enumerate(_list(raw, "pages"))]
    home = raw.get("home")
    if home is not None and home not in templates:
        raise SiteError(f"{PROPERTY}.home: {home!r} is not a template in {folder!r}")
    links = [
        (_plain(x.get("href"), "links[].href"), _label(x.get("nav"), "links[].nav"))
        for x in _list(raw, "links")
    ]
    return Declaration(
        templates, home, pages, links, _read_files(base, raw.get("files", {}), left_out)
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


def _list(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SiteError(f"{PROPERTY}.{key} must be a list of objects")
    return value


def _plain(value: object, where: str, *, output: bool = True) -> str:
    """A plain relative path; for a path the site writes (``output``), not one of its own."""
    problem = path_problem(value)
    if problem is not None:
        raise SiteError(f"{PROPERTY}{'.' + where if where else ''}: {str(value)[:120]!r} {problem}")
    assert isinstance(value, str)
    own = any(value == r or (r.endswith("/") and value.startswith(r)) for r in RESERVED)
    if output and own and where != "links[].href":
        raise SiteError(f"{PROPERTY}.{where}: {value!r} is a path the generic site writes")
    return value


def _label(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 80:
        raise SiteError(f"{PROPERTY}.{where} must be a short text")
    return value


def _page(
    raw: dict[str, Any], i: int, templates: dict[str, str], tables: list[str]
) -> DeclaredPage:
    where = f"pages[{i}]"
    path = _plain(raw.get("path"), f"{where}.path")
    if not path.endswith(".html"):
        raise SiteError(f"{PROPERTY}.{where}.path: {path!r} must end in .html")
    template = raw.get("template")
    if template not in templates:
        raise SiteError(
            f"{PROPERTY}.{where}.template: {str(template)[:120]!r} is not a declared template"
        )
    each = raw.get("each", "")
    if each and each not in tables:
        raise SiteError(
            f"{PROPERTY}.{where}.each: {str(each)[:80]!r} is not a table of the package"
        )
    if bool(each) != ("{" in path):
        raise SiteError(
            f"{PROPERTY}.{where}: a page per row needs 'each' and a '{{field}}' in its path"
        )
    nav = raw.get("nav", "")
    return DeclaredPage(
        path,
        str(template),
        str(raw.get("title", "")),
        _label(nav, f"{where}.nav") if nav else "",
        str(each),
    )


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


def _read_files(base: Path, raw: object, left_out: list[str]) -> dict[str, bytes]:
    """The declared pictures: site path -> bytes (a missing one is left out, reported)."""
    if not isinstance(raw, dict):
        raise SiteError(f"{PROPERTY}.files must map a site path to a package path")
    limit = current_limits().max_file_bytes
    out = {}
    for target, source in sorted(raw.items()):
        _plain(target, "files")
        if (
            not is_plain_relative(source)
            or not type_allowed(target, ASSET_TYPES)
            or not type_allowed(str(source), ASSET_TYPES)
        ):
            raise SiteError(
                f"{PROPERTY}.files: {target!r} -> {str(source)[:120]!r}: only pictures and CSS ({', '.join(sorted(ASSET_TYPES))})"
            )
        if not os.path.lexists(base / source):
            left_out.append(f"{source}: declared for the site but missing; left out")
            continue
        content = read_published(base, source, limit)
        if _active(target, content):
            raise SiteError(
                f"{PROPERTY}.files: {str(source)[:120]!r} holds a script, an event handler or a "
                "javascript: link: a picture or style sheet of the site runs no code"
            )
        out[target] = content
    return out


#: what makes an SVG picture or a style sheet run code in the site's origin
_ACTIVE = re.compile(rb"<\s*script|\bon[a-z]+\s*=|javascript\s*:|<\s*foreignobject|@import", re.I)


def _active(target: str, content: bytes) -> bool:
    """Whether a declared SVG or CSS file could run code (pictures in other formats cannot)."""
    return target.lower().endswith((".svg", ".css")) and _ACTIVE.search(content) is not None
