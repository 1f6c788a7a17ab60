"""The site's pages, rendered from Jinja2 templates with autoescaping, in a sandbox.

The toolkit's templates (``zonedata/...``, shipped in ``zonedata/site/templates``) make
the pages of any package: home, tables, one page per table. A dataset's own templates
(see :mod:`zonedata.site.declared`) run in the same sandbox (Jinja2's, bounded in time
and size: :mod:`zonedata.site.sandbox`) and see plain data only (strings, numbers, lists
and dicts): the package's metadata and its tables as lists of rows. No code here escapes
by hand: the engine does. Only the render deadline reads the clock, and nothing reads
the environment but the bounds: same input, same bytes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from zonedata.errors import SiteError, ZonedataError
from zonedata.names import file_stem
from zonedata.site.context import ContextBuilder
from zonedata.site.declared import Declaration
from zonedata.site.inputs import SiteInput

if TYPE_CHECKING:
    from markupsafe import Markup

    from zonedata.site.sandbox import BoundedSandbox


HTTP_URL = re.compile(r"https?://[^\s\"'<>\\]+")


def is_http(url: object) -> bool:
    """Whether ``url`` is an http(s) address (only those become links)."""
    return isinstance(url, str) and HTTP_URL.fullmatch(url) is not None


def isolate(value: object) -> str:
    """Text wrapped in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE (for attributes)."""
    return f"\u2068{'' if value is None else value}\u2069"


def thousands(n: object) -> str:
    return f"{int(n):,}" if isinstance(n, int) else str(n)  # type: ignore[call-overload]


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 / 1024:.1f} MiB"


def index_by(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    """Rows by the value of ``key`` (the last row wins a duplicate)."""
    return {row.get(key, ""): row for row in rows}


def _natural(value: object) -> tuple[int, int, str]:
    text = "" if value is None else str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def sort_natural(rows: list[dict[str, str]], *keys: str) -> list[dict[str, str]]:
    """Rows sorted by ``keys``, numbers (digits only) as numbers and before any text."""
    return sorted(rows, key=lambda row: tuple(_natural(row.get(k)) for k in keys))


def most_common(values: Iterable[str]) -> str:
    """The value that occurs most often (the first seen among equals), or ""."""
    counts = Counter(values)
    return counts.most_common(1)[0][0] if counts else ""


def environment(
    templates: dict[str, str],
    *,
    autoescape: bool = True,
    finalize: Callable[[Any], Any] | None = None,
    markup: type[Markup] | None = None,
) -> BoundedSandbox:
    """The sandbox (:class:`zonedata.site.sandbox.BoundedSandbox`: bounded in time and
    size): the toolkit's templates under ``zonedata/``, the dataset's by path.

    HTML pages escape every printed value for HTML (``autoescape``); a document of
    another kind (:mod:`zonedata.docs.declared`) gives its own ``finalize``, which every
    printed value goes through instead, and its own class of ``markup`` (whose
    ``escape`` escapes for its kind).
    """
    from jinja2 import ChoiceLoader, DictLoader, PackageLoader, PrefixLoader
    from markupsafe import Markup

    from zonedata.site.sandbox import BoundedSandbox, bounded_finalize

    loader = ChoiceLoader(
        [
            PrefixLoader({"zonedata": PackageLoader("zonedata.site", "templates")}),
            DictLoader(templates),
        ]
    )
    env = BoundedSandbox(
        loader=loader,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        markup=markup or Markup,
    )
    env.finalize = bounded_finalize(env, finalize)
    env.filters.update(
        isolate=isolate,
        sort_natural=sort_natural,
        most_common=most_common,
        thousands=thousands,
        human_size=human_size,
        index_by=index_by,
        stem=file_stem,
    )
    env.tests["http"] = is_http
    return env


def render_pages(data: SiteInput, declared: Declaration) -> dict[str, str]:
    """Every page of the site: path relative to the site root -> HTML."""
    env = environment(declared.templates)
    ctx = ContextBuilder(data, declared)
    pages = {"index.html": render_template(env, declared.home or "zonedata/home.html", ctx.home())}
    pages["tables/index.html"] = render_template(
        env, "zonedata/tables.html", ctx.page("tables/index.html")
    )
    for t in data.package.tables:
        path = ctx.table_pages[t.name]
        pages[path] = render_template(env, "zonedata/table.html", ctx.table(t))
    for page in declared.pages:
        for path, row in ctx.declared_paths(page):
            if path in pages:
                raise SiteError(f"declared page {path!r} is written twice (a clash of two pages)")
            pages[path] = render_template(env, page.template, ctx.declared(page, path, row))
    return pages


def render_template(
    env: BoundedSandbox,
    name: str,
    context: dict[str, Any],
    error: type[ZonedataError] = SiteError,
) -> str:
    """Template ``name`` rendered with ``context``; a template that fails, or breaks a
    bound of the sandbox, raises ``error`` naming the template and line."""
    from jinja2 import TemplateError

    try:
        return env.render_bounded(name, context)
    except (ArithmeticError, LookupError, TypeError, ValueError, MemoryError, RecursionError) as e:
        # what a template's own code raises (1/0, a text of too many digits...), or the
        # interpreter's last bounds
        raise error(f"template {name}: {type(e).__name__}: {e}") from None
    except TemplateError as e:
        line = getattr(e, "lineno", None)
        where = f"{getattr(e, 'name', None) or name}" + (f", line {line}" if line else "")
        raise error(f"template {where}: {e}") from None
