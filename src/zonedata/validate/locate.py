"""Fill in the character column of problems that name a line and a field."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from zonedata import safeio
from zonedata.errors import InputError
from zonedata.limits import current_limits
from zonedata.problems import Problem

#: locate at most this many problems (the rest keep column=None)
MAX_LOCATE = 10_000
#: bytes searched for line ends at a time
_BLOCK = 1 << 22


def cell_column(line_text: str, field_number: int, delimiter: str = ",") -> int | None:
    """1-based character column where cell ``field_number`` starts in a CSV line."""
    cell, quoted = 1, False
    if field_number == 1:
        return 1
    for i, ch in enumerate(line_text):
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            cell += 1
            if cell == field_number:
                return i + 2
    return None


def _lines_at(data: bytes, nums: set[int]) -> dict[int, str]:
    """The text of the 1-based lines ``nums`` of ``data`` (lines end at ``\\n``).

    The line ends come from vectorized passes over the bytes (a Python loop over a
    million lines takes about 0.3 s), a block of :data:`_BLOCK` bytes at a time: a mask
    of the whole file at once would cost a byte per byte of it (57 MB for a 1M-row file).
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    blocks = [
        np.flatnonzero(raw[start : start + _BLOCK] == ord("\n")) + start
        for start in range(0, len(raw), _BLOCK)
    ]
    ends = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64)
    found = {}
    for i in nums:
        start = 0 if i == 1 else int(ends[i - 2]) + 1 if i - 2 < len(ends) else len(data)
        if i < 1 or start >= len(data):
            continue
        end = int(ends[i - 1]) if i - 1 < len(ends) else len(data)
        found[i] = data[start:end].decode("utf-8", errors="replace").rstrip("\r\n")
    return found


def locate(problems: list[Problem], skip: set[str] | frozenset[str] = frozenset()) -> list[Problem]:
    """Fill in the column of problems with a line and a field, except in files ``skip``."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for p in problems[:MAX_LOCATE]:
        if p.path and p.line and p.field_number and p.column is None and p.path not in skip:
            wanted[p.path].add(p.line)
    if not wanted:
        return problems
    lines: dict[tuple[str, int], str] = {}
    for path, nums in wanted.items():
        try:  # as the file layer read it: a regular file, bounded, never blocking
            data = safeio.read_regular(Path(path), current_limits().max_file_bytes)
        except (InputError, ValueError):
            continue
        lines.update(((path, i), text) for i, text in _lines_at(data, nums).items())
    out = []
    for i, p in enumerate(problems):
        if i < MAX_LOCATE and p.path and p.line and p.field_number and p.column is None:
            found = lines.get((p.path, p.line)) if p.path not in skip else None
            if found is not None:
                p = p.with_(column=cell_column(found, p.field_number))
        out.append(p)
    return out


__all__ = ["cell_column", "locate"]
