"""Rule declarations: the semantic rules a package asks for, in its ``zonedata:rules``.

A data package declares its semantic rules in ``datapackage.json`` under the custom
top-level property ``zonedata:rules``: a JSON array of objects, each naming a rule
``kind`` (see :mod:`zonedata.validate.kinds`), the problem ``code`` it reports, its
``severity`` (``error`` unless given), an optional ``message`` (the advice a problem
ends with) and the kind's parameters (``table``, ``fields``...)::

    "zonedata:rules": [
      {"kind": "range", "code": "share-out-of-range", "table": "answers",
       "fields": ["share_pct"], "min": 0, "max": 100}
    ]

The rules run in the order they are declared. A package without ``zonedata:rules`` has
no semantic rules. This module is plain Python (no pandas): it reads and checks the
declarations for the descriptor layer (:func:`check`) and gives the semantic layer the
valid ones (:func:`declarations`). A wrong declaration (not an object, an unknown kind or
property, a missing parameter, a value of the wrong type, a table or field that does not
exist, a field of the wrong type, a code that already means another rule or is one of
zonedata's own) is a ``rule-declaration`` problem located at the property in
``datapackage.json``; the declaration is then skipped. ``"zonedata:rules": null`` is one
too: it declares nothing, where an empty array would say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from zonedata.descriptor.package import Package, Table
from zonedata.limits import current_limits, env_of
from zonedata.problems import RULES, Problem, Severity, make
from zonedata.validate.kinds import KINDS
from zonedata.validate.kindspec import KindSpec, Param

#: The descriptor's custom property holding the declarations.
PROPERTY = "zonedata:rules"
#: A problem code: kebab-case, as ``zonedata validate`` reports it.
CODE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
#: Wrong declarations reported one by one; the rest are counted in one more problem.
MAX_REPORTED = 20
#: Text a message shows (a declared ``message``, label...): at most this many characters.
MAX_TEXT = 500
#: Entries of a ``year-ranges`` parameter, and the largest ``spread``: at most this many.
MAX_YEARS = 1000
#: The properties every declaration may have besides its kind's parameters.
COMMON = ("kind", "code", "severity", "message", "description")


@dataclass(frozen=True)
class Declaration:
    """One valid declaration: its position in ``zonedata:rules``, kind and parameters."""

    index: int
    kind: str
    code: str
    severity: Severity
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def output(self, name: str) -> tuple[str, Severity, str] | None:
        """The code, severity and message of the ``output``/``band`` parameter ``name``."""
        out = self.params.get(name)
        if not isinstance(out, dict):
            return None
        sev = cast(Severity, out.get("severity", "warning" if name == "warning" else "error"))
        return str(out["code"]), sev, str(out.get("message", ""))


# ---------------------------------------------------------------------------------------
# Reading and checking


def declarations(package: Package) -> list[Declaration]:
    """The package's valid declarations, in order (the wrong ones are left out)."""
    return read(package)[0]


def check(package: Package, display: str) -> list[Problem]:
    """The ``rule-declaration`` problems of the package's declarations, at their property."""
    return read(package, display)[1]


def read(package: Package, display: str | None = None) -> tuple[list[Declaration], list[Problem]]:
    """The package's valid declarations and a problem for each wrong one."""
    if PROPERTY not in package.descriptor:
        return [], []
    raw = package.descriptor[PROPERTY]
    if raw is None:
        what = (
            f"{PROPERTY} is null, which declares no rule: give an array of rule declarations "
            "(empty for none), or leave the property out"
        )
        return [], [_problem(display, (), what)]
    if not isinstance(raw, list):
        return [], [_problem(display, (), f"{PROPERTY} must be an array of rule declarations")]
    most = current_limits().max_rule_declarations
    if len(raw) > most:
        what = (
            f"{PROPERTY} holds {len(raw)} declarations, more than {most} "
            f"({env_of('max_rule_declarations')}); no rule runs"
        )
        return [], [_problem(display, (), what)]
    tables = {t.name: t for t in package.tables}
    found: list[Declaration] = []
    wrong: list[tuple[int, Failure]] = []
    for i, item in enumerate(raw):
        result = _declaration(i, item, tables)
        if isinstance(result, Declaration):
            found.append(result)
        else:
            wrong.append((i, result))
    found, clashes = _distinct_codes(found)
    wrong = sorted(wrong + clashes, key=lambda w: w[0])
    return found, _wrong(display, wrong)


