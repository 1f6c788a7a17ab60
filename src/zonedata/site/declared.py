"""A dataset's own site pages, declared in its descriptor (``zonedata:site``): read.

The declaration's shape (what may be declared, and where: see
:mod:`zonedata.descriptor.site_declaration`) is checked by the model layer, which ``validate``
reports from too; a declaration with an issue is refused here with the issue. Templates
are read from the declared folder only, as every declared file is read
(:mod:`zonedata.descriptor.declared_files`: regular files, no symlinks, bounded in number
and size), and run in the sandbox of :mod:`zonedata.site.render`. A declared file that is
missing is left out and reported; one that could run code (a script in an SVG) is refused.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zonedata.descriptor.declared_files import read_json, read_templates
from zonedata.descriptor.site_declaration import PROPERTY, SitePage, file_issues, parse
from zonedata.errors import InputError, SiteError
from zonedata.limits import current_limits
from zonedata.site.publish import read_published


@dataclass
class Declaration:
    """What a package declares for its site (empty: the generic site only)."""

    templates: dict[str, str] = field(default_factory=dict)
    home: str | None = None
    pages: list[SitePage] = field(default_factory=list)
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
    try:
        if isinstance(raw, str):
            raw = read_json(base, raw, PROPERTY)
        declared, issues = parse(raw, tables)
        if declared is None:
            raise SiteError(issues[0].text())
        templates = read_templates(base, declared.templates, (".html",), PROPERTY)
    except InputError as e:
        raise SiteError(str(e)) from None
    for issue in file_issues(declared, base):
        raise SiteError(issue.text())
    pages = list(declared.pages)
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
                f"{PROPERTY}.files: {source[:120]!r} holds a script, an event handler, a "
                "javascript: link or an address elsewhere: a picture or style sheet of the "
                "site runs no code and fetches nothing from another site"
            )
        out[target] = content
    return out


#: what makes an SVG picture or a style sheet run code in the site's origin (matched on
#: the decoded text, and on it again with blanks and control characters removed, which
#: browsers drop inside an address: ``java&#9;script:``); ``script`` with any namespace
_ACTIVE = re.compile(
    r"<\s*([a-z0-9_.-]+:)?script|\bon[a-z]+\s*=|javascript:|vbscript:|<\s*([a-z0-9_.-]+:)?foreignobject"
    r"|@import|expression\(|image-set\(|<!(doctype|entity)",
    re.I,
)
#: the addresses a picture or style sheet names: href, src, url()
_REFERENCE = re.compile(
    r"""\b(?:href|src)\s*=\s*(["'])(.*?)\1|url\(\s*(["']?)(.*?)\3\s*\)""", re.I | re.S
)
#: an address inside the site: a fragment, or a plain relative path (no scheme, no host,
#: no backslash, which a browser reads as a slash)
_LOCAL = re.compile(r"#[\w.:-]*|[A-Za-z0-9_][A-Za-z0-9_./-]*(#[\w.:-]*)?")
#: a CSS comment, removed before anything is looked at
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
#: a CSS escape: a backslash and up to six hex digits (and one blank), or any character
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)
#: blanks and control characters, which a browser drops inside an address
_BLANKS = re.compile(r"[\x00-\x20\x7f]+")


def _active(target: str, content: bytes) -> bool:
    """Whether a declared SVG or CSS file could run code or fetch from elsewhere (pictures
    in other formats cannot). Character references (``&#x61;``), CSS escapes (``\\69``)
    and comments are decoded or removed first, and every address it names (href, src,
    url()) must be a fragment or a plain relative path: an allowlist, not a list of the
    spellings of danger."""
    if not target.lower().endswith((".svg", ".css")):
        return False
    text = _CSS_COMMENT.sub("", _decode_css(html.unescape(content.decode("utf-8", "replace"))))
    if _ACTIVE.search(text) or _ACTIVE.search(_BLANKS.sub("", text)):
        return True
    for m in _REFERENCE.finditer(text):
        address = _BLANKS.sub("", m.group(2) if m.group(2) is not None else m.group(4) or "")
        if address and not _LOCAL.fullmatch(address):
            return True
    return False


def _decode_css(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) is None:
            return m.group(2)
        code = int(m.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"

    return _CSS_ESCAPE.sub(one, text)
