"""A dataset's own site pages, as its descriptor declares them (``zonedata:site``): the shape.

The toolkit knows no dataset: a package that wants more than the generic pages declares
them, and the site renders only what it declares::

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
``{field}`` (a field of that table) replaced by the row's value.

:func:`parse` checks the declaration's shape, without reading a file: the JSON types, no
unknown property, every path plain relative (:func:`zonedata.paths.path_problem`), no
page or file at a path the generic site writes itself (:data:`RESERVED`), templates in
the declared folder, ``each`` naming a table of the package and every ``{field}`` one of
its fields, files that are pictures or style sheets (:data:`ASSET_TYPES`).
:func:`file_issues` checks that the folder and the templates it names are there (regular
files inside the package folder, reached through no symlink). ``validate`` reports each
issue at its place (rule ``site-invalid``); the site (:mod:`zonedata.site.declared`)
refuses a declaration with one, then reads the templates and files and renders them.

Only the standard library is used.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from zonedata.descriptor.declared_files import reach
from zonedata.errors import InputError, UnsafePathError
from zonedata.paths import inside, path_problem

PROPERTY = "zonedata:site"
#: paths the generic site writes itself: a declared page or file may not take them
RESERVED = ("index.html", "site.css", "site.js", "tables/", "downloads/", ".zonedata-site")
#: the types of the files a dataset declares for its own pages (a chart, a picture)
ASSET_TYPES = frozenset({".svg", ".png", ".jpg", ".jpeg", ".webp", ".css"})
#: the properties of the declaration, of a page and of a link
KEYS = ("templates", "home", "pages", "links", "files")
PAGE_KEYS = ("path", "template", "title", "nav", "each")
LINK_KEYS = ("href", "nav")
#: ``{field}`` in a page's path
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: the longest label of a navigation entry
MAX_LABEL = 80

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class SitePage:
    """One declared page (or one page per row of table ``each``)."""

    path: str
    template: str
    title: str = ""
    nav: str = ""
    each: str = ""


@dataclass(frozen=True)
class SiteDeclaration:
    """A declaration of good shape: the template folder, pages, links and files."""

    templates: str = ""
    home: str | None = None
    pages: tuple[SitePage, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    #: site path -> package path
    files: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Issue:
    """What is wrong with a declaration, and where in it (a JSON pointer below it)."""

    pointer: Pointer
    message: str

    def text(self) -> str:
        """``zonedata:site.pages[0].path: ...``: the issue in one line."""
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.pointer)
        return f"{PROPERTY}{where}: {self.message}"


def reference_problem(value: str) -> str | None:
    """Why the path of a JSON file holding the declaration is not a plain relative path."""
    return path_problem(value)


def is_reserved(path: str) -> bool:
    """Whether the generic site writes ``path`` itself (or a file in that folder), letter
    case aside: on a file system that ignores case, ``INDEX.html`` is ``index.html``."""
    folded = path.casefold()
    return any(folded == r or (r.endswith("/") and folded.startswith(r)) for r in RESERVED)


def is_asset(path: str) -> bool:
    """Whether ``path`` is a picture or a style sheet (:data:`ASSET_TYPES`), by its suffix."""
    return PurePosixPath(path).suffix.lower() in ASSET_TYPES


def parse(
    raw: object, tables: Mapping[str, Sequence[str]]
) -> tuple[SiteDeclaration | None, list[Issue]]:
    """The declaration, or ``None`` and every issue found (see the module).

    ``tables`` maps each table a page may be written for (the package's, and the derived
    tables it declares) to its fields.
    """
    issue = _Found()
    if not isinstance(raw, dict):
        issue((), "must be an object (or the path of a JSON file that holds one)")
        return None, issue.issues
    for key in raw:
        if key not in KEYS:
            issue((key,), f"is no property of a site declaration (it has: {', '.join(KEYS)})")
    folder = _plain(raw.get("templates", ""), ("templates",), issue, output=False)
    if folder is not None and folder.split("/", 1)[0] == "zonedata":
        issue(("templates",), "'zonedata' names the toolkit's own templates")
        folder = None
    home = raw.get("home")
    if home is not None:
        home = _template(home, ("home",), folder, issue)
    pages = tuple(
        page
        for i, p in enumerate(_objects(raw, "pages", issue))
        if (page := _page(p, ("pages", i), folder, tables, issue)) is not None
    )
    links = tuple(
        link
        for i, x in enumerate(_objects(raw, "links", issue))
        if (link := _link(x, ("links", i), issue)) is not None
    )
    files = _files(raw.get("files", {}), issue)
    if issue.issues:
        return None, issue.issues
    return SiteDeclaration(folder or "", home, pages, links, files), []


class _Found:
    """The issues found so far; called with (pointer, message) to add one."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def __call__(self, pointer: Pointer, message: str) -> None:
        self.issues.append(Issue(pointer, message))


def _plain(value: object, pointer: Pointer, issue: _Found, *, output: bool = True) -> str | None:
    """A plain relative path; for a path the site writes (``output``), not one of its own."""
    problem = path_problem(value)
    if problem is not None:
        issue(pointer, f"{str(value)[:120]!r} {problem}")
        return None
    assert isinstance(value, str)
    if output and is_reserved(value):
        issue(pointer, f"{value!r} is a path the generic site writes")
        return None
    return value


