"""Validation: layered checks that report problems as records.

``validate_package(path)`` returns a :class:`Report`; ``render.render(report, fmt)``
turns it into text, JSON or GitHub workflow commands.

The names below are loaded on first use, so that importing one module of this package
(the profile check's child process imports :mod:`zonedata.validate.profile`) does not
import the engine and Arrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zonedata.problems import RULES, Problem, Rule
    from zonedata.validate.engine import Report, validate_package

_LAZY = {
    "Report": "zonedata.validate.engine",
    "validate_package": "zonedata.validate.engine",
    "RULES": "zonedata.problems",
    "Problem": "zonedata.problems",
    "Rule": "zonedata.problems",
}

__all__ = ["RULES", "Problem", "Report", "Rule", "validate_package"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
