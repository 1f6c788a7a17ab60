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

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zonedata.model.descriptor import Table


@dataclass
class TableData:
    table: Table
    path: Path
    display_path: str
    text: pd.DataFrame
    typed: pd.DataFrame

    @property
    def name(self) -> str:
        return self.table.name

    def field_number(self, name: str) -> int:
        return self.table.field_names.index(name) + 1


def decimals_of(text: pd.Series) -> pd.Series:
    """Number of printed decimal places of each numeric text cell (``<NA>`` stays ``<NA>``)."""
    s = text.astype("string")
    frac = s.str.extract(r"\.(\d*)$", expand=False)
    out = frac.str.len().astype("Int64")
    return out.where(s.isna() | frac.notna(), 0).astype("Int64")
