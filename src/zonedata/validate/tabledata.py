"""The data a table hands from the schema layer to the semantic rules.

``text`` holds every cell as the file gives it (missing cells as ``<NA>``) and ``typed``
the same cells parsed into their field types (cells that did not parse are ``<NA>``).
Both frames are indexed by the 1-based physical line of the row in the file, so a rule
that finds a bad row reports ``line=index`` and the problem points at the right line.

Typed pandas dtypes: integer/year -> ``Int64``; number -> ``Float64`` (the exact text is
in ``text``: use it for decimal places); boolean -> ``boolean``; string and partial dates
-> ``string``; date -> ``datetime64[s]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from zonedata.descriptor.package import Table
from zonedata.validate.numbers import printed_decimals


@dataclass
class TableData:
    table: Table
    path: Path
    display_path: str
    text: pd.DataFrame
    typed: pd.DataFrame
    #: long columns with few distinct values, as the schema layer checked them: the
    #: distinct values and each row's position among them (null where the cell is missing)
    distinct: dict[str, tuple[pa.Array, pa.ChunkedArray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    #: per-column results computed on demand and shared by the rules (see :meth:`decimals`)
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: the cells as parsed (strings), and cast to the release types
    #: (:func:`zonedata.descriptor.arrow.cast_column`; null where a cell was invalid): the
    #: table a release writes and ``load`` returns. ``None`` where the frames were built
    #: from elsewhere (tests, a loaded release).
    raw: pa.Table | None = field(default=None, repr=False, compare=False)
    arrow: pa.Table | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.table.name

    def decimals(self, column: str) -> pd.Series:
        """The printed decimals of each cell of ``column`` (``<NA>`` where the cell is missing
        or not a number; :mod:`zonedata.validate.numbers`), computed once per table and
        column (by the schema layer, for a number column)."""
        counts, missing = self._decimals(column)
        values = pd.arrays.IntegerArray(counts.astype(np.int64), missing.copy())
        return pd.Series(values, index=self.text.index, dtype="Int64")

    def decimals_at(self, column: str, pos: np.ndarray) -> np.ndarray:
        """:meth:`decimals` of the rows at positions ``pos``, as float64 (NaN where
        missing): what the rules' arithmetic takes, without a column of every row."""
        counts, missing = self._decimals(column)
        out: np.ndarray = counts[pos].astype(np.float64)
        out[missing[pos]] = np.nan
        return out

    def _decimals(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """The decimals of ``column`` as kept between the rules (:func:`kept_decimals`);
        the schema layer leaves those of its number columns here."""
        key = f"decimals:{column}"
        if key not in self.cache:
            counts, none = printed_decimals(pa.array(self.text[column].astype("string").array))
            self.cache[key] = kept_decimals(counts, none)
        return self.cache[key]

    def field_number(self, name: str) -> int:
        return self.table.field_names.index(name) + 1


def kept_decimals(counts: np.ndarray, none: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Printed decimals as kept between the rules: the counts in the narrowest integer type
    that holds them (a byte per cell, as a rule; 0 where there are none), and where there
    are none."""
    counts = np.where(none, 0, counts)
    lo, hi = (int(counts.min()), int(counts.max())) if len(counts) else (0, 0)
    narrow = next(
        t
        for t in (np.int8, np.int16, np.int32, np.int64)
        if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max
    )
    return counts.astype(narrow), none
