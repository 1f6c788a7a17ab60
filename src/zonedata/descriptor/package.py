"""Read a Frictionless data package descriptor into immutable, typed objects.

Only the standard library is imported here: ``import zonedata`` and ``zonedata.load``
stay light.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zonedata.descriptor.files import descriptor_in, parse, text_format
from zonedata.errors import DescriptorError as DescriptorError  # re-exported
from zonedata.errors import JsonTextError

#: Field types the engine understands. Others are read as strings.
SUPPORTED_TYPES = frozenset({"string", "integer", "number", "boolean", "date", "year", "any"})

#: Custom field property: a string field holding an ISO 8601 date at the precision the
#: source gives (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``).
PARTIAL_DATE = "partialDate"
#: Custom field property: the number of decimal places a ``number`` field may carry; it is
#: also the scale of the exact decimal type the field has in releases.
DECIMALS = "decimals"


@dataclass(frozen=True)
class Field:
    """One column of a table, as the descriptor describes it."""

    name: str
    type: str = "string"
    title: str = ""
    description: str = ""
    unit: str | None = None
    decimals: int | None = None
    partial_date: bool = False
    required: bool = False
    unique: bool = False
    minimum: Any = None
    maximum: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum: tuple[Any, ...] | None = None
    true_values: tuple[str, ...] = ("true", "True", "TRUE", "1")
    false_values: tuple[str, ...] = ("false", "False", "FALSE", "0")
    bare_number: bool = True
    format: str | None = None

    @property
    def kind(self) -> str:
        """The logical kind used by the engine: a Frictionless type or ``partial-date``."""
        if self.partial_date:
            return "partial-date"
        return self.type if self.type in SUPPORTED_TYPES else "string"

    @property
    def is_text(self) -> bool:
        """Free text: a string field that is neither a date nor constrained by a pattern/enum."""
        return self.kind == "string"

    @classmethod
    def from_descriptor(cls, d: dict[str, Any]) -> Field:
        if not isinstance(d, dict) or not isinstance(d.get("name"), str):
            raise DescriptorError(f"a field must be an object with a string name, got {d!r}")
        c = d.get("constraints") or {}
        if not isinstance(c, dict):
            raise DescriptorError(f"field {d['name']!r}: constraints must be an object")
        enum = c.get("enum")
        pattern = c.get("pattern")
        if pattern is not None:
            try:
                re.compile(str(pattern)) if isinstance(pattern, str) else None
            except re.error as e:
                raise DescriptorError(
                    f"field {d['name']!r}: constraint pattern {pattern!r} is not a regular "
                    f"expression ({e})"
                ) from None
            if not isinstance(pattern, str):
                raise DescriptorError(f"field {d['name']!r}: constraint pattern must be a string")
        _check_field(d, c)
        kwargs: dict[str, Any] = {
            "name": d["name"],
            "type": str(d.get("type", "string")),
            "title": str(d.get("title", "")),
            "description": str(d.get("description", "")),
            "unit": d.get("unit"),
            "decimals": d.get(DECIMALS),
            "partial_date": bool(d.get(PARTIAL_DATE, False)),
            "required": bool(c.get("required", False)),
            "unique": bool(c.get("unique", False)),
            "minimum": _bound(d, "minimum", c.get("minimum")),
            "maximum": _bound(d, "maximum", c.get("maximum")),
            "min_length": c.get("minLength"),
            "max_length": c.get("maxLength"),
            "pattern": c.get("pattern"),
            "enum": tuple(enum) if isinstance(enum, list) else None,
            "bare_number": bool(d.get("bareNumber", True)),
            "format": d.get("format"),
        }
        if "trueValues" in d:
            kwargs["true_values"] = tuple(d["trueValues"])
        if "falseValues" in d:
            kwargs["false_values"] = tuple(d["falseValues"])
        return cls(**kwargs)


#: The range an integer bound or length may have (Arrow's int64)
_INT64 = (-(2**63), 2**63 - 1)


def _check_field(d: dict[str, Any], c: dict[str, Any]) -> None:
    """Refuse field properties the checks could not use (each a :class:`DescriptorError`).

    The name must be text a header can hold; lengths non-negative integers; ``decimals``
    a whole number from 0 to 18 (the release's exact decimals); ``enum`` a non-empty list
    of scalars; ``trueValues`` and ``falseValues`` lists of strings with none in both;
    ``partialDate`` a boolean.
    """
    name = d["name"]
    where = f"field {name!r}"
    if not name or any(ch in name for ch in "\r\n"):
        raise DescriptorError(f"{where}: a field name must be non-empty text on one line")
    for key in ("minLength", "maxLength"):
        v = c.get(key)
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= _INT64[1]
        ):
            raise DescriptorError(f"{where}: constraint {key} {v!r} is not a non-negative integer")
    decimals = d.get(DECIMALS)
    if decimals is not None and (
        isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 18
    ):
        raise DescriptorError(
            f"{where}: {DECIMALS} {decimals!r} is not a whole number from 0 to 18"
        )
    enum = c.get("enum")
    if enum is not None and (
        not isinstance(enum, list)
        or not enum
        or not all(isinstance(v, str | int | float | bool) for v in enum)
    ):
        raise DescriptorError(f"{where}: constraint enum must be a non-empty list of values")
    for key in ("trueValues", "falseValues"):
        v = d.get(key)
        if v is not None and (not isinstance(v, list) or not all(isinstance(x, str) for x in v)):
            raise DescriptorError(f"{where}: {key} must be a list of strings")
    if "trueValues" in d or "falseValues" in d:
        trues = d.get("trueValues", Field.true_values)
        both = set(trues) & set(d.get("falseValues", Field.false_values))
        if both:
            raise DescriptorError(
                f"{where}: {sorted(both)} are both true and false values; a cell would mean both"
            )
    if PARTIAL_DATE in d and not isinstance(d[PARTIAL_DATE], bool):
        raise DescriptorError(f"{where}: {PARTIAL_DATE} must be true or false")


def _bound(d: dict[str, Any], name: str, value: Any) -> Any:
    """A ``minimum``/``maximum`` constraint in its field's type.

    Table Schema v1 descriptors may write it as a string (``"minimum": "0"``): an
    integer or number field's bound is read as the number it spells; a bound that is no
    value of the field's type is a :class:`DescriptorError` naming the field.
    """
    kind = str(d.get("type", "string"))
    if value is None or kind not in ("integer", "year", "number"):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DescriptorError(f"field {d['name']!r}: constraint {name} {value!r} is not a number")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if kind != "number" else float(text)
        except ValueError:
            raise DescriptorError(
                f"field {d['name']!r}: constraint {name} {value!r} is not "
                f"{'an integer' if kind != 'number' else 'a number'}"
            ) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise DescriptorError(f"field {d['name']!r}: constraint {name} {value!r} is not finite")
    if kind != "number" and isinstance(value, float) and not value.is_integer():
        raise DescriptorError(f"field {d['name']!r}: constraint {name} {value!r} is not an integer")
    if kind != "number" and not _INT64[0] <= int(value) <= _INT64[1]:
        raise DescriptorError(
            f"field {d['name']!r}: constraint {name} {value!r} is beyond the 64-bit integers"
        )
    if kind == "number" and isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            raise DescriptorError(
                f"field {d['name']!r}: constraint {name} is beyond the largest double"
            ) from None
    return value


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """One tabular resource of the package."""

    name: str
    path: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    missing_values: tuple[str, ...] = ("",)
    encoding: str = "utf-8"
    delimiter: str = ","
    descriptor: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: every file of the table: ``(path,)``, or the parts of a multipart resource (the
    #: first is ``path``)
    parts: tuple[str, ...] = ()
    #: the file conventions the package declares for this table (:data:`CONVENTIONS`)
    conventions: frozenset[str] = frozenset()

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @classmethod
    def from_descriptor(cls, d: dict[str, Any]) -> Table:
        name = d.get("name")
        if not isinstance(name, str):
            raise DescriptorError(f"a resource needs a name, got {name!r}")
        path = d.get("path")
        parts: tuple[str, ...] = ()
        if isinstance(path, list):  # multipart: the parts, read one after the other
            if not path or not all(isinstance(p, str) for p in path):
                raise DescriptorError(f"resource {name!r}: a multipart path needs strings")
            parts, path = tuple(path), path[0]
        if path is None and "data" in d:  # inline data: no file (validate reads it)
            path = ""
        if not isinstance(path, str):
            raise DescriptorError(f"resource {name!r}: needs a path to a file")
        if not path.strip() and "data" not in d:
            raise DescriptorError(f"resource {name!r}: the path is empty; it must name a file")
        schema = d.get("schema")
        if not isinstance(schema, dict):
            raise DescriptorError(f"resource {name!r}: needs an inline table schema")
        raw_fields = schema.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            raise DescriptorError(f"resource {name!r}: the schema needs a list of fields")
        fields = tuple(Field.from_descriptor(f) for f in raw_fields)
        pk = schema.get("primaryKey") or []
        if isinstance(pk, str):
            pk = [pk]
        if not isinstance(pk, list) or len(set(map(str, pk))) != len(pk):
            raise DescriptorError(f"resource {name!r}: the primary key names a field twice")
        fks = []
        for j, fk in enumerate(schema.get("foreignKeys") or []):
            if not isinstance(fk, dict):
                raise DescriptorError(
                    f"resource {name!r}: foreignKeys[{j}] is not an object: {str(fk)[:60]!r}"
                )
            fk_fields = fk.get("fields")
            ref = fk.get("reference") or {}
            if not isinstance(ref, dict):
                raise DescriptorError(
                    f"resource {name!r}: foreignKeys[{j}].reference is not an object"
                )
            ref_fields = ref.get("fields")
            if isinstance(fk_fields, str):
                fk_fields = [fk_fields]
            if isinstance(ref_fields, str):
                ref_fields = [ref_fields]
            fks.append(
                ForeignKey(
                    fields=tuple(fk_fields or ()),
                    resource=ref.get("resource") or name,
                    reference_fields=tuple(ref_fields or ()),
                )
            )
        missing = schema.get("missingValues", [""])
        if isinstance(missing, list) and not all(isinstance(m, str) for m in missing):
            raise DescriptorError(f"resource {name!r}: missingValues must be a list of strings")
        dialect = d.get("dialect") if isinstance(d.get("dialect"), dict) else {}
        delimiter = (dialect or {}).get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
            raise DescriptorError(
                f"resource {name!r}: the dialect's delimiter {str(delimiter)[:20]!r} is not "
                "one character (other than a quote or a line break)"
            )
        return cls(
            name=name,
            path=path,
            parts=parts or ((path,) if path else ()),
            title=str(d.get("title", "")),
            description=str(d.get("description", "")),
            fields=fields,
            primary_key=tuple(pk),
            foreign_keys=tuple(fks),
            missing_values=tuple(missing) if isinstance(missing, list) else ("",),
            encoding=str(d.get("encoding", "utf-8")),
            delimiter=delimiter,
            descriptor=d,
        )


@dataclass(frozen=True)
class Package:
    """A data package: its descriptor, the folder it lives in, and its tables."""

    descriptor: dict[str, Any]
    base_path: Path
    tables: tuple[Table, ...]

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    @property
    def table_names(self) -> list[str]:
        return [t.name for t in self.tables]

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        valid = ", ".join(self.table_names)
        raise KeyError(f"unknown table {name!r}; valid tables: {valid}")

    def file(self, table: Table | str) -> Path:
        t = self.table(table) if isinstance(table, str) else table
        return self.base_path / t.path

    @classmethod
    def from_descriptor(cls, descriptor: dict[str, Any], base_path: Path) -> Package:
        resources = descriptor.get("resources")
        if not isinstance(resources, list):
            raise DescriptorError("the descriptor has no list of resources")
        for i, r in enumerate(resources):
            if not isinstance(r, dict):
                raise DescriptorError(f"resources[{i}] is not an object: {str(r)[:60]!r}")
        declared = declared_conventions(descriptor)
        tables = tuple(
            replace(Table.from_descriptor(r), conventions=declared_conventions(r, declared))
            for r in resources
        )
        return cls(descriptor=descriptor, base_path=base_path, tables=tables)


#: The custom property where a package (or one resource) declares its file conventions.
CONVENTIONS_PROPERTY = "zonedata:conventions"
#: The conventions a package may declare, and what each holds its files to: without a
#: declaration, zonedata holds a file to no more than frictionless does.
CONVENTIONS = {
    "lf": "line endings are LF (a CRLF is a crlf-line-endings warning)",
    "no-bom": "files start without a UTF-8 byte order mark (a BOM is a bom warning)",
    "sorted": "rows are sorted by the primary key (rows-unsorted warning)",
}


def declared_conventions(
    descriptor: dict[str, Any], inherited: frozenset[str] = frozenset()
) -> frozenset[str]:
    """The known conventions a descriptor (or resource) declares; ``inherited`` if none.

    Unknown names are left out here: validate reports them (``convention-unknown``).
    """
    raw = descriptor.get(CONVENTIONS_PROPERTY)
    if not isinstance(raw, list):
        return inherited
    return frozenset(c for c in raw if isinstance(c, str) and c in CONVENTIONS)


def bundled_package_path() -> Path:
    """The package's own ``datapackage.json``: bundled in the wheel, or the checkout's."""
    here = Path(__file__).resolve().parent.parent
    bundled = here / "_data" / "datapackage.json"
    if bundled.is_file():
        return bundled
    checkout = here.parent.parent / "datapackage.json"
    if checkout.is_file():
        return checkout
    raise DescriptorError("the bundled data package is missing from this installation")


def read_package(path: str | Path | None = None) -> Package:
    """Read a package from a ``datapackage.json`` path or its folder (default: the bundled one)."""
    p = Path(path) if path is not None else bundled_package_path()
    p = descriptor_in(p)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise DescriptorError(f"cannot read {p}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise DescriptorError(f"{p} is not UTF-8: {e}") from e
    try:
        descriptor = parse(text, p)
    except json.JSONDecodeError as e:
        raise DescriptorError(
            f"{p} is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})"
        ) from e
    except JsonTextError as e:
        raise DescriptorError(
            f"{p} is not strict {text_format(p)}: {e.message} (line {e.line}, column {e.column})"
        ) from e
    if not isinstance(descriptor, dict):
        raise DescriptorError(f"{p} must hold a JSON object")
    return Package.from_descriptor(descriptor, p.parent)
