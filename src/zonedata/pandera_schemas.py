"""The contract of each table as a Pandera schema, on the frame ``zonedata.load`` returns.

>>> import zonedata
>>> from zonedata.pandera_schemas import schema
>>> name = zonedata.tables()[0]  # any table of the package
>>> schema(name).validate(zonedata.load(name), lazy=True)  # raises SchemaErrors if broken

:func:`schema` gives one check per rule code of ``zonedata validate`` that applies to a
table: the schema layer's codes (``constraint-minimum``, ``foreign-key-dangling``...) and
the codes of the semantic rules the package declares in its ``zonedata:rules``
(:mod:`zonedata.validate.declarations`), in the order declared. Each check is named by
its rule code and computed by the command line's own implementation of the rule (the
schema layer's column checks, the key checks and the declared rules), run on the frame
given: so ``schema(name).validate(load(name))`` fails on the same rows, with the same
codes, as ``zonedata validate`` on the same data. Rules whose severity is ``warning``
(the catalogue's, or the declaration's) are Pandera warnings (``raise_warning``), not
errors. Column dtypes are those of
:func:`zonedata.descriptor.fieldtypes.pandas_dtype` (what ``load`` returns).

Rules that need other tables (foreign keys, conversions against a table of rates, ranks
against values, citations) read them from ``references``: a mapping of
table name to a frame as ``load`` returns it. Without ``references``, the tables of the
bundled package are used. Row ``i`` of a frame (0-based position) is line ``i + 2`` of a
CSV file: :func:`problems` gives the command line's records with those lines.

Pandera, pandas and pyarrow are imported when a schema is built, never by ``import
zonedata``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from zonedata.descriptor.package import Package, Table, read_package
from zonedata.loading.api import load
from zonedata.problems import RULES, Problem, Severity
from zonedata.validate.declarations import declarations

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pdr
    import pyarrow as pa

    from zonedata.validate.tabledata import TableData

#: a file-layer rule that is about rows, not bytes
ROW_RULES = ("rows-unsorted",)


def schema(
    name: str,
    *,
    references: Mapping[str, pd.DataFrame] | None = None,
    package: Package | None = None,
    strict: bool = False,
) -> pdr.DataFrameSchema:
    """The Pandera schema of table ``name``: ``load``'s dtypes and every rule, by code.

    ``strict=True`` makes the rules whose severity is ``warning`` errors, as ``zonedata
    validate --strict`` does. ``package``: another version of the descriptor (default:
    the bundled one).
    """
    import pandera.pandas as pdr

    from zonedata.descriptor.fieldtypes import arrow_type, pandas_dtype

    pkg = package if package is not None else read_package()
    table = pkg.table(name)
    columns = {
        f.name: pdr.Column(
            pandas_dtype(arrow_type(f)),
            nullable=True,  # required fields: the required-missing check, by its code
            title=f.title or None,
            description=" ".join(f.description.split()) or None,
            metadata={"unit": f.unit} if f.unit else None,
        )
        for f in table.fields
    }
    run = _Run(table, pkg, references)
    checks = [
        _rule_check(code, severity, run, strict=strict)
        for code, severity in rule_codes(pkg).items()
    ]
    return pdr.DataFrameSchema(
        columns,
        checks=checks,
        name=table.name,
        title=table.title or None,
        description=table.description or None,
        strict=True,
        ordered=True,
    )


def rule_codes(package: Package | None = None) -> dict[str, Severity]:
    """The rule codes a table's schema checks and their severities: the schema layer's,
    in the order ``RULES`` declares them, then those the package (default: the bundled
    one) declares in ``zonedata:rules``, in the order declared."""
    pkg = package if package is not None else read_package()
    codes: dict[str, Severity] = {
        c: r.severity for c, r in RULES.items() if r.layer == "schema" or c in ROW_RULES
    }
    for d in declarations(pkg):
        outputs = [(d.code, d.severity)]
        outputs += [(o[0], o[1]) for n in ("warning", "interval") if (o := d.output(n))]
        for code, severity in outputs:
            codes.setdefault(code, severity)
    return codes


class _Run:
    """The command line's problems for the frame a schema is validating, computed once for
    all of the schema's checks (Pandera hands each check the same frame)."""

    def __init__(
        self, table: Table, package: Package, references: Mapping[str, pd.DataFrame] | None
    ) -> None:
        self.table, self.package, self.references = table, package, references
        self._frame: pd.DataFrame | None = None
        self._lines: dict[str, set[int | None]] = {}

    def lines(self, frame: pd.DataFrame, code: str) -> set[int | None]:
        """The lines of ``frame`` (row i = line i + 2) that break rule ``code``."""
        if frame is not self._frame:
            found = problems(
                frame, self.table.name, references=self.references, package=self.package
            )
            self._lines = {}
            for p in found:
                self._lines.setdefault(p.code, set()).add(p.line)
            self._frame = frame
        return self._lines.get(code, set())


