"""Layer 4 of ``zonedata validate``: the implementations of the rule kinds, one module per
theme.

Importing this package registers the implementation of every kind of
:mod:`zonedata.validate.kinds` in :data:`IMPLEMENTATIONS`. The entry point is
:func:`zonedata.validate.semantic.check_semantics`, which runs the rules a package
declares. Pandera is imported only when a rule's verdict is in doubt.
"""

from __future__ import annotations

from zonedata.validate.rules import citations, currency, dates, formula, growth, ranks
from zonedata.validate.rules._base import IMPLEMENTATIONS, Context, Implementation

__all__ = [
    "IMPLEMENTATIONS",
    "Context",
    "Implementation",
    "citations",
    "currency",
    "dates",
    "formula",
    "growth",
    "ranks",
]
