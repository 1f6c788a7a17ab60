"""Read one table of a release as Arrow: what ``zonedata.load(release=...)`` needs.

The release's files are read and verified by :mod:`zonedata.release.reader` (a folder,
a zip or an http(s) URL; bounded reads, regular files only, download deadline and size
cap, a private cache whose files are verified on every use): see that module for the
limits and the environment variables that set them. This module only turns the
verified Parquet bytes into an Arrow table with the descriptor's schema.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from zonedata.descriptor.package import Package, Table
from zonedata.errors import DescriptorError, ReleaseError
from zonedata.release.reader import (
    check_names,
    check_unambiguous,
    file_spec,
    find_resource,
    is_parquet,
    open_release,
    read_parquet,
)

if TYPE_CHECKING:
    import pyarrow as pa


def release_tables(release: str | os.PathLike[str]) -> list[str]:
    """The names of a release's tables (its Parquet resources), in descriptor order."""

    with open_release(release) as files:
        descriptor = files.descriptor()
        check_names(descriptor, files.display(files.descriptor_name))
    return [
        str(r.get("name"))
        for r in descriptor["resources"]
        if isinstance(r, Mapping) and is_parquet(r)
    ]


def read_table(
    release: str | os.PathLike[str], name: str, fallback: Package | None = None
) -> tuple[pa.Table, Table, Package]:
    """Read table ``name`` of a release as an Arrow table with the descriptor's schema.

    The table's schema comes from the release descriptor (falling back to ``fallback``'s
    table of the same name when the resource has none). The Parquet file's columns must
    have exactly the types :func:`zonedata.descriptor.arrow.arrow_schema` gives.
    """
    import pyarrow as pa

    from zonedata.descriptor.arrow import arrow_schema

    with open_release(release) as source:
        descriptor = source.descriptor()
        check_unambiguous(source)
        where = source.display(source.descriptor_name)
        check_names(descriptor, where)
        resource = find_resource(descriptor, name, source.location)
        spec = file_spec(resource, source.location)
        try:
            if isinstance(resource.get("schema"), Mapping):
                table = Table.from_descriptor(dict(resource))
            elif fallback is not None:
                table = fallback.table(name)
            else:
                raise ReleaseError(f"{source.location}: resource {name!r} has no schema")
        except (DescriptorError, KeyError) as e:
            raise ReleaseError(f"{source.location}: resource {name!r}: {e}") from e
        package = Package(descriptor=descriptor, base_path=Path("."), tables=(table,))
        data = source.read_verified(spec)
        shown = f"{source.location} ({spec.path})"
        cap = source.limits.max_file_bytes
    raw = read_parquet(data, shown, max_bytes=cap)  # its caps checked before it is expanded
    schema = arrow_schema(table, package)
    if raw.column_names != schema.names:
        raise ReleaseError(
            f"{shown}: columns {raw.column_names} differ from the descriptor's {schema.names}"
        )
    for target in schema:
        actual = raw.schema.field(target.name).type
        if actual != target.type:
            raise ReleaseError(
                f"{shown}: column {target.name!r} is {actual}, the descriptor says {target.type}"
            )
    result = pa.Table.from_arrays(raw.columns, schema=schema)
    return result, table, package
