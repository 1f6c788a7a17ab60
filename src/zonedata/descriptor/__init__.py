"""The data model: the Frictionless descriptor read into typed objects.

``datapackage.json`` is the single source of truth for every table's columns, types
and constraints. Everything else (Arrow schemas, Pandera schemas, row types, docs)
is derived from :class:`Package` here.
"""

from zonedata.descriptor.package import (
    DescriptorError,
    Field,
    ForeignKey,
    Package,
    Table,
    bundled_package_path,
    read_package,
)

__all__ = [
    "DescriptorError",
    "Field",
    "ForeignKey",
    "Package",
    "Table",
    "bundled_package_path",
    "read_package",
]
