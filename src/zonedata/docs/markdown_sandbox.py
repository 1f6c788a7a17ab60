"""What the sandbox of a declared Markdown document changes: escaping for Markdown.

A ``.md`` document (:mod:`zonedata.docs.declared`) runs in the site's sandbox with
autoescaping, so that markup (a macro's output, ``|md_code``, ``|safe``) is printed as it
is; every other printed value goes through :func:`markdown`, which escapes it for
Markdown (:func:`zonedata.docs.md_escape`). Jinja's own markup is HTML's, so here:

- markup is :class:`MarkdownMarkup`, whose ``escape`` is Markdown's: text joined to markup
  (``~``, ``+``, ``%``, ``|format``, ``|replace``, ``.join``...) is escaped for Markdown;
- ``|e``, ``|escape``, ``|forceescape`` and ``|tojson`` escape for Markdown (Jinja's make
  HTML markup, which Markdown would print raw: a link, a cell split by a pipe);
- ``|urlize`` and ``|xmlattr``, which make HTML, are refused;
- ``|join`` escapes each item that is not markup.

Only ``|md_code`` and ``|safe`` make raw output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from jinja2.exceptions import SecurityError
from markupsafe import Markup

from zonedata.docs import md_code, md_escape


class MarkdownMarkup(Markup):
    """Markup of a Markdown document: what is joined to it is escaped for Markdown."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any, /) -> MarkdownMarkup:
        if hasattr(s, "__html__"):
            return cls(s.__html__())
        return cls(md_escape(str(_blank_none(s))))


def markdown(value: object) -> Markup:
    """A printed value, escaped for Markdown unless it is markup (``|md_code``, ``|safe``,
    a macro's output)."""
    if isinstance(value, Markup):
        return value
    return MarkdownMarkup.escape(value)


def _blank_none(value: object) -> object:
    return "" if value is None else value


def md_code_filter(value: object) -> Markup:
    """``|md_code``: an inline code span."""
    return MarkdownMarkup(md_code(str(_blank_none(value))))


def safe(value: object) -> Markup:
    """``|safe``: the value printed raw, deliberately."""
    return MarkdownMarkup(str(_blank_none(value)))


def escape(value: object) -> Markup:
    """``|e``, ``|escape``: escaped for Markdown (markup is kept)."""
    return markdown(value)


def forceescape(value: object) -> Markup:
    """``|forceescape``: escaped for Markdown, markup too."""
    return MarkdownMarkup(md_escape(str(_blank_none(value))))


def tojson(value: object, indent: int | str | None = None) -> Markup:
    """``|tojson``: the JSON text (keys sorted, as Jinja's), escaped for Markdown."""
    from zonedata.site.sandbox import json_text

    return forceescape(json_text(value, indent))


def join(items: Iterable[Any], d: object = "") -> Markup:
    """``|join``: the items and the separator escaped unless they are markup."""
    return MarkdownMarkup(str(markdown(d)).join(str(markdown(item)) for item in items))


def _refused(name: str) -> Callable[..., Markup]:
    def refuse(*args: object, **kwargs: object) -> Markup:
        raise SecurityError(
            f"|{name} makes HTML, which a Markdown document does not take (print the value, "
            f"which is escaped, or mark deliberate markup with |safe)"
        )

    return refuse


#: the filters of a Markdown document's sandbox that are not Jinja's
FILTERS: dict[str, Callable[..., Markup]] = {
    "md_code": md_code_filter,
    "join": join,
    "safe": safe,
    "e": escape,
    "escape": escape,
    "forceescape": forceescape,
    "tojson": tojson,
    "urlize": _refused("urlize"),
    "xmlattr": _refused("xmlattr"),
}
