"""Resources in the other shapes a Frictionless data package may give them.

zonedata's own tables are plain UTF-8 CSV with an inline schema of the types the engine
checks itself; they take the fast path (:mod:`zonedata.validate.structure` and
:mod:`zonedata.validate.schema_checks`). A package from elsewhere may also have:

- a schema or a dialect given by path: read (bounded, inside the package folder) and
  put inline;
- no schema: inferred with frictionless' own inference on a bounded sample, as
  ``frictionless validate`` does, with a ``schema-inferred`` warning;
- CSV compressed with gzip or split into parts: read by the fast path (decompressed
  with a cap on size and ratio; parts concatenated, the header in the first);
- another format (JSON, JSONL/NDJSON, Excel, ODS, zip), a CSV dialect, encoding or
  field option the fast path does not honour, or a field type it does not check: the
  resource is validated by frictionless itself, and frictionless' errors are mapped to
  zonedata's rule codes (:data:`zonedata.problems.FRICTIONLESS_CODES`).

Every file handed to frictionless has been checked first: a regular file, within the
size limit, and (compressed or a zip container) decompressing to at most the limit.
"""

from __future__ import annotations

import copy
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zonedata import safeio
from zonedata.descriptor.package import SUPPORTED_TYPES, Table
from zonedata.errors import InputError
from zonedata.limits import current_limits
from zonedata.problems import FRICTIONLESS_CODES, Problem, make

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


class UnsafeInput(Exception):
    """A file may not be handed to a reader (too large, a bomb, not regular)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parts(resource: dict[str, Any]) -> list[str]:
    """The resource's file paths: one, or a multipart list."""
    path = resource.get("path")
    if isinstance(path, list):
        return [p for p in path if isinstance(p, str)]
    return [path] if isinstance(path, str) else []


def compression(resource: dict[str, Any], path: str) -> str | None:
    """``gz``, ``zip`` or another declared compression; ``None``: none."""
    declared = resource.get("compression")
    if isinstance(declared, str) and declared and declared.lower() != "no":
        return declared.lower()
    lower = path.lower()
    if lower.endswith(".gz"):
        return "gz"
    if lower.endswith(".zip"):
        return "zip"
    return None


def file_format(resource: dict[str, Any], path: str) -> str:
    """The resource's format: declared, else from the file name (without compression)."""
    declared = resource.get("format")
    if isinstance(declared, str) and declared:
        return declared.lower()
    name = path.lower().rsplit("/", 1)[-1]
    for suffix in (".gz", ".zip"):
        name = name.removesuffix(suffix)
    return name.rsplit(".", 1)[-1] if "." in name else "csv"


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


# --- the descriptor: schema and dialect by path, inferred schemas -----------------------------


