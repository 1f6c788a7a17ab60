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

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from zonedata.model.descriptor import Table
from zonedata.validate.arrowbytes import string_bytes


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
    #: (:func:`zonedata.model.arrow.cast_column`; null where a cell was invalid): the
    #: table a release writes and ``load`` returns. ``None`` where the frames were built
    #: from elsewhere (tests, a loaded release).
    raw: pa.Table | None = field(default=None, repr=False, compare=False)
    arrow: pa.Table | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.table.name

    def decimals(self, column: str) -> pd.Series:
        """:func:`decimals_of` the text of ``column``, computed once per table and column."""
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
        """The decimals of ``column`` as kept between the rules: the counts in the
        narrowest integer type that holds them (a byte per cell, as a rule), and where
        the cell is missing."""
        key = f"decimals:{column}"
        if key not in self.cache:
            s = decimals_of(self.text[column])
            counts = np.asarray(s.to_numpy(dtype=np.int64, na_value=0), dtype=np.int64)
            top = int(counts.max()) if len(counts) else 0
            narrow = next(
                t for t in (np.int8, np.int16, np.int32, np.int64) if top <= np.iinfo(t).max
            )
            self.cache[key] = (counts.astype(narrow), s.isna().to_numpy(dtype=bool))
        return self.cache[key]

    def field_number(self, name: str) -> int:
        return self.table.field_names.index(name) + 1


#: the digits after a decimal point that ends the cell (Python ``re`` semantics)
_DECIMALS = re.compile(r"\.(\d*)$")


def decimals_of(text: pd.Series) -> pd.Series:
    """Number of printed decimal places of each numeric text cell (``<NA>`` stays ``<NA>``).

    That is the length of the match of ``\\.(\\d*)$`` (Python ``re``), 0 where it does
    not match. Vectorized over the bytes of the Arrow string buffer; the rare cells where
    a byte test and Python ``re`` could differ (non-ASCII text, in which ``\\d`` also
    matches other Unicode digits, and text with a newline, before which ``$`` also
    matches) are measured with Python ``re``.
    """
    s = text.astype("string")
    arrow = pa.array(s.array, type=pa.large_string())
    # pandas may hand over its chunked storage as it is: wrapping a ChunkedArray in a
    # list would convert it value by value (0.4 s per million cells)
    arr = arrow if isinstance(arrow, pa.ChunkedArray) else pa.chunked_array([arrow])
    # filled chunk by chunk: one array of the column's length, not two
    values = np.zeros(len(arr), dtype=np.int64)
    odd = np.zeros(len(arr), dtype=bool)
    start = 0
    for chunk in arr.chunks:
        end = start + len(chunk)
        values[start:end], odd[start:end] = _chunk_decimals(chunk)
        start = end
    missing = np.asarray(pc.is_null(arr).to_numpy(zero_copy_only=False), dtype=bool)
    for i in np.flatnonzero(odd & ~missing):
        m = _DECIMALS.search(str(s.iat[int(i)]))
        values[i] = len(m.group(1)) if m else 0
    values[missing] = 0
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=text.index, dtype="Int64")


def _chunk_decimals(a: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Decimals of each cell of one Arrow string chunk, and which cells need Python ``re``."""
    n = len(a)
    out = np.zeros(n, dtype=np.int64)
    raw = string_bytes(a)
    if raw is None:
        return out, np.zeros(n, dtype=bool)
    data, starts, ends = raw
    # each cell's last non-digit byte: the last non-digit position before the cell's end
    # (a binary search in the few non-digit positions; -1: none)
    non_digit = np.flatnonzero((data - np.uint8(ord("0"))) >= 10)
    k = np.searchsorted(non_digit, ends, side="left") - 1
    j = np.where(k >= 0, non_digit[np.maximum(k, 0)], -1) if len(non_digit) else np.full(n, -1)
    # the cell ends in "." + digits: its last non-digit is a "." inside the cell
    point = (ends > starts) & (j >= starts)
    point[point] = data[j[point]] == ord(".")
    out[point] = (ends - 1 - j)[point]
    special = (data >= 0x80) | (data == ord("\n"))
    if not special.any():
        return out, np.zeros(n, dtype=bool)
    count = np.concatenate(([0], np.cumsum(special, dtype=np.int64)))
    return out, count[ends] > count[starts]
