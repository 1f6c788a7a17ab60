"""What a release cannot publish as it stands, reported by ``validate`` at its place.

``zonedata release`` writes whatever ``validate`` accepts; the few things a release
cannot write are reported here, so that they are never an unlocated stop of the build:

- a version whose part of the release's file names (:func:`zonedata.names.version_stem`)
  is longer than :data:`MAX_VERSION_LENGTH` (``version-too-long``): the release's folder,
  zip and database are named ``<name>-<version>``;
- a version with characters a file name should not hold (``version-unusable``): only a
  warning, since a release names its files safely anyway, by the version's escaped stem
  (``1.0 beta`` gives ``<name>-1.0~20beta``; two versions never share a stem), and its
  descriptor keeps the version as written. ``zonedata release --version`` chooses
  another; a version given there must be usable as it stands (a usage error otherwise);
- a table named like the release database's own catalogue tables (``_tables``,
  ``_fields``) or like SQLite's reserved names (``sqlite_...``) (``name-reserved``);
- two fields of a table whose names differ only in case (``field-name-twin``): SQLite
  does not tell them apart;
- a field name that a spreadsheet would run as a formula (``field-name-formula``): it
  heads a column of the release's CSV files.

The release (:mod:`zonedata.release.build`) takes its version rule from here; the
database's catalogue names are :mod:`zonedata.descriptor.sqlite_schema`'s.
"""

from __future__ import annotations

import re
import string
from typing import Any

from zonedata.descriptor.package import Package, Table
from zonedata.descriptor.sqlite_schema import CATALOGUE_TABLES
from zonedata.names import is_usable_version, version_stem
from zonedata.problems import Problem, make

#: The longest part of a release's file names a version may give (its stem).
MAX_VERSION_LENGTH = 64
#: A version usable in a file name (``1.2.0``, ``2026.03``, ``1.0.0rc1``).
VERSION_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]*")
#: Every field type a release writes (all of Frictionless' Table Schema types): the
#: release reader accepts a release descriptor's field of any of them.
RELEASE_FIELD_TYPES = frozenset(
    {
        "string", "number", "integer", "boolean", "object", "array", "list", "date", "time",
        "datetime", "year", "yearmonth", "duration", "geopoint", "geojson", "any",
    }
)  # fmt: skip
#: The first characters of a text a spreadsheet runs as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: SQLite tells names apart by case for ASCII letters only.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def version_problem(version: str) -> str | None:
    """Why ``version`` cannot name a release's files as it stands, or None when it can."""
    return length_problem(version) or (
        None
        if is_usable_version(version)
        else (
            "is not a usable release version: use letters, digits, '.', '+', '_' and '-', "
            "starting with a letter or digit"
        )
    )


def length_problem(version: str) -> str | None:
    """Why ``version`` is too long to name a release's files even escaped, or None."""
    stem = version_stem(version)
    if len(stem) <= MAX_VERSION_LENGTH:
        return None
    if stem == version:
        return (
            f"is {len(version)} characters long; a release version has at most {MAX_VERSION_LENGTH}"
        )
    return (
        f"names a release's files by {len(stem)} characters ({stem[:40]}...); a release "
        f"version has at most {MAX_VERSION_LENGTH}"
    )


def is_formula_name(name: str) -> bool:
    """Whether a field name would run as a formula at the head of a CSV column."""
    return name.lstrip(" \u00a0\u3000").startswith(FORMULA_STARTS)


def check_version(descriptor: dict[str, Any], shown: str) -> list[Problem]:
    """The package's version, if it has one, can name a release."""
    version = descriptor.get("version")
    if not isinstance(version, str) or not version:
        return []
    problem = length_problem(version)
    if problem is not None:
        message = f"The version {version[:40]!r} at property 'version' {problem}."
        return [make("version-too-long", message, path=shown)]
    if is_usable_version(version):
        return []
    stem = version_stem(version)
    return [
        make(
            "version-unusable",
            f"The version {version[:40]!r} at property 'version' holds characters a file "
            "name should not (use "
            "letters, digits, '.', '+', '_' and '-', starting with a letter or digit); a "
            f"release names its files by the escaped {stem!r} instead.",
            path=shown,
            value=stem,
        )
    ]


def check_publishable(package: Package, shown: str) -> list[Problem]:
    """The version, every table's name and field names can be written by a release."""
    return check_version(package.descriptor, shown) + check_tables(package, shown)


def check_tables(package: Package, shown: str) -> list[Problem]:
    """Every table's name and field names can be written by a release (see the module)."""
    out: list[Problem] = []
    for table in package.tables:
        out += _table_name_problems(table, shown) + _field_name_problems(table, shown)
    return out


def is_reserved(name: str) -> bool:
    """Whether a table name is one the release's SQLite database keeps for itself."""
    return name in CATALOGUE_TABLES or name.startswith("sqlite_")


def _table_name_problems(table: Table, shown: str) -> list[Problem]:
    name = table.name
    if is_reserved(name):
        return [
            make(
                "name-reserved",
                f"Resource name {name!r} is reserved by the release's SQLite database "
                f"({', '.join(CATALOGUE_TABLES)} and sqlite_...); rename the table.",
                table=name,
                path=shown,
            )
        ]
    return []


def _field_name_problems(table: Table, shown: str) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[str, str] = {}
    for f in table.fields:
        if is_formula_name(f.name):
            out.append(
                make(
                    "field-name-formula",
                    f"Field name {f.name[:60]!r} of {table.name!r} starts like a spreadsheet "
                    "formula (=, +, -, @, a tab or a carriage return); rename the field.",
                    table=table.name,
                    path=shown,
                    field=f.name,
                )
            )
        twin = seen.setdefault(f.name.translate(_ASCII_LOWER), f.name)
        if twin != f.name:
            out.append(
                make(
                    "field-name-twin",
                    f"Fields {twin[:60]!r} and {f.name[:60]!r} of {table.name!r} differ only in "
                    "case, which SQLite does not tell apart; rename one.",
                    table=table.name,
                    path=shown,
                    field=f.name,
                )
            )
    return out
