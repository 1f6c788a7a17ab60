"""The loading API: :func:`tables`, :func:`describe`, :func:`load` and :func:`iter_rows`.

This module imports only the standard library and the descriptor model at import time;
pyarrow, pandas and polars are imported by the functions that need them, and
frictionless and pandera only by ``load(..., validate=True)``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar, overload

from zonedata.descriptor.package import Package, Table, read_package
from zonedata.errors import (
    DataValidationError,
    ReleaseError,
    UnknownTableError,
)

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa


Backend = Literal["pandas", "polars", "arrow"]
#: The values ``load(..., backend=...)`` accepts.
BACKENDS: tuple[str, ...] = ("pandas", "polars", "arrow")
#: What ``release=`` accepts: ``None`` (bundled data), a folder or zip path, or a URL.
ReleaseLike = str | os.PathLike[str] | None

R = TypeVar("R")


@dataclass(frozen=True)
class FieldInfo:
    """One column of a table, as :func:`describe` reports it."""

    name: str
    #: The descriptor's Frictionless type: ``string``, ``integer``, ``number``, ``boolean``...
    type: str
    #: The unit of a figure (``"billion CNY"``), or ``None``.
    unit: str | None
    description: str
    title: str = ""
    #: ``False`` where a cell may be empty (``None``/``<NA>`` when loaded).
    required: bool = False
    #: Decimal places of an exact ``number`` (the scale of its decimal type), or ``None``.
    decimals: int | None = None
    #: ``True`` for a string holding an ISO 8601 date at the source's precision
    #: (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``).
    partial_date: bool = False


@lru_cache(maxsize=1)
def bundled_package() -> Package:
    """The data package shipped with zonedata (read once per process)."""
    return read_package()


def table_info(name: str, package: Package | None = None) -> Table:
    """The descriptor of table ``name``; :class:`UnknownTableError` lists the valid names."""
    pkg = package if package is not None else bundled_package()
    for t in pkg.tables:
        if t.name == name:
            return t
    raise UnknownTableError(name, pkg.table_names)


def tables() -> list[str]:
    """The names of the package's tables, in descriptor order."""
    return bundled_package().table_names


def describe(name: str) -> list[FieldInfo]:
    """The fields of table ``name``: name, type, unit, description and more."""
    return [
        FieldInfo(
            name=f.name,
            type=f.type,
            unit=None if f.unit is None else str(f.unit),
            description=f.description,
            title=f.title,
            required=f.required,
            decimals=None if f.decimals is None else int(f.decimals),
            partial_date=f.partial_date,
        )
        for f in table_info(name).fields
    ]


def read_arrow(name: str, release: ReleaseLike = None) -> tuple[pa.Table, Table, Package]:
    """Table ``name`` as an Arrow table with the descriptor's schema, its table and package."""
    if release is None:
        from zonedata.descriptor.arrow import read_csv_typed

        package = bundled_package()
        table = table_info(name, package)
        return read_csv_typed(package.file(table), table, package), table, package
    if not isinstance(release, str | os.PathLike):
        raise TypeError(f"release must be None, a path or a URL, not {type(release).__name__}")
    from zonedata.loading.release import read_table

    return read_table(release, name, fallback=bundled_package())


@overload
def load(
    name: str,
    *,
    release: ReleaseLike = None,
    backend: Literal["pandas"] = "pandas",
    validate: bool = False,
) -> pd.DataFrame: ...


@overload
def load(
    name: str, *, release: ReleaseLike = None, backend: Literal["polars"], validate: bool = False
) -> pl.DataFrame: ...


@overload
def load(
    name: str, *, release: ReleaseLike = None, backend: Literal["arrow"], validate: bool = False
) -> pa.Table: ...


@overload
def load(
    name: str, *, release: ReleaseLike = None, backend: str = "pandas", validate: bool = False
) -> pd.DataFrame | pl.DataFrame | pa.Table: ...