def _inside(base: Path, rel: object) -> Path | None:
    """``base / rel`` if ``rel`` is a relative path that stays inside ``base``."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or "://" in rel:
        return None
    if rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
        return None
    if ".." in Path(rel.replace("\\", "/")).parts:
        return None
    try:
        resolved = (base / rel).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return resolved if resolved.is_relative_to(base.resolve()) else None


def _read_json_file(base: Path, rel: object) -> dict[str, Any]:
    path = _inside(base, rel)
    if path is None:
        raise ValueError(f"{rel!r} is not a relative path inside the package folder")
    try:
        raw = safeio.read_regular(path, current_limits().max_descriptor_bytes, str(rel))
    except InputError as e:
        raise ValueError(e.message) from None
    try:
        value = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ValueError(f"{rel} is not a JSON file ({e})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{rel} does not hold a JSON object")
    return value


@dataclass
class Resolved:
    """A descriptor as the engine reads it (see :func:`resolve`)."""

    #: every schema and dialect inline, every schema present (a stand-in for the skipped)
    descriptor: dict[str, Any]
    problems: list[Problem]
    #: resources not to read as tables: no schema could be had (the problems say why),
    #: or they are documents
    skipped: set[str]
    #: resources without a schema that frictionless takes for documents (Markdown, a
    #: JSON document, a PDF...), not tables: only their files are checked
    documents: set[str]


def resolve(descriptor: dict[str, Any], base: Path, display: str) -> Resolved:
    """The descriptor with every schema and dialect inline and every schema present,
    the problems met, and the resources not to read as tables.

    A copy is returned; the given descriptor is left as it is (the profile check reads it
    as written).
    """
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not any(
        isinstance(r, dict)
        and (
            not isinstance(r.get("schema"), dict)
            or isinstance(r.get("dialect"), str)
            or isinstance(r.get("path"), list)
        )
        for r in resources
    ):
        return Resolved(descriptor, [], set(), set())  # nothing to do: zonedata's own, say
    out = copy.deepcopy(descriptor)
    problems: list[Problem] = []
    skipped: set[str] = set()
    documents: set[str] = set()
    for r in out["resources"]:
        if not isinstance(r, dict):
            continue
        name = str(r.get("name", "?"))
        kw = {"path": display, "table": name}
        for key in ("dialect", "schema"):
            if isinstance(r.get(key), str):
                try:
                    r[key] = _read_json_file(base, r[key])
                except ValueError as e:
                    problems.append(
                        make(
                            "descriptor-profile",
                            f"Resource {name!r}: the {key} file cannot be read: {e}.",
                            **kw,
                        )
                    )
                    r.pop(key)
                    r["__drop__"] = True  # not inferred: the schema it names is wanted
        if "schema" not in r and not r.get("__drop__") and (parts(r) or "data" in r):
            found, ok = _infer(r, base, name, display)
            problems.extend(found)
            if not ok:  # the resource cannot be read as a table: the others still are
                r["__drop__"] = True
    for r in out["resources"]:
        if isinstance(r, dict) and r.pop("__drop__", False):
            # read no further: a stand-in schema lets the engine list the resource
            r["schema"] = {"fields": [{"name": "-"}]}
            skipped.add(str(r.get("name", "?")))
            if r.pop("__document__", False):
                documents.add(str(r.get("name", "?")))
    return Resolved(out, problems, skipped, documents)


def _infer(r: dict[str, Any], base: Path, name: str, display: str) -> tuple[list[Problem], bool]:
    """Put frictionless' inferred schema (and sniffed dialect) into ``r``.

    Returns the problems and whether a schema was put in; without one the resource is
    reported here (an unsafe path, a file that cannot be read) and not checked further.
    """
    from frictionless import Detector, Resource

    kw = {"path": display, "table": name}
    try:
        for p in parts(r)[:1]:
            if "://" in p:
                why = "a schema is not inferred from a remote file; declare one"
                message = f"Resource {name!r} ({p}) has no schema: {why}."
                return [make("file-unreadable", message, value=p, **kw)], False
            path = _inside(base, p)
            if path is None:  # outside the folder: the path checks report it
                return [], False
            check_readable(path, r, p)
        source = {k: v for k, v in r.items() if k != "schema"}
        resource = Resource(source, basepath=str(base), detector=Detector(sample_size=100))
        if getattr(resource, "type", "table") != "table":
            r["__document__"] = True  # a document, not a table: only its file is checked
            return [], False
        resource.infer()
        inferred = resource.schema.to_descriptor()
        dialect = resource.dialect.to_descriptor() if "dialect" not in r else None
    except UnsafeInput as u:
        return [make(u.code, f"{u.message}.", **kw)], False
    except Exception as e:  # frictionless cannot read the file
        why = getattr(getattr(e, "error", None), "note", None) or str(e)
        message = f"Resource {name!r} has no schema, and none could be inferred: {why}"
        return [make("file-unreadable", message, **kw)], False
    if not inferred.get("fields"):
        message = f"Resource {name!r} has no schema, and its file has no columns to infer one from."
        return [make("file-empty", message, **kw)], False
    r["schema"] = inferred
    dialect = {k: v for k, v in (dialect or {}).items() if k in ("delimiter", "header")}
    if dialect.get("delimiter") not in (None, ","):
        r["dialect"] = {"delimiter": dialect["delimiter"]}
    types = ", ".join(f"{f['name']}: {f.get('type', 'any')}" for f in inferred["fields"][:20])
    more = ", ..." if len(inferred["fields"]) > 20 else ""
    return [
        make(
            "schema-inferred",
            f"Resource {name!r} has no schema; it was checked against one inferred from its "
            f"first rows, as frictionless does ({types}{more}). Declare a schema to fix "
            "the types.",
            **kw,
        )
    ], True


# --- bounded reading ---------------------------------------------------------------------------


def decompress_gzip(data: bytes, limit: int, shown: str) -> bytes:
    """Decompress gzip ``data`` (members in sequence) to at most ``limit`` bytes and
    ``Limits.max_expansion_ratio`` times its size; raises :class:`UnsafeInput`."""
    ratio = current_limits().max_expansion_ratio
    cap = min(limit, max(len(data), 1 << 16) * ratio)
    out: list[bytes] = []
    total = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(wbits=31)
            while rest:
                chunk = d.decompress(rest, cap + 1 - total)
                out.append(chunk)
                total += len(chunk)
                if total > cap:
                    raise UnsafeInput(
                        "file-too-large",
                        f"{shown} decompresses to more than {cap:,} bytes (the limit is the "
                        f"smaller of {limit:,} bytes and {ratio} times the file)",
                    )
                rest = d.unconsumed_tail
                if d.eof:
                    break
            if not d.eof:
                raise UnsafeInput("file-unreadable", f"{shown} is a truncated gzip file")
            rest = d.unused_data.lstrip(b"\x00")  # padding after the last member
    except zlib.error as e:
        raise UnsafeInput("file-unreadable", f"{shown} is not a gzip file ({e})") from None
    return b"".join(out)


def _check_zip(path: Path, limit: int, shown: str) -> None:
    """A zip file (or an XLSX/ODS, which are zip files) expands within the limits."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise UnsafeInput("file-unreadable", f"{shown} is not a zip file ({e})") from None
    total = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1 << 16)
    limits = current_limits()
    if (
        total > limit
        or total > packed * limits.max_expansion_ratio
        or len(infos) > limits.max_zip_entries
    ):
        raise UnsafeInput(
            "file-too-large",
            f"{shown} expands to {total:,} bytes in {len(infos):,} members; the limit is the "
            f"smaller of {limit:,} bytes and {limits.max_expansion_ratio} times the file",
        )


