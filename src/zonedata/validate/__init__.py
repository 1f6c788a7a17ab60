"""Validation: layered checks that report problems as records.

``validate_package(path)`` returns a :class:`Report`; ``render.render(report, fmt)``
turns it into text, JSON or GitHub workflow commands.
"""

from zonedata.validate.engine import Report, validate_package
from zonedata.validate.problems import RULES, Problem, Rule

__all__ = ["RULES", "Problem", "Report", "Rule", "validate_package"]
