"""The sandbox a package's templates run in: Jinja2's, bounded in time and size.

Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment` keeps a template away from Python's
internals, but not from work or memory: two nested loops run for hours, and
``"x"|center(10**8)`` asks for a text of 100 MB. :class:`BoundedSandbox` adds, from
:class:`zonedata.limits.Limits`:

- a **deadline** (``max_render_seconds``) for each page or document, checked against the
  monotonic clock wherever a template does something: every loop iteration (each
  ``{% for %}`` iterates through :meth:`BoundedSandbox.bounded_iter`), every call,
  attribute or item, operator and filter, every piece of output;
- a bound on **widths and repeats** (``max_template_items``): the count of ``*``, the
  width of ``center``, ``ljust``, ``zfill``, ``indent``, of a ``%`` or ``format`` field,
  the items of a list a template makes (``*``, ``+``, ``append``, ``extend``...);
- a bound on **texts** (``max_render_chars``): each page or document, and every text a
  template makes (``~``, ``+``, ``join``, ``replace``, ``wordwrap``, ``indent``, a
  printed list...), checked before it is made wherever its size can be known first.

What breaks a bound raises :class:`TemplateBoundError` (a Jinja2 ``SecurityError``),
which the renderer reports as the template's error.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from string import Formatter
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace, pass_eval_context
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, soft_str

from zonedata.limits import Limits, current_limits, env_of

#: the largest ``**`` exponent (also bounded by the size of its result)
MAX_EXPONENT = 1000
#: the largest ``indent`` of ``|tojson``
MAX_JSON_INDENT = 16
#: how often (in loop iterations or output pieces) the clock is read
_EVERY = 64
#: all the texts one rendering makes add up to at most this many times
#: ``ZONEDATA_MAX_RENDER_CHARS``, and its output to at most this many times
#: ``ZONEDATA_MAX_TEMPLATE_ITEMS`` pieces
MADE_FACTOR = 4


class TemplateBoundError(SecurityError):
    """A template broke a bound of the sandbox (time, width, size)."""


def _is_text(value: object) -> bool:
    return isinstance(value, str | bytes)


def _is_seq(value: object) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def printed_size(value: object, limit: int) -> int:
    """An upper estimate of ``len(str(value))``, counted no further than past ``limit``
    (a list that holds the same long text a million times is not printed to be measured)."""
    total = 0
    stack = [(value, True)]
    while stack and total <= limit:
        item, top = stack.pop()
        if _is_text(item):
            # inside a list a text is printed as its repr: up to 4 characters for one
            total += len(item) if top else 4 * len(item) + 3  # type: ignore[arg-type]
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            stack.extend((x, False) for x in item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            stack.extend((x, False) for kv in item.items() for x in kv)
        elif isinstance(item, Namespace):
            total += 16
            stack.append((item._Namespace__attrs, False))  # type: ignore[attr-defined]
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        else:
            total += 64
    return total


class _Bounding(NodeTransformer):
    """Every loop iterates through the sandbox, every ``~`` joins through it."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _env_call("bounded_iter", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _env_call("bounded_concat", list(node.nodes), node.lineno)


def _env_call(method: str, args: list[Any], lineno: int) -> nodes.Call:
    attr = nodes.EnvironmentAttribute(method, lineno=lineno)
    return nodes.Call(attr, args, [], None, None, lineno=lineno)


