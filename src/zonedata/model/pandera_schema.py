"""Pandera schemas derived from the descriptor: the typed shape of each table.

:func:`pandera_schema` maps every :class:`~zonedata.model.descriptor.Field` of a table to a
``pandera`` column with the dtype the schema layer produces (see
:mod:`zonedata.validate.tabledata`), ``nullable = not required``, and checks for the
field's ``minimum``/``maximum``/``enum``/``pattern``/length constraints; the primary key
becomes a uniqueness constraint over its columns.

Pandera's own ``from_frictionless_schema`` is deliberately not used: it drops foreign
keys and partial dates, and reads optional integers as non-nullable ``int64``.

Pandera is imported inside the functions (never at module level) so that ``import
zonedata`` and ``zonedata.load`` stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zonedata.model.descriptor import Field, Table
from zonedata.model.types import rules_dtype

if TYPE_CHECKING:
    import pandera.pandas as pa


def typed_dtype(field: Field) -> str:
    """The pandas dtype of ``field`` in a typed frame (:func:`~zonedata.model.types.rules_dtype`)."""
    return rules_dtype(field)


def field_checks(field: Field) -> list[pa.Check]:
    """Pandera checks for the field's constraints (min/max, enum, pattern, length)."""
    import pandera.pandas as pa

    checks: list[pa.Check] = []
    kind = field.kind
    if field.minimum is not None and kind in ("integer", "year", "number", "date"):
        checks.append(pa.Check.ge(_bound(field, field.minimum)))
    if field.maximum is not None and kind in ("integer", "year", "number", "date"):
        checks.append(pa.Check.le(_bound(field, field.maximum)))
    if field.enum is not None:
        checks.append(pa.Check.isin(list(field.enum)))
    if field.pattern is not None and kind in ("string", "partial-date"):
        # Frictionless patterns match the whole value.
        checks.append(pa.Check.str_matches(rf"(?:{field.pattern})\Z"))
    if field.min_length is not None or field.max_length is not None:
        checks.append(pa.Check.str_length(field.min_length, field.max_length))
    return checks


def _bound(field: Field, value: Any) -> Any:
    if field.kind == "date":
        import pandas as pd

        return pd.Timestamp(value)
    return value


def pandera_column(field: Field, *, checks: bool = True) -> pa.Column:
    """The pandera column for one field (constraint checks optional)."""
    import pandera.pandas as pa

    return pa.Column(
        typed_dtype(field),
        nullable=not field.required,
        unique=field.unique,
        required=True,
        checks=field_checks(field) if checks else None,
        title=field.title or None,
        description=field.description or None,
    )


def pandera_schema(table: Table, *, checks: bool = True) -> pa.DataFrameSchema:
    """The pandera schema of ``table``'s typed frame, derived from the descriptor.

    Columns are required, in the descriptor's order, and no other column is allowed
    (``strict``); the primary key must be unique. ``checks=False`` leaves out the
    constraint checks (dtypes and nullability only).
    """
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {f.name: pandera_column(f, checks=checks) for f in table.fields},
        name=table.name,
        title=table.title or None,
        description=table.description or None,
        strict=True,
        ordered=True,
        unique=list(table.primary_key) or None,
        report_duplicates="exclude_first",
    )
