"""Resources in the other shapes a Frictionless data package may give them.

zonedata's own tables are plain UTF-8 CSV with an inline schema of the types the engine
checks itself; they take the fast path (:mod:`zonedata.validate.structure` and
:mod:`zonedata.validate.schema_checks`). A package from elsewhere may also have:

- a schema or a dialect given by path: read (bounded, inside the package folder) and
  put inline; no schema: inferred with frictionless' own inference on a bounded sample,
  as ``frictionless validate`` does, with a ``schema-inferred`` warning. Both are done
  by :mod:`zonedata.descriptor.resolve`, which release reads the package through too;
- CSV compressed with gzip or split into parts: read by the fast path (decompressed
  with a cap on size and ratio; parts concatenated, the header in the first);
- another format (JSON, JSONL/NDJSON, Excel, ODS, zip), a CSV dialect, encoding or
  field option the fast path does not honour, or a field type it does not check: the
  resource is validated by frictionless itself, and frictionless' errors are mapped to
  zonedata's rule codes (:data:`zonedata.problems.FRICTIONLESS_CODES`).

Every file handed to frictionless has been checked first
(:func:`zonedata.descriptor.sources.check_readable`): a regular file, within the size limit,
and (compressed or a zip container) decompressing to at most the limit.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zonedata.descriptor.package import SUPPORTED_TYPES, Table
from zonedata.descriptor.sources import (
    UnsafeInput,
    check_readable,
    compression,
    file_format,
    parts,
)
from zonedata.problems import FRICTIONLESS_CODES, Problem, make
from zonedata.validate.profile import keys_as_lists, offline_profiles

#: What the fast path reads beside plain CSV.
FAST_FORMATS = frozenset({"csv"})
#: Dialect properties the fast path honours, with the values it honours (``None``: any).
_FAST_DIALECT: dict[str, tuple[object, ...] | None] = {
    "delimiter": None,
    "header": (True,),
    "headerRow": (1,),
    "quoteChar": ('"',),
    "doubleQuote": (True,),
    "lineTerminator": None,
    "skipInitialSpace": (False,),
    "caseSensitiveHeader": None,
    "csvddfVersion": None,
    "$schema": None,
}
#: Field properties that the fast path checks or that change nothing it checks.
_FAST_FIELD = frozenset(
    {
        "name",
        "type",
        "title",
        "description",
        "example",
        "constraints",
        "rdfType",
        "unit",
        "decimals",
        "partialDate",
        "trueValues",
        "falseValues",
    }
)
#: Encodings the fast path reads (it checks UTF-8).
_UTF8 = frozenset({"utf-8", "utf8", "utf-8-sig"})
#: How many errors frictionless reports per resource
LIMIT_ERRORS = 1000


def slow_reason(table: Table) -> str | None:
    """Why the fast path cannot read ``table`` exactly as frictionless does; ``None``: it can."""
    d = table.descriptor
    if not isinstance(d.get("path"), str | list) or "data" in d:
        return "inline data"
    fmt = file_format(d, table.path)
    if fmt not in FAST_FORMATS:
        return f"format {fmt!r}"
    comp = compression(d, table.path)
    if comp not in (None, "gz"):
        return f"compression {comp!r}"
    encoding = d.get("encoding")
    if encoding is not None and str(encoding).lower() not in _UTF8:
        return f"encoding {encoding!r}"
    dialect = d.get("dialect")
    for key, value in dialect.items() if isinstance(dialect, dict) else ():
        allowed = _FAST_DIALECT.get(key, ())
        if allowed is not None and value not in allowed:
            return f"dialect {key}={value!r}"
    if isinstance(dialect, dict) and len(str(dialect.get("delimiter", ","))) != 1:
        return "a delimiter of more than one character"
    for f in table.fields:
        if f.type not in SUPPORTED_TYPES:
            return f"field type {f.type!r}"
    schema = d.get("schema")
    raw_fields = schema.get("fields") if isinstance(schema, dict) else None
    for raw in raw_fields if isinstance(raw_fields, list) else []:
        if not isinstance(raw, dict):
            continue
        for key, value in raw.items():
            if key in _FAST_FIELD or (key == "format" and value in (None, "default")):
                continue
            if key == "bareNumber" and value is True:
                continue
            if key == "decimalChar" and value == ".":
                continue
            return f"field property {key}={value!r}"
    return None


# --- validation by frictionless ----------------------------------------------------------------


@dataclass
class Checked:
    """What frictionless found in one resource."""

    problems: list[Problem]
    rows: int = 0


_CONSTRAINT = re.compile(r'constraint "(\w+)"')
_CONSTRAINT_CODES = {
    "required": "required-missing",
    "minimum": "constraint-minimum",
    "exclusiveMinimum": "constraint-minimum",
    "maximum": "constraint-maximum",
    "exclusiveMaximum": "constraint-maximum",
    "enum": "constraint-enum",
    "pattern": "constraint-pattern",
    "minLength": "constraint-length",
    "maxLength": "constraint-length",
    "unique": "constraint-unique",
}


def code_for(error_type: str, note: str = "") -> str:
    """The zonedata rule code of a frictionless error type (see ``FRICTIONLESS_CODES``)."""
    if error_type == "constraint-error":
        m = _CONSTRAINT.search(note)
        return _CONSTRAINT_CODES.get(m.group(1) if m else "", "type-error")
    return FRICTIONLESS_CODES.get(error_type, "frictionless-error")


def _str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "..."


def check_with_frictionless(
    descriptor: dict[str, Any], base: Path, table: Table, display: str, reason: str
) -> Checked:
    """Validate one resource with frictionless (in its package, for foreign keys)."""
    kw = {"table": table.name, "path": display}
    resource_d = table.descriptor
    if any("://" in p for p in parts(resource_d)):
        return Checked(
            [
                make(
                    "unsupported-format",
                    f"Resource {table.name!r} is remote and read by frictionless ({reason}); "
                    "only a remote plain CSV file can be validated.",
                    **kw,
                )
            ]
        )
    # frictionless reads the resource and, to check its foreign keys, the resources they
    # refer to: every one of their files is checked first
    referred = {fk.resource for fk in table.foreign_keys} - {table.name}
    resources = descriptor.get("resources") or []
    others = [r for r in resources if isinstance(r, dict) and r.get("name") in referred]
    try:
        for r in [resource_d, *others]:
            if any("://" in p for p in parts(r)):
                raise UnsafeInput("path-remote", f"{r.get('name')!r} is remote; not read here")
            for p in parts(r):
                check_readable(base / p, r, p)
    except UnsafeInput as e:
        return Checked([make(e.code, f"{e.message}.", **kw)])
    fmt = file_format(resource_d, table.path) if parts(resource_d) else "inline"
    try:
        from frictionless import Package as FPackage
        from frictionless import system

        with system.use_context(trusted=False):
            package = FPackage(for_frictionless(descriptor), basepath=str(base))
            resource = package.get_resource(table.name)
            report = resource.validate(limit_errors=LIMIT_ERRORS)
    except Exception as e:  # frictionless refuses the resource before reading any row
        return Checked([_unreadable(table, display, fmt, e)])
    problems: list[Problem] = []
    rows = 0
    for task in report.tasks:
        stats = task.stats if isinstance(task.stats, dict) else {}
        counted = stats.get("rows")
        rows += counted if isinstance(counted, int) else 0
        for task_error in task.errors:
            problems.append(_problem(task_error, table.name, display, fmt))
    for error in report.errors:
        problems.append(_problem(error, table.name, display, fmt))
    return Checked(problems, rows)


def check_document(resource_d: dict[str, Any], base: Path, name: str, display: str) -> Checked:
    """Check a document resource (not a table) as frictionless does: its file, its
    declared ``bytes`` and ``hash``."""
    kw = {"table": name, "path": display}
    try:
        for p in parts(resource_d):
            check_readable(base / p, resource_d, p)
    except UnsafeInput as e:
        return Checked([make(e.code, f"{e.message}.", **kw)])
    try:
        from frictionless import Resource, system

        document = copy.deepcopy(resource_d)
        offline_profiles({"resources": [document]})  # (the profile check reports it)
        with system.use_context(trusted=False):
            report = Resource(document, basepath=str(base)).validate(limit_errors=LIMIT_ERRORS)
    except Exception as e:
        why = getattr(getattr(e, "error", None), "note", None) or str(e)
        return Checked([make("file-unreadable", f"Resource {name!r} cannot be read: {why}", **kw)])
    errors = [e for task in report.tasks for e in task.errors] + list(report.errors)
    fmt = file_format(resource_d, parts(resource_d)[0]) if parts(resource_d) else "inline"
    return Checked([_problem(e, name, display, fmt) for e in errors])


def for_frictionless(descriptor: dict[str, Any]) -> dict[str, Any]:
    """The descriptor as frictionless reads it: v1 keys as lists, and every resource
    with a schema a table (frictionless would otherwise take a ``.json`` file for a
    JSON document and check none of its rows)."""

    out = keys_as_lists(copy.deepcopy(descriptor))
    offline_profiles(out)  # (the profile check reports what it removes)
    for r in out.get("resources") or []:
        if isinstance(r, dict) and isinstance(r.get("schema"), dict):
            r["type"] = "table"
    return out


def _unreadable(table: Table, display: str, fmt: str, e: Exception) -> Problem:
    error = getattr(e, "error", None)
    kind = getattr(error, "type", "")
    note = getattr(error, "note", "") or str(e)
    code = (
        "unsupported-format" if kind in ("format-error", "plugin-error", "") else "file-unreadable"
    )
    if "not supported" in note or ("cannot" in note.lower() and "format" in note.lower()):
        code = "unsupported-format"
    return make(
        code,
        f"Resource {table.name!r} ({fmt}) cannot be read: {note}",
        table=table.name,
        path=display,
        value=fmt,
    )


def _problem(e: Any, name: str, display: str, fmt: str) -> Problem:
    kind = str(getattr(e, "type", "error"))
    note = str(getattr(e, "note", "") or "")
    code = code_for(kind, note)
    if kind in ("format-error", "source-error", "scheme-error") and "format" in note:
        code = "unsupported-format"
    row = getattr(e, "row_number", None)
    if row is None:
        numbers = getattr(e, "row_numbers", None)
        row = numbers[0] if numbers else None
    field_name = getattr(e, "field_name", None)
    field_number = getattr(e, "field_number", None)
    value = getattr(e, "cell", None)
    if value is None:
        value = getattr(e, "label", None)
    message = str(getattr(e, "message", "") or note)
    if code == "unsupported-format":
        message = f"Resource {name!r} ({fmt}) cannot be read: {note or message}"
    return make(
        code,
        f"{message} (frictionless: {kind})",
        table=name,
        path=display,
        line=row if isinstance(row, int) and fmt in ("csv", "tsv") else None,
        row=row if isinstance(row, int) else None,
        field=field_name if isinstance(field_name, str) and field_name else None,
        field_number=field_number if isinstance(field_number, int) else None,
        value=_str(value),
    )
