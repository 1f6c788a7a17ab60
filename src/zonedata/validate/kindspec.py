"""The vocabulary of rule kinds: what a kind's parameters are, and the registry.

A kind (:class:`KindSpec`) is registered once with :func:`register_kind`, with its
parameters, what it catches and an example; :mod:`zonedata.validate.kinds` registers
every kind, :mod:`zonedata.validate.rules` implements each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from zonedata.problems import Severity

#: The types of parameters: what JSON value each takes.
ParamType = Literal[
    "table",  # a table of the package (a string)
    "tables",  # tables of the package (an array of strings)
    "field",  # a field of the table named by ``of`` (a string)
    "fields",  # fields of that table (an array of strings)
    "string",
    "strings",
    "number",
    "integer",
    "boolean",
    "interval",  # [low, high], two numbers
    "output",  # {"code", "severity"?, "message"?}: a second problem the kind reports
    "band",  # an output with its own "min" and "max"
    "year-ranges",  # [{"year": 2019, "low": 6.67, "high": 7.19}, ...]
    "tolerances",  # [{"field", "relative" | "absolute", "unit"?}, ...]
]


@dataclass(frozen=True)
class Param:
    """One parameter of a rule kind."""

    name: str
    type: ParamType
    doc: str
    required: bool = True
    #: for ``field``/``fields``/``tolerances``: the parameter naming their table
    of: str = "table"
    #: for ``field``/``fields``: the field kinds allowed (empty: any)
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindSpec:
    """A rule kind: its parameters, what it catches, and an example declaration."""

    name: str
    catches: str
    params: tuple[Param, ...]
    example: Mapping[str, Any]
    severity: Severity = "error"
    #: the advice a problem ends with when the declaration gives no ``message``
    advice: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


#: Every rule kind, by name, in the order registered.
KINDS: dict[str, KindSpec] = {}


def register_kind(spec: KindSpec) -> KindSpec:
    """Register a rule kind once (its implementation is registered by the rules)."""
    if spec.name in KINDS:
        raise ValueError(f"rule kind {spec.name!r} registered twice")
    KINDS[spec.name] = spec
    return spec
