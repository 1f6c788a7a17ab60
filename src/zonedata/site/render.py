"""The site's pages, rendered from Jinja2 templates with autoescaping, in a sandbox.

The toolkit's templates (``zonedata/...``, shipped in ``zonedata/site/templates``) make
the pages of any package: home, tables, one page per table. A dataset's own templates
(see :mod:`zonedata.site.declared`) run in the same :class:`SandboxedEnvironment` and see
plain data only (strings, numbers, lists and dicts): the package's metadata and its
tables as lists of rows. No code here escapes by hand: the engine does. Nothing reads the
clock or the environment: same input, same bytes.
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
    from jinja2.sandbox import SandboxedEnvironment


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


#: the longest text or list a template may make by multiplying or raising to a power
MAX_PRODUCT = 1_000_000


def _bounded_sandbox_class() -> type[SandboxedEnvironment]:
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class BoundedSandbox(SandboxedEnvironment):
        """Jinja's sandbox, with ``*`` and ``**`` bounded: a declared template cannot make
        a text of gigabytes (``'x' * 3000000000``) or a number of millions of digits."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and abs(right) > 1000:
                raise SecurityError(f"the power {right} is too large")
            if operator == "*":
                size = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
                count = [x for x in (left, right) if isinstance(x, int)]
                if size and count and size[0] * abs(count[0]) > MAX_PRODUCT:
                    raise SecurityError(f"a product longer than {MAX_PRODUCT:,} items")
            return super().call_binop(context, operator, left, right)

    return BoundedSandbox


def environment(
    templates: dict[str, str],
    *,
    autoescape: bool = True,
    finalize: Callable[[Any], Any] | None = None,
) -> SandboxedEnvironment:
    """The sandbox: the toolkit's templates under ``zonedata/``, the dataset's by path.

    HTML pages escape every printed value for HTML (``autoescape``); a document of
    another kind (:mod:`zonedata.docs.declared`) gives its own ``finalize``, which every
    printed value goes through instead.
    """
    from jinja2 import ChoiceLoader, DictLoader, PackageLoader, PrefixLoader

    _BoundedSandbox = _bounded_sandbox_class()

    loader = ChoiceLoader(
        [
            PrefixLoader({"zonedata": PackageLoader("zonedata.site", "templates")}),
            DictLoader(templates),
        ]
    )
    env = _BoundedSandbox(
        loader=loader,
        autoescape=autoescape,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
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
    env: SandboxedEnvironment,
    name: str,
    context: dict[str, Any],
    error: type[ZonedataError] = SiteError,
) -> str:
    """Template ``name`` rendered with ``context``; a template that fails, or breaks a
    bound of the sandbox, raises ``error`` naming the template and line."""
    from jinja2 import TemplateError

    try:
        return env.get_template(name).render(context)
    except (OverflowError, MemoryError, RecursionError) as e:  # the sandbox's own bounds
        raise error(f"template {name}: {type(e).__name__}: {e}") from None
    except TemplateError as e:
        line = getattr(e, "lineno", None)
        where = f"{getattr(e, 'name', None) or name}" + (f", line {line}" if line else "")
        raise error(f"template {where}: {e}") from None
