"""The "How to cite" facts: a package's CITATION.cff (read with PyYAML), else its descriptor.

Every value is returned as plain text; the templates escape it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zonedata.errors import SiteError
from zonedata.limits import current_limits
from zonedata.site.publish import read_published

CFF = "CITATION.cff"
#: at most this many authors are named in the citation line
MAX_AUTHORS = 1000


def read_cff(base: Path | None) -> str | None:
    """The text of ``CITATION.cff`` beside the package, or None (none, or no folder)."""
    if base is None or not (base / CFF).is_file():
        return None
    data = read_published(base, CFF, current_limits().max_descriptor_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SiteError(f"{CFF} is not UTF-8: {e}") from None


def parse_cff(text: str) -> dict[str, Any]:
    """The CFF mapping (PyYAML's safe loader: CFF files may use anchors and aliases, which
    it builds as shared values, never copies), or SiteError when it is not a YAML mapping
    or nests deeper than a parser can follow."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        raise SiteError(f"{CFF} is not valid YAML: {e}") from None
    except RecursionError:
        raise SiteError(f"{CFF} nests its values too deeply to be read") from None
    if not isinstance(data, dict):
        raise SiteError(f"{CFF} does not hold a YAML mapping")
    return data


def _str(value: object) -> str:
    """A text field's value; anything else (a list, a mapping, an alias bomb) is ignored."""
    return value if isinstance(value, str) else ""


def _author(a: object) -> str:
    if not isinstance(a, dict):
        return ""
    return _str(a.get("name")) or _str(a.get("family-names"))


def citation(descriptor: dict[str, Any], version: str, cff_text: str | None) -> dict[str, Any]:
    """Authors, title, version, licence and message of the citation line, as plain text."""
    cff = parse_cff(cff_text) if cff_text else {}
    authors = [n for n in map(_author, _list(cff.get("authors"))[:MAX_AUTHORS]) if n]
    if not authors:
        contributors = _list(descriptor.get("contributors"))
        authors = [t for c in contributors if isinstance(c, dict) and (t := _str(c.get("title")))]
    licences = [
        n
        for x in _list(descriptor.get("licenses"))
        if isinstance(x, dict) and (n := _str(x.get("name")))
    ]
    return {
        "authors": authors,
        "title": _str(cff.get("title"))
        or _str(descriptor.get("title"))
        or _str(descriptor.get("name")),
        "version": version or _str(cff.get("version")),
        "license": _str(cff.get("license")) or ", ".join(licences),
        "message": _str(cff.get("message")),
        "text": cff_text or "",
    }


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