def _rule_check(code: str, severity: Severity, run: _Run, *, strict: bool) -> pdr.Check:
    import pandas as pd
    import pandera.pandas as pdr

    def passes(frame: pd.DataFrame) -> pd.Series[bool]:
        lines = run.lines(frame, code)
        row_lines = pd.RangeIndex(2, len(frame) + 2)
        return pd.Series(~row_lines.isin(list(lines)), index=frame.index)

    warning = severity == "warning" and not strict
    return pdr.Check(passes, name=code, error=code, raise_warning=warning)


def problems(
    frame: pd.DataFrame,
    name: str,
    *,
    references: Mapping[str, pd.DataFrame] | None = None,
    package: Package | None = None,
    texts: Mapping[str, pa.Table] | None = None,
) -> list[Problem]:
    """What ``zonedata validate`` reports for table ``name`` holding ``frame``'s rows.

    Row ``i`` of the frame is reported at line ``i + 2``. ``references``: the other tables
    (frames as ``load`` returns them); default: the bundled package's. ``texts``: the cells
    of some of these tables as their CSV files print them (see
    :func:`zonedata.descriptor.arrow.read_csv_text`); without it, the text is derived from the
    values (:func:`text_table`), which cannot tell ``169.50`` from ``169.5``: the rules that
    read printed decimals (the tolerance of a USD conversion) are then judged on the
    shortest form.
    """
    from zonedata.validate.schema_checks import check_foreign_keys
    from zonedata.validate.semantic import check_semantics

    pkg = package if package is not None else read_package()
    table = pkg.table(name)
    texts = texts or {}
    td, found = _table_data(frame, table, texts.get(name))
    data = {name: td}
    for other in pkg.tables:
        if other.name != name:
            ref = _reference(other.name, references)
            if ref is not None:
                data[other.name] = _table_data(ref, other, texts.get(other.name))[0]
    found += check_foreign_keys(
        {n: d for n, d in data.items() if n == name or _referenced(table, n)}
    )
    found += check_semantics(data, package=pkg)
    return [p for p in found if p.table == name]


def _referenced(table: Table, other: str) -> bool:
    return any(fk.resource == other for fk in table.foreign_keys)


def _reference(name: str, references: Mapping[str, pd.DataFrame] | None) -> pd.DataFrame | None:
    if references is not None:
        return references.get(name)
    return load(name)


def _table_data(
    frame: pd.DataFrame, table: Table, text: pa.Table | None = None
) -> tuple[TableData, list[Problem]]:
    """The schema layer's checks of ``frame``'s rows, as if read from the table's file."""
    import numpy as np
    import pyarrow as pa

    from zonedata.validate.schema_checks import check_records

    if text is None or text.num_rows != len(frame):
        raw = text_table(frame, table)
    else:
        raw = pa.Table.from_arrays(
            [c.cast(pa.large_string()) for c in text.columns], names=text.column_names
        )
    lines = np.arange(2, raw.num_rows + 2, dtype=np.int64)
    return check_records(raw, lines, table, table.path, table.path)


def text_table(frame: pd.DataFrame, table: Table) -> pa.Table:
    """The CSV text of a typed frame's cells (null where missing): decimals without the
    trailing zeros of their scale, booleans as the field's first true/false value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for f in table.fields:
        col = pa.array(frame[f.name].array) if f.name in frame else pa.nulls(len(frame))
        if pa.types.is_boolean(col.type):
            text = pc.if_else(col, f.true_values[0], f.false_values[0])
        elif pa.types.is_decimal(col.type):
            text = pc.replace_substring_regex(pc.cast(col, pa.string()), r"\.?0+$", "")
            text = pc.if_else(
                pc.match_substring(pc.cast(col, pa.string()), "."), text, pc.cast(col, pa.string())
            )
        else:
            text = pc.cast(col, pa.string())
        columns.append(pc.cast(text, pa.large_string()))
    return pa.Table.from_arrays(columns, names=table.field_names)