def check_readable(path: Path, resource: dict[str, Any], shown: str) -> None:
    """Before a reader other than ours opens ``path``: a regular file within the limits,
    which decompresses within them too. Raises :class:`UnsafeInput`."""
    limit = current_limits().max_file_bytes
    try:
        data = safeio.read_regular(path, limit, shown)
    except InputError as e:
        code = {"missing": "file-missing", "not-regular": "file-not-regular"}
        raise UnsafeInput(code.get(e.kind, "file-too-large"), e.message) from None
    fmt = file_format(resource, shown)
    comp = compression(resource, shown)
    if comp == "gz":
        decompress_gzip(data, limit, shown)
    elif comp == "zip" or fmt in ("xlsx", "ods", "zip") or data[:4] == b"PK\x03\x04":
        _check_zip(path, limit, shown)


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
            package = FPackage(_for_frictionless(descriptor), basepath=str(base))
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

        from zonedata.validate.profile import offline_profiles

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


def _for_frictionless(descriptor: dict[str, Any]) -> dict[str, Any]:
    """The descriptor as frictionless reads it: v1 keys as lists, and every resource
    with a schema a table (frictionless would otherwise take a ``.json`` file for a
    JSON document and check none of its rows)."""
    from zonedata.validate.profile import keys_as_lists, offline_profiles

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
