"""Layer 4 of ``zonedata validate``: semantic rules across rows and tables.

The schema layer has checked every cell on its own; the rules here check what only makes
sense across cells, rows and tables: currency conversions against their rates, growth
rates against plausible ranges, rank claims against the values they rank, dates against
today and each other, citations, preferred rows and disagreeing sources, and text cells
that a spreadsheet would run as formulas.

Each rule is a named, documented function in :mod:`zonedata.validate.rules`, vectorized
over whole columns and expressed as Pandera checks; see :data:`SEMANTIC_RULES`. A rule
whose tables or columns are missing (their files could not be read) is skipped; a rule
that fails unexpectedly becomes one ``internal-error`` problem, and the others still run.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from zonedata.model.descriptor import Package
from zonedata.problems import RULES, Problem, make
from zonedata.validate.memory import release_unused
from zonedata.validate.rules import REGISTRY, Context, SemanticRule
from zonedata.validate.tabledata import TableData

_CODE_ORDER = {code: i for i, code in enumerate(RULES)}

#: The semantic rules (name, codes, rationale = the function's docstring), in the order
#: their codes are declared in :data:`zonedata.problems.RULES`; they run in it.
SEMANTIC_RULES: tuple[SemanticRule, ...] = tuple(
    sorted(REGISTRY, key=lambda r: min(_CODE_ORDER[c] for c in r.codes))
)

__all__ = ["SEMANTIC_RULES", "ZONEDATA_ONLY", "check_semantics", "run_rule", "uses_zonedata_fields"]


def run_rule(rule: SemanticRule, ctx: Context) -> list[Problem]:
    """Run one rule; an unexpected exception becomes a single ``internal-error`` problem."""
    try:
        return rule.func(ctx)
    except Exception as e:  # a crashing rule is a bug: report it, never a traceback
        return [
            make(
                "internal-error",
                f"semantic rule {rule.name!r} failed unexpectedly and was skipped "
                f"({type(e).__name__}: {e}); the other rules ran. Please report this.",
            )
        ]


def check_semantics(
    data: Mapping[str, TableData],
    *,
    today: datetime.date | None = None,
    package: Package | None = None,
) -> list[Problem]:
    """Run every semantic rule over the tables that could be read.

    ``data`` maps table name to :class:`TableData` (a table whose file was broken is
    simply absent). ``today`` defaults to :func:`datetime.date.today`. ``package``, if
    given, tells the rules which tables should exist, so a rule that needs all of them
    (``source-unused``) can tell when one is missing; without it they infer this from
    foreign keys.
    """
    ctx = Context(
        data=data,
        today=today if today is not None else datetime.date.today(),
        expected=frozenset(package.table_names) if package is not None else None,
    )
    generic = package is not None and not uses_zonedata_fields(package)
    problems: list[Problem] = []
    for rule in SEMANTIC_RULES:
        if generic and set(rule.codes) <= ZONEDATA_ONLY:
            continue
        problems.extend(run_rule(rule, ctx))
        release_unused()  # what the rule used (see zonedata.validate.memory)
    return problems


#: Rules that would run on any table (every text cell, every date) and so hold another
#: package to zonedata's own conventions: they run only on a package that declares
#: zonedata's field properties (see :func:`uses_zonedata_fields`). The other rules need
#: zonedata's tables, fields or units, and do nothing where those are absent.
ZONEDATA_ONLY = frozenset({"formula-cell", "date-in-future"})


def uses_zonedata_fields(package: Package) -> bool:
    """Whether a field of the package has a zonedata property (``partialDate``, ``decimals``)."""
    return any(f.partial_date or f.decimals is not None for t in package.tables for f in t.fields)