def _wrong(display: str | None, wrong: list[tuple[int, Failure]]) -> list[Problem]:
    """A problem per wrong declaration, the first :data:`MAX_REPORTED` of them, and one
    problem counting the rest (each problem is located in the descriptor's text)."""
    problems = [
        _problem(display, (i, *where), f"rule declaration {i + 1}: {what}")
        for i, (where, what) in wrong[:MAX_REPORTED]
    ]
    if len(wrong) > MAX_REPORTED:
        i = wrong[MAX_REPORTED][0]
        more = len(wrong) - MAX_REPORTED
        problems.append(_problem(display, (i,), f"and {more} more wrong rule declarations"))
    return problems


def _problem(display: str | None, pointer: Sequence[str | int], what: str) -> Problem:
    at = "/".join([PROPERTY, *(str(p) for p in pointer)])
    return make(
        "rule-declaration",
        f"{what}, at property '/{at}'; see docs/validation.md for the rule kinds.",
        path=display,
    )


Failure = tuple[tuple[str | int, ...], str]


def _codes(d: Declaration) -> list[tuple[tuple[str | int, ...], str, tuple[str, str, str]]]:
    """Each code ``d`` reports: (where it is declared, the code, what it means: the kind,
    the parameter that declares it, the severity)."""
    out: list[tuple[tuple[str | int, ...], str, tuple[str, str, str]]] = [
        (("code",), d.code, (d.kind, "code", d.severity))
    ]
    for p in KINDS[d.kind].params:
        output = d.output(p.name) if p.type in ("output", "band") else None
        if output is not None:
            out.append(((p.name, "code"), output[0], (d.kind, p.name, output[1])))
    return out


def _distinct_codes(
    found: list[Declaration],
) -> tuple[list[Declaration], list[tuple[int, Failure]]]:
    """The declarations whose codes each mean one rule, and where the others are wrong.

    A code is one rule: every declaration that reports it (several tables may share a
    rule) has the same kind, declares it in the same parameter and with the same
    severity, and it is none of zonedata's own codes outside the semantic layer (a
    ``type-error`` of a rule would read as the schema's). A later declaration that breaks
    this is skipped, with the reason.
    """
    meaning: dict[str, tuple[int, tuple[str, str, str]]] = {}
    kept: list[Declaration] = []
    wrong: list[tuple[int, Failure]] = []
    for d in found:
        failure = _clash(d, mine := dict(meaning))  # (its own codes count too)
        if failure is not None:
            wrong.append((d.index, failure))
            continue
        meaning = mine
        kept.append(d)
    return kept, wrong


def _clash(d: Declaration, meaning: dict[str, tuple[int, tuple[str, str, str]]]) -> Failure | None:
    """Where ``d`` reports a code that means another rule in ``meaning`` (which gets
    ``d``'s codes), or one of zonedata's own; ``None`` if it does neither."""
    for where, code, means in _codes(d):
        own = RULES.get(code)
        if own is not None and own.layer != "semantic":
            return where, f"the code {code!r} is zonedata's own ({own.layer} layer: {own.title})"
        first = meaning.setdefault(code, (d.index, means))
        if first[1] != means:
            kind, param, severity = first[1]
            by = "this declaration" if first[0] == d.index else f"rule declaration {first[0] + 1}"
            return where, (
                f"the code {code!r} is already declared by {by} for another rule (kind "
                f"{kind!r}, in {param!r}, {severity}); one code is one rule: give this one its "
                "own code"
            )
    return None