def load(
    name: str, *, release: ReleaseLike = None, backend: str = "pandas", validate: bool = False
) -> pd.DataFrame | pl.DataFrame | pa.Table:
    """Load table ``name`` as a pandas DataFrame (default), polars DataFrame or Arrow table.

    ``release``: ``None`` reads the data bundled with the package; a path reads a release
    folder or zip (or its ``datapackage.json``); an ``http(s)://`` URL downloads a release
    folder (or its descriptor) into the cache. Release files are verified against the
    SHA-256 recorded in the release's descriptor before they are used. Releases are read
    as hostile input (regular files only, bounded reads, a download deadline and size
    cap, same-host redirects): see :mod:`zonedata.release.reader` and docs/security.md
    for the limits and the environment variables that set them.

    Column types follow the descriptor (see :mod:`zonedata.loading.frames`): ``Int64``,
    exact ``decimal128(18, s)``, ``boolean``, and ``string`` for text and partial dates.

    ``validate=True`` also checks the result against the table's Pandera schema and the
    package's semantic rules and raises :class:`DataValidationError` on any error.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    arrow, table, _ = read_arrow(name, release)
    if validate:
        check(arrow, table, release)
    if backend == "arrow":
        return arrow
    if backend == "polars":
        from zonedata.loading.frames import to_polars

        return to_polars(arrow)
    from zonedata.loading.frames import to_pandas

    return to_pandas(arrow)


def iter_rows(
    name: str, row_types: Mapping[str, type[R]], *, release: ReleaseLike = None
) -> Iterator[R]:
    """The rows of table ``name`` as instances of ``row_types[name]`` (see ``zonedata.rows``).

    The table is read (and verified) here, before the first row is yielded.
    """
    row_type = row_types.get(name)
    if row_type is None:
        raise UnknownTableError(name, row_types)
    arrow, _, _ = read_arrow(name, release)
    expected = [f.name for f in dataclasses.fields(row_type)]  # type: ignore[arg-type]
    if arrow.column_names != expected:
        raise ReleaseError(
            f"table {name!r} has columns {arrow.column_names}, but its row type "
            f"{row_type.__name__} (generated for zonedata's own descriptor) has {expected}: "
            "use zonedata.load() for a release of another version"
        )
    return _rows(arrow, row_type)


def _rows(arrow: pa.Table, row_type: type[R]) -> Iterator[R]:
    columns = [c.to_pylist() for c in arrow.columns]
    for values in zip(*columns, strict=True):
        yield row_type(*values)


# --- validate=True ----------------------------------------------------------------------------


def check(arrow: pa.Table, table: Table, release: ReleaseLike = None) -> None:
    """Run the table's contract (:func:`zonedata.pandera_schemas.problems`) on it; raise on any error.

    The rules see every table of the same source (the bundled data, with the cells as
    the CSV files print them, or the same release), so rules across tables apply. Warnings
    (such as sources that disagree, which the package keeps by design) are not raised:
    run ``zonedata validate`` to see them. Line numbers are those of the rows in a CSV
    file (row 1 is line 2).
    """
    from zonedata.descriptor.arrow import read_csv_text
    from zonedata.loading.frames import to_pandas
    from zonedata.pandera_schemas import problems

    if release is None:
        package = bundled_package()
        references = {t.name: to_pandas(read_arrow(t.name)[0]) for t in package.tables}
        texts = {t.name: read_csv_text(package.file(t), t) for t in package.tables}
    else:
        tables, references = [table], {}
        descriptor: dict[str, object] | None = None  # the release's: its declared rules
        for name in _release_tables(release):
            if name != table.name:
                other_arrow, other, released = read_arrow(name, release)
                references[name] = to_pandas(other_arrow)
                tables.append(other)
                descriptor = released.descriptor
        if descriptor is None:
            descriptor = read_arrow(table.name, release)[2].descriptor
        package = Package(descriptor=dict(descriptor), base_path=Path("."), tables=tuple(tables))
        texts = {}
    found = problems(
        to_pandas(arrow), table.name, references=references, package=package, texts=texts
    )
    errors = [p for p in found if p.severity == "error"]
    if errors:
        raise DataValidationError(table.name, errors)


def _release_tables(release: str | os.PathLike[str]) -> list[str]:
    from zonedata.loading.release import release_tables

    return release_tables(release)
