"""Layer 4 of ``zonedata validate``: semantic rules across rows and tables, as declared.

The schema layer has checked every cell on its own; the rules here check what only makes
sense across cells, rows and tables: conversions against their rates, values against
plausible ranges, rank claims against the values they rank, dates against today and
each other, rows that need or cite other rows, flagged rows and disagreeing
alternatives, and text cells that a spreadsheet would run as formulas.

A package declares the rules it wants in its descriptor's ``zonedata:rules`` (see
:mod:`zonedata.validate.declarations`); each declaration names a rule kind
(:mod:`zonedata.validate.kinds`) implemented in :mod:`zonedata.validate.rules`, vectorized
over whole columns and expressed as Pandera checks. The declarations run in the order
given. A package without declarations has no semantic rules. A rule whose tables or
columns are missing (their files could not be read) is skipped; a rule that fails
unexpectedly becomes one ``internal-error`` problem, and the others still run.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from zonedata.descriptor.package import Package
from zonedata.problems import Problem, make
from zonedata.validate.declarations import Declaration, declarations
from zonedata.validate.memory import release_unused
from zonedata.validate.rules import IMPLEMENTATIONS, Context
from zonedata.validate.tabledata import TableData

__all__ = ["check_semantics", "run_rule"]


def run_rule(decl: Declaration, ctx: Context) -> list[Problem]:
    """Run one declared rule; an unexpected exception becomes one ``internal-error``."""
    try:
        return IMPLEMENTATIONS[decl.kind](ctx, decl)
    except Exception as e:  # a crashing rule is a bug: report it, never a traceback
        return [
            make(
                "internal-error",
                f"semantic rule {decl.code!r} (declaration {decl.index + 1}, kind "
                f"{decl.kind!r}) failed unexpectedly and was skipped ({type(e).__name__}: "
                f"{e}); the other rules ran. Please report this.",
            )
        ]


def check_semantics(
    data: Mapping[str, TableData],
    *,
    today: datetime.date | None = None,
    package: Package | None = None,
) -> list[Problem]:
    """Run the rules ``package`` declares over the tables that could be read.

    ``data`` maps table name to :class:`TableData` (a table whose file was broken is
    simply absent). ``today`` defaults to :func:`datetime.date.today`. ``package`` gives
    the declarations and tells the rules which tables should exist, so a rule that needs
    all of them (``cited``) can tell when one is missing; without it no rule runs.
    """
    if package is None:
        return []
    ctx = Context(
        data=data,
        today=today if today is not None else datetime.date.today(),
        expected=frozenset(package.table_names),
    )
    problems: list[Problem] = []
    for decl in declarations(package):
        problems.extend(run_rule(decl, ctx))
        release_unused()  # what the rule used (see zonedata.validate.memory)
    return problems