def _declaration(i: int, item: object, tables: Mapping[str, Table]) -> Declaration | Failure:
    """The declaration, or where it is wrong and why."""
    if not isinstance(item, dict):
        return (), "must be an object"
    kind = item.get("kind")
    if not isinstance(kind, str):
        return ("kind",) if "kind" in item else (), "needs a 'kind' (a string)"
    spec = KINDS.get(kind)
    if spec is None:
        return ("kind",), f"unknown rule kind {_show(kind)}; known kinds: {', '.join(KINDS)}"
    failure = _common(item) or _params(spec, item, tables)
    if failure is not None:
        return failure
    return Declaration(
        index=i,
        kind=kind,
        code=item["code"],
        severity=item.get("severity", spec.severity),
        message=item.get("message", spec.advice),
        params={k: v for k, v in item.items() if k not in COMMON},
    )


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _common(item: Mapping[str, Any]) -> Failure | None:
    code = item.get("code")
    if not isinstance(code, str) or len(code) > 100 or not CODE.fullmatch(code):
        where: tuple[str | int, ...] = ("code",) if "code" in item else ()
        return where, "needs a 'code' in kebab-case (such as 'price-mismatch')"
    if item.get("severity", "error") not in ("error", "warning"):
        return ("severity",), "'severity' must be 'error' or 'warning'"
    for key in ("message", "description"):
        if not _text(item.get(key, "")):
            return (key,), f"{key!r} must be a string of at most {MAX_TEXT} characters"
    return None


def _params(spec: KindSpec, item: Mapping[str, Any], tables: Mapping[str, Table]) -> Failure | None:
    for key in item:
        if key not in COMMON and spec.param(key) is None:
            names = ", ".join(p.name for p in spec.params)
            return (key,), f"kind {spec.name!r} has no parameter {_show(key)} (it has: {names})"
    for p in spec.params:
        if p.name not in item:
            if p.required:
                return (), f"kind {spec.name!r} needs the parameter {p.name!r} ({p.doc})"
            continue
        what = _CHECKS[p.type](p, item[p.name], item, tables)
        if what is not None:
            where, why = what
            return (p.name, *where), f"{p.name!r} {why}"
    return None


Check = Callable[[Param, Any, Mapping[str, Any], Mapping[str, Table]], Failure | None]


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(v: object) -> bool:
    return isinstance(v, str) and len(v) <= MAX_TEXT


def _strings(v: object) -> bool:
    return isinstance(v, list) and bool(v) and all(_text(x) for x in v)


def _table(
    p: Param, v: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
) -> Failure | None:
    if not isinstance(v, str):
        return (), "must be a table name (a string)"
    return None if v in tables else ((), f"names no table of the package: {_show(v)}")


def _tables(
    p: Param, v: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
) -> Failure | None:
    if not _strings(v):
        return (), "must be a non-empty array of table names"
    for j, name in enumerate(v):
        if name not in tables:
            return (j,), f"names no table of the package: {_show(name)}"
    return None


def _field_in(
    p: Param, name: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
) -> str | None:
    """Why ``name`` is not a field of ``p``'s table of the right kind, else None."""
    named = item.get(p.of)
    table = tables.get(named) if isinstance(named, str) else None
    if table is None:
        return f"needs a valid {p.of!r}"
    if name not in table.field_names:
        return f"names no field of table {table.name!r}: {_show(name)}"
    kind = table.field(name).kind
    if p.kinds and kind not in p.kinds:
        return f"names field {name!r} of kind {kind!r}; it must be one of: {', '.join(p.kinds)}"
    return None


def _field(
    p: Param, v: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
) -> Failure | None:
    if not isinstance(v, str):
        return (), "must be a field name (a string)"
    why = _field_in(p, v, item, tables)
    return None if why is None else ((), why)


def _fields(
    p: Param, v: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
) -> Failure | None:
    if not _strings(v):
        return (), "must be a non-empty array of field names"
    for j, name in enumerate(v):
        why = _field_in(p, name, item, tables)
        if why is not None:
            return (j,), why
    return None