def _label(value: object, pointer: Pointer, issue: _Found) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LABEL:
        issue(pointer, f"must be a short text (1 to {MAX_LABEL} characters)")
        return None
    return value


def _objects(raw: dict[str, object], key: str, issue: _Found) -> list[dict[str, object]]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        issue((key,), "must be a list of objects")
        return []
    out = []
    for i, v in enumerate(value):
        if isinstance(v, dict):
            out.append(v)
        else:
            issue((key, i), "must be an object")
            out.append({})
    return out


def _template(value: object, pointer: Pointer, folder: str | None, issue: _Found) -> str | None:
    """A template: a plain relative ``.html`` path inside the declared folder."""
    path = _plain(value, pointer, issue, output=False)
    if path is None or folder is None:
        return path
    if not path.endswith(".html") or not path.startswith(f"{folder}/"):
        issue(pointer, f"{path[:120]!r} is not a declared template (an .html file in {folder!r})")
        return None
    return path


def _page(
    raw: dict[str, object],
    pointer: Pointer,
    folder: str | None,
    tables: Mapping[str, Sequence[str]],
    issue: _Found,
) -> SitePage | None:
    before = len(issue.issues)
    for key in raw:
        if key not in PAGE_KEYS:
            issue((*pointer, key), f"is no property of a page (it has: {', '.join(PAGE_KEYS)})")
    path = _plain(raw.get("path"), (*pointer, "path"), issue)
    if path is not None and not path.endswith(".html"):
        issue((*pointer, "path"), f"{path!r} must end in .html")
    template = _template(raw.get("template"), (*pointer, "template"), folder, issue)
    each = raw.get("each", "")
    if not isinstance(each, str):
        issue((*pointer, "each"), "must be the name of a table")
        each = ""
    elif each and each not in tables:
        issue((*pointer, "each"), f"{each[:80]!r} is not a table of the package")
    if path is not None and bool(each) != ("{" in path):
        issue(pointer, "a page per row needs 'each' and a '{field}' in its path")
    elif path is not None and each in tables:
        for name in PLACEHOLDER.findall(path):
            if name not in tables[each]:
                issue((*pointer, "path"), f"{{{name[:80]}}} is not a field of table {each!r}")
    title = raw.get("title", "")
    if not isinstance(title, str):
        issue((*pointer, "title"), "must be a text")
    nav = raw.get("nav", "")
    if nav:
        _label(nav, (*pointer, "nav"), issue)
    if len(issue.issues) > before or path is None or template is None:
        return None
    return SitePage(path, template, str(title), str(nav or ""), each)


def _link(raw: dict[str, object], pointer: Pointer, issue: _Found) -> tuple[str, str] | None:
    for key in raw:
        if key not in LINK_KEYS:
            issue((*pointer, key), f"is no property of a link (it has: {', '.join(LINK_KEYS)})")
    href = _plain(raw.get("href"), (*pointer, "href"), issue, output=False)
    label = _label(raw.get("nav"), (*pointer, "nav"), issue)
    return None if href is None or label is None else (href, label)


def _files(raw: object, issue: _Found) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        issue(("files",), "must map a site path to a package path")
        return ()
    out = []
    for target, source in sorted(raw.items()):
        where = ("files", target)
        if _plain(target, where, issue) is None:
            continue
        if path_problem(source) is not None or not is_asset(target) or not is_asset(str(source)):
            issue(
                where,
                f"{target!r} -> {str(source)[:120]!r}: only pictures and CSS "
                f"({', '.join(sorted(ASSET_TYPES))}), by a plain relative path",
            )
            continue
        out.append((target, str(source)))
    return tuple(out)


# --- the files the declaration names ----------------------------------------------------------


def file_issues(declaration: SiteDeclaration, base: Path) -> list[Issue]:
    """Whether the template folder and the templates the declaration names are there: a
    folder and regular files inside ``base``, reached through no symlink."""
    issues = []
    folder = declaration.templates
    why = _reach(base, folder, folder=True) if folder else None
    if why is not None:
        return [Issue(("templates",), f"{folder!r} is not a folder beside the descriptor: {why}")]
    named: list[tuple[Pointer, str]] = []
    if declaration.home is not None:
        named.append((("home",), declaration.home))
    named += [(("pages", i, "template"), p.template) for i, p in enumerate(declaration.pages)]
    for pointer, template in named:
        why = _reach(base, template, folder=False)
        if why is not None:
            issues.append(Issue(pointer, f"{template!r} is not a declared template: {why}"))
    return issues


def _reach(base: Path, rel: str, *, folder: bool) -> str | None:
    """Why ``base / rel`` is not a folder (or a regular file) reached through no symlink
    (the walk is :func:`zonedata.descriptor.declared_files.reach`'s)."""
    try:
        inside(base, rel, what="the package folder")
        target = reach(base, rel)
    except UnsafePathError as e:
        return f"it {e.problem}"
    except InputError as e:
        return f"it {e.detail.removesuffix('; refused')}"
    except (OSError, RuntimeError, ValueError) as e:
        return f"it cannot be resolved ({e})"
    mode = os.lstat(target).st_mode
    if folder and not stat.S_ISDIR(mode):
        return "it is not a folder"
    if not folder and not stat.S_ISREG(mode):
        return "it is not a regular file"
    return None