_PERCENT = re.compile(
    r"%(?:\([^)]*\))?[#0 +\-]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?[a-zA-Z%]"
)


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, bounded in time and in the size of what a template makes.

    ``markup`` is the class of markup texts: :class:`~markupsafe.Markup` for HTML and XML;
    a Markdown document gives its own (whose ``escape`` escapes for Markdown), and every
    markup text a template touches is made one of it first.
    """

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(
        self, *args: Any, limits: Limits | None = None, markup: type[Markup] = Markup, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.limits = limits if limits is not None else current_limits()
        self.markup = markup
        self.deadline: float | None = None
        #: characters printed (``{{ }}``) in this rendering so far, in macros and blocks too
        self.printed = 0
        self.made = 0
        self._ticks = 0
        self.globals.pop("lipsum", None)  # (it makes any length of text, out of reach)
        self.concat = self._bounded_concat  # type: ignore[method-assign,assignment]

    # --- rendering ------------------------------------------------------------------------

    def render_bounded(self, name: str, context: dict[str, Any]) -> str:
        """Template ``name`` rendered with ``context`` within every bound."""
        self._bound_filters()
        self.deadline = time.monotonic() + self.limits.max_render_seconds
        self.printed = 0
        self.made = 0
        try:
            return str(self.get_template(name).render(context))
        finally:
            self.deadline = None

    def get_template(self, *args: Any, **kwargs: Any) -> Any:
        # (an include, an import or an extends: templates that include each other twice
        # make a tree of renderings that need not call, print or loop)
        self.check_time()
        return super().get_template(*args, **kwargs)

    def select_template(self, *args: Any, **kwargs: Any) -> Any:
        self.check_time()
        return super().select_template(*args, **kwargs)

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> Any:
        return super()._generate(_Bounding().visit(source), *args, **kwargs)  # type: ignore[misc]

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TemplateBoundError(
                f"rendering took longer than {self.limits.max_render_seconds:g} s "
                f"(the bound {env_of('max_render_seconds')})"
            )

    def _tick(self) -> None:
        self._ticks += 1
        if not self._ticks % _EVERY:
            self.check_time()

    # --- the bounds -----------------------------------------------------------------------

    def check_count(self, n: int, what: str = "a width or count") -> None:
        """``n``: a width, a repeat, a number of items a template asks for."""
        bound = self.limits.max_template_items
        if abs(n) > bound:
            raise TemplateBoundError(
                f"{what} of {n:,} is more than {bound:,} (the bound {env_of('max_template_items')})"
            )

    def check_text(self, n: int, what: str = "a text") -> None:
        """``n``: the length of a text about to be made."""
        bound = self.limits.max_render_chars
        if n > bound:
            raise TemplateBoundError(
                f"{what} of {n:,} characters or more is longer than {bound:,} "
                f"(the bound {env_of('max_render_chars')})"
            )

    def check_made(self, value: Any) -> Any:
        """``value`` (a result) if it is not a text longer than the bound."""
        if _is_text(value):
            self.check_text(len(value))
            self._count_made(len(value))
        return value

    def _count_made(self, n: int) -> None:
        """All the texts one rendering makes, kept or not, are at most :data:`MADE_FACTOR`
        times the bound of one text: texts kept in a dict or list a template grows
        (``d.update({i: s ~ i})``) are each short, but not all of them together."""
        self.made += n
        bound = MADE_FACTOR * self.limits.max_render_chars
        if self.made > bound:
            raise TemplateBoundError(
                f"the texts the template made add up to more than {bound:,} characters "
                f"({MADE_FACTOR} times the bound {env_of('max_render_chars')})"
            )

    def check_printed(self, value: Any) -> None:
        """``value`` is about to become text (printed, joined, formatted)."""
        if not isinstance(value, str | int | float | bool | None):
            limit = self.limits.max_render_chars
            self.check_text(printed_size(value, limit), "the text of a value")

    # --- the hooks of Jinja's sandbox -------------------------------------------------------

    def bounded_iter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """What a ``{% for %}`` iterates over, the clock checked as it goes."""
        check = self.check_time
        check()
        for i, item in enumerate(iterable):
            if not i % _EVERY:
                check()
            yield item

    @pass_eval_context
    def bounded_concat(self, eval_ctx: EvalContext, *parts: Any) -> str:
        """``a ~ b``: as Jinja joins them, its length checked first."""
        self.check_time()
        for p in parts:
            self.check_printed(p)
        texts = [soft_str(self._markup(p)) for p in parts]
        self.check_text(sum(map(len, texts)))
        self._count_made(sum(map(len, texts)))
        if eval_ctx.autoescape and any(hasattr(t, "__html__") for t in texts):
            return self.markup("").join(texts)
        return "".join(map(str, texts))

    def _bounded_concat(self, pieces: Iterable[str]) -> str:
        """Jinja's ``concat``, which makes a page, a macro's or a block's output."""
        bound, size, out = self.limits.max_render_chars, 0, []
        most = MADE_FACTOR * self.limits.max_template_items
        for piece in pieces:
            size += len(piece)
            if size > bound:
                self.check_text(size, "the output")
            self._tick()
            out.append(piece)
            if len(out) > most:  # (empty pieces too: a loop that prints "" grows the list)
                raise TemplateBoundError(
                    f"the output has more than {most:,} pieces ({MADE_FACTOR} times the "
                    f"bound {env_of('max_template_items')})"
                )
        return "".join(out)

    def _markup(self, value: Any) -> Any:
        if self.markup is not Markup and type(value) is Markup:
            return self.markup(value)
        return value

    def getattr(self, obj: Any, attribute: str) -> Any:
        self._tick()
        return super().getattr(self._markup(obj), attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self._tick()
        return super().getitem(self._markup(obj), argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.check_time()
        args = __self._before_call(__obj, args, kwargs)
        return __self.check_made(super().call(__context, __obj, *args, **kwargs))

    def _before_call(self, obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The checks a method of a text or list needs before it runs (its ``args``,
        a generator made a list)."""
        owner: Any = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if isinstance(owner, list) and name in ("append", "insert", "extend") and args:
            if name == "extend":  # (a generator over the list itself would never end)
                args = (list(args[0]), *args[1:])
            added = len(args[0]) if name == "extend" else 1
            self.check_count(len(owner) + added, "a list")
        if not _is_text(owner):
            return args
        arg = _Args(args, kwargs)
        if name in ("center", "ljust", "rjust", "zfill"):
            width = _int(arg.get(0, "width"))
            if width is not None:
                self.check_count(width, "a width")
        elif name == "expandtabs":
            tab = _int(arg.get(0, "tabsize", 8)) or 0
            self.check_count(tab, "a tab size")
            self.check_text(
                len(owner) + owner.count("\t" if isinstance(owner, str) else b"\t") * tab
            )
        elif name == "join" and args:
            items = list(args[0])
            for item in items:
                self.check_printed(item)
            size = sum(len(x) for x in items if _is_text(x))
            self.check_text(size + len(owner) * max(len(items) - 1, 0))
            args = (items, *args[1:])
        elif name == "replace" and len(args) >= 2:
            self._check_replace(owner, args[0], args[1], _int(arg.get(2, "count", -1)))
        elif name == "translate" and args and isinstance(args[0], dict):
            longest = max((len(v) for v in args[0].values() if _is_text(v)), default=1)
            self.check_text(len(owner) * max(longest, 1))
        return args

    def _check_replace(self, s: Any, old: Any, new: Any, count: int | None) -> None:
        if not (_is_text(s) and _is_text(new)):
            return
        # (an empty text is found before every character and at the end)
        found = s.count(old) if _is_text(old) and len(old) else len(s) + 1
        if count is not None and count >= 0:
            found = min(found, count)
        self.check_text(len(s) + found * max(len(new) - (len(old) if _is_text(old) else 0), 0))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.check_time()
        left, right = self._markup(left), self._markup(right)
        if operator == "**":
            self._check_power(left, right)
        elif operator == "*":
            self._check_product(left, right)
        elif operator == "+" and _is_seq(left) and _is_seq(right):
            if isinstance(left, list | tuple):
                self.check_count(len(left) + len(right), "a list")
            else:
                self.check_text(len(left) + len(right))
        elif operator == "%" and _is_text(left):
            self.check_format_percent(left, right)
        return self.check_made(super().call_binop(context, operator, left, right))

    def _check_power(self, left: Any, right: Any) -> None:
        if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise TemplateBoundError(f"the power {right} is too large")
        base, exp = _int(left), _int(right)
        if base is not None and exp is not None and exp > 0:
            self.check_count(base.bit_length() * exp, "a number of bits")

    def _check_product(self, left: Any, right: Any) -> None:
        a, b = _int(left), _int(right)
        if a is not None and b is not None:
            self.check_count(a.bit_length() + b.bit_length(), "a number of bits")
            return
        size = [len(x) for x in (left, right) if _is_seq(x)]
        count = [x for x in (a, b) if x is not None]
        if size and count and size[0] * abs(count[0]) > self.limits.max_template_items:
            raise TemplateBoundError(
                f"a product longer than {self.limits.max_template_items:,} items "
                f"(the bound {env_of('max_template_items')})"
            )

    def check_format_percent(self, fmt: Any, values: Any) -> None:
        """``fmt % values``: no field wider than the bound, no value printed too long."""
        text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
        star = False
        for m in _PERCENT.finditer(text):
            for group in ("width", "precision"):
                spec = m.group(group)
                if spec == "*":
                    star = True
                elif spec:
                    self.check_count(int(spec), "a field width")
        items = values if isinstance(values, tuple) else (values,)
        if star:
            for v in items:
                if _int(v) is not None:
                    self.check_count(v, "a field width")
        for v in items if not isinstance(values, dict) else values.values():
            self.check_printed(v)

    def check_format_braces(self, fmt: str, args: Iterable[Any], kwargs: dict[str, Any]) -> None:
        """``fmt.format(...)``: no field wider than the bound, no value printed too long."""
        nested = False
        for _, _, spec, _ in Formatter().parse(fmt):
            if spec:
                nested = nested or "{" in spec
                for digits in re.findall(r"\d+", spec):
                    self.check_count(int(digits), "a field width")
        values = [*args, *kwargs.values()]
        for v in values:
            if nested and _int(v) is not None:
                self.check_count(v, "a field width")
            self.check_printed(v)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt, is_map = value.__self__, value.__name__ == "format_map"

        @functools.wraps(wrapper)
        def bounded(*args: Any, **kwargs: Any) -> str:
            mapping = args[0] if is_map and args and isinstance(args[0], dict) else kwargs
            self.check_format_braces(fmt, () if is_map else args, mapping)
            return self.check_made(wrapper(*args, **kwargs))  # type: ignore[no-any-return]

        return bounded

    # --- filters --------------------------------------------------------------------------

    def _bound_filters(self) -> None:
        for name, func in list(self.filters.items()):
            if not getattr(func, "_zonedata_bounded", False):
                self.filters[name] = self._bounded_filter(name, func)

    def _bounded_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        check = _FILTER_CHECKS.get(name)
        skip = 1 if hasattr(func, "jinja_pass_arg") else 0

        @functools.wraps(func)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            self.check_time()
            if len(args) > skip:
                args = (*args[:skip], self._markup(args[skip]), *args[skip + 1 :])
                if check is not None:
                    args = (*args[:skip], *check(self, _Args(args[skip:], kwargs)))
            return self.check_made(func(*args, **kwargs))

        bounded._zonedata_bounded = True  # type: ignore[attr-defined]
        return bounded


class _Args:
    """A filter's or method's arguments, by position or keyword."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args, self.kwargs = args, kwargs

    def get(self, i: int, name: str, default: Any = None) -> Any:
        if len(self.args) > i:
            return self.args[i]
        return self.kwargs.get(name, default)


# Checks of filters (the value is argument 0), before they run: each returns the
# arguments to run the filter with (an iterable made a list, to be measured first).
_FilterCheck = Callable[[BoundedSandbox, _Args], tuple[Any, ...]]


def _check_counts(*params: tuple[int, str]) -> _FilterCheck:
    def check(env: BoundedSandbox, a: _Args) -> tuple[Any, ...]:
        for i, name in params:
            n = _int(a.get(i, name))
            if n is not None:
                env.check_count(n, f"a {name}")
        return a.args

    return check


def _check_printed(env: BoundedSandbox, a: _Args) -> tuple[Any, ...]:
    env.check_printed(a.args[0])
    return a.args


def _check_indent(env: BoundedSandbox, a: _Args) -> tuple[Any, ...]:
    s, width = a.args[0], a.get(1, "width", 4)
    env.check_printed(s)
    w = len(width) if isinstance(width, str) else _int(width) or 0
    env.check_count(w, "an indent")
    text = str(s)
    env.check_text(len(text) + (text.count("\n") + 1) * w)
    return a.args


def _check_wordwrap(env: BoundedSandbox, a: _Args) -> tuple[Any, ...]:
    s, wrap = str(a.args[0]), a.get(3, "wrapstring") or "\n"
    env.check_count(_int(a.get(1, "width", 79)) or 0, "a width")
    env.check_text(len(s) + (len(s) + 1) * len(str(wrap)))
    return a.args


def _check_join(env: BoundedSandbox, a: _Args) -> tuple[Any, ...]:
    items, sep = list(a.args[0]), a.get(1, "d", "")
    for item in items:
        env.check_printed(item)
    size = sum(len(x) for x in items if _is_text(x)) if a.get(2, "attribute") is None else 0
    env.check_text(size + len(str(sep)) * max(len(items) - 1, 0))
    return (items, *a.args[1:])


def _check_replace(env: BoundedSandbox, a: _Args) -> tuple[Any, ...]:
    if len(a.args) >= 3:
        s, old, new = (str(x) for x in a.args[:3])
        env._check_replace(s, old, new, _int(a.get(3, "count")))
    return a.args


def _check_format(env: BoundedSandbox, a: _Args) -> tuple[Any, ...]:
    env.check_format_percent(str(a.args[0]), a.kwargs or tuple(a.args[1:]))
    return a.args


def _check_tojson(env: BoundedSandbox, a: _Args) -> tuple[Any, ...]:
    indent = a.get(1, "indent")
    width = len(indent) if isinstance(indent, str) else _int(indent) or 0
    if width > MAX_JSON_INDENT:
        raise TemplateBoundError(f"tojson's indent is at most {MAX_JSON_INDENT}")
    env.check_printed(a.args[0])
    return a.args


def _check_sum(env: BoundedSandbox, a: _Args) -> tuple[Any, ...]:
    items, start = list(a.args[0]), a.get(2, "start", 0)
    if _is_seq(start):  # a sum of lists or texts: as long as all of them
        env.check_count(len(start) + sum(len(x) for x in items if _is_seq(x)), "a list")
    return (items, *a.args[1:])


_FILTER_CHECKS: dict[str, _FilterCheck] = {
    "center": _check_counts((1, "width")),
    "truncate": _check_counts((1, "length"), (4, "leeway")),
    "batch": _check_counts((1, "linecount")),
    "slice": _check_counts((1, "slices")),
    "urlize": _check_counts((1, "trim_url_limit")),
    "round": _check_counts((1, "precision")),
    "indent": _check_indent,
    "wordwrap": _check_wordwrap,
    "join": _check_join,
    "replace": _check_replace,
    "format": _check_format,
    "tojson": _check_tojson,
    "sum": _check_sum,
    "string": _check_printed,
    "pprint": _check_printed,
    "e": _check_printed,
    "escape": _check_printed,
    "forceescape": _check_printed,
}


def bounded_finalize(
    env: BoundedSandbox, finalize: Callable[[Any], Any] | None
) -> Callable[[Any], Any]:
    """Every printed value measured (and the clock read) before it becomes text."""

    def bounded(value: Any) -> Any:
        env._tick()
        env.check_printed(value)
        out = value if finalize is None else finalize(value)
        # (a macro's or a block's output is gathered before it is joined: counting what
        # is printed bounds it as it grows)
        env.printed += len(out) if isinstance(out, str) else 32
        if env.printed > env.limits.max_render_chars:
            env.check_text(env.printed, "the output")
        return out

    return bounded


def json_text(value: Any, indent: int | str | None = None) -> str:
    """``value`` as JSON text, as Jinja's ``tojson`` writes it (keys sorted)."""
    return json.dumps(value, sort_keys=True, indent=indent)