def _simple(test: Callable[[Any], bool], what: str) -> Check:
    def check(
        p: Param, v: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
    ) -> Failure | None:
        return None if test(v) else ((), f"must be {what}")

    return check


def _interval(
    p: Param, v: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
) -> Failure | None:
    if isinstance(v, list) and len(v) == 2 and all(_is_number(x) for x in v) and v[0] <= v[1]:
        return None
    return (), "must be [low, high], two numbers with low <= high"


def _output(
    p: Param, v: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
) -> Failure | None:
    allowed = {"code", "severity", "message"} | ({"min", "max"} if p.type == "band" else set())
    if not isinstance(v, dict):
        return (), f"must be an object with {', '.join(sorted(allowed))}"
    extra = [k for k in v if k not in allowed]
    if extra:
        return (
            extra[0],
        ), f"has no property {_show(extra[0])} (it has: {', '.join(sorted(allowed))})"
    failure = _common(v)
    if failure is not None:
        return failure
    if p.type == "band" and not all(_is_number(v.get(k)) for k in ("min", "max")):
        return (), "needs a 'min' and a 'max' (numbers)"
    return None


def _year_ranges(
    p: Param, v: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
) -> Failure | None:
    if not isinstance(v, list) or not v or len(v) > MAX_YEARS:
        return (), f"must be a non-empty array of at most {MAX_YEARS} {{year, low, high}}"
    for j, r in enumerate(v):
        ok = (
            isinstance(r, dict)
            and set(r) == {"year", "low", "high"}
            and isinstance(r["year"], int)
            and not isinstance(r["year"], bool)
            and _is_number(r["low"])
            and _is_number(r["high"])
            and r["low"] <= r["high"]
        )
        if not ok:
            return (j,), "entries must be {year (an integer), low, high (numbers, low <= high)}"
    return None


def _tolerances(
    p: Param, v: Any, item: Mapping[str, Any], tables: Mapping[str, Table]
) -> Failure | None:
    if not isinstance(v, list) or not v:
        return (), "must be a non-empty array of {field, relative or absolute, unit?}"
    number = Param(p.name, "field", p.doc, of=p.of, kinds=("number",))
    for j, t in enumerate(v):
        if not isinstance(t, dict) or not isinstance(t.get("field"), str):
            return (j,), "entries must be objects with a 'field'"
        modes = [m for m in ("relative", "absolute") if m in t]
        extra = [k for k in t if k not in ("field", "relative", "absolute", "unit")]
        if extra or len(modes) != 1 or not _is_number(t[modes[0]]):
            return (
                j,
            ), "entries need one of 'relative' or 'absolute' (a number), and may have 'unit'"
        if not 0 < t[modes[0]] <= 1 or abs(round(1 / t[modes[0]]) * t[modes[0]] - 1) > 1e-12:
            return (j, modes[0]), "tolerances must be 1/k for a whole number k (0.005, 0.1...)"
        if not _text(t.get("unit", "")):
            return (j, "unit"), f"must be a string of at most {MAX_TEXT} characters"
        why = _field_in(number, t["field"], item, tables)
        if why is not None:
            return (j, "field"), why
    return None


_CHECKS: dict[str, Check] = {
    "table": _table,
    "tables": _tables,
    "field": _field,
    "fields": _fields,
    "string": _simple(_text, f"a string of at most {MAX_TEXT} characters"),
    "strings": _simple(_strings, f"a non-empty array of strings (at most {MAX_TEXT} characters)"),
    "number": _simple(_is_number, "a number"),
    "integer": _simple(
        lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_YEARS,
        f"a whole number from 0 to {MAX_YEARS}",
    ),
    "boolean": _simple(lambda v: isinstance(v, bool), "true or false"),
    "interval": _interval,
    "output": _output,
    "band": _output,
    "year-ranges": _year_ranges,
    "tolerances": _tolerances,
}
