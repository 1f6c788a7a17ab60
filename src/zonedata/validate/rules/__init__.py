"""Layer 4 of ``zonedata validate``: the semantic rules, one module per theme.

Importing this package registers every rule in :data:`REGISTRY` (in run order). The
entry point is :func:`zonedata.validate.semantic.check_semantics`. Pandera is imported
only when a rule runs.
"""

from __future__ import annotations

from zonedata.validate.rules import citations, currency, dates, formula, growth, ranks
from zonedata.validate.rules._base import REGISTRY, Context, SemanticRule

__all__ = [
    "REGISTRY",
    "Context",
    "SemanticRule",
    "citations",
    "currency",
    "dates",
    "formula",
    "growth",
    "ranks",
]
