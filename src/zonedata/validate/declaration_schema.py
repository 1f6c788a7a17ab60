"""The JSON Schema of ``zonedata:rules``, generated from the registry of rule kinds.

The schema ships beside this module as ``rules.schema.json`` (tests check that it is what
:func:`json_schema` gives; regenerate it with ``python -m
zonedata.validate.declaration_schema``). It checks the shape of each declaration: a known
kind, its required parameters, no unknown property, the JSON type of each value. Whether
the tables and fields named exist, and whether a code means one rule only, is checked by
:mod:`zonedata.validate.declarations`, which reports every problem at its property in
``datapackage.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zonedata.validate.declarations import CODE, MAX_TEXT, MAX_YEARS, PROPERTY
from zonedata.validate.kinds import KINDS
from zonedata.validate.kindspec import KindSpec, Param

#: Where the generated schema is shipped.
SCHEMA_PATH = Path(__file__).with_name("rules.schema.json")

_TEXT = {"type": "string", "maxLength": MAX_TEXT}
_STRINGS = {"type": "array", "items": _TEXT, "minItems": 1}
_CODE = {
    "type": "string",
    "pattern": f"^{CODE.pattern}$",
    "maxLength": 100,
    "description": "the problem code, kebab-case: one code is one rule (every declaration "
    "reporting it has the same kind, parameter and severity), and none of zonedata's own "
    "outside the semantic layer",
}
_SEVERITY = {"enum": ["error", "warning"]}
_OUTPUT: dict[str, Any] = {
    "type": "object",
    "properties": {"code": _CODE, "severity": _SEVERITY, "message": _TEXT},
    "required": ["code"],
    "additionalProperties": False,
}
_TYPES: dict[str, dict[str, Any]] = {
    "table": _TEXT,
    "tables": _STRINGS,
    "field": _TEXT,
    "fields": _STRINGS,
    "string": _TEXT,
    "strings": _STRINGS,
    "number": {"type": "number"},
    "integer": {"type": "integer", "minimum": 0, "maximum": MAX_YEARS},
    "boolean": {"type": "boolean"},
    "interval": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    "output": _OUTPUT,
    "band": {
        **_OUTPUT,
        "properties": {
            **_OUTPUT["properties"],
            "min": {"type": "number"},
            "max": {"type": "number"},
        },
        "required": ["code", "min", "max"],
    },
    "year-ranges": {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_YEARS,
        "items": {
            "type": "object",
            "properties": {
                "year": {"type": "integer"},
                "low": {"type": "number"},
                "high": {"type": "number"},
            },
            "required": ["year", "low", "high"],
            "additionalProperties": False,
        },
    },
    "tolerances": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "field": {"type": "string"},
                "relative": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "absolute": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "unit": _TEXT,
            },
            "required": ["field"],
            "oneOf": [{"required": ["relative"]}, {"required": ["absolute"]}],
            "additionalProperties": False,
        },
    },
}


def _param(p: Param) -> dict[str, Any]:
    return {**_TYPES[p.type], "description": p.doc}


def _kind(spec: KindSpec) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "kind": {"const": spec.name},
        "code": _CODE,
        "severity": _SEVERITY,
        "message": _TEXT,
        "description": _TEXT,
    }
    properties.update({p.name: _param(p) for p in spec.params})
    return {
        "if": {"properties": {"kind": {"const": spec.name}}, "required": ["kind"]},
        "then": {
            "description": spec.catches,
            "properties": properties,
            "required": ["kind", "code", *(p.name for p in spec.params if p.required)],
            "additionalProperties": False,
        },
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the ``zonedata:rules`` array."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{PROPERTY}: the semantic rules a data package declares",
        "description": "An array of rule declarations; see docs/validation.md.",
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"kind": {"enum": list(KINDS)}},
            "required": ["kind", "code"],
            "allOf": [_kind(spec) for spec in KINDS.values()],
        },
    }


def schema_text() -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
