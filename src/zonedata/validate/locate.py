"""Fill in the character column of problems that name a line and a field."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from zonedata.validate.problems import Problem

#: locate at most this many problems (the rest keep column=None)
MAX_LOCATE = 10_000


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


def locate(problems: list[Problem]) -> list[Problem]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for p in problems[:MAX_LOCATE]:
        if p.path and p.line and p.field_number and p.column is None:
            wanted[p.path].add(p.line)
    if not wanted:
        return problems
    lines: dict[tuple[str, int], str] = {}
    for path, nums in wanted.items():
        last = max(nums)
        try:
            # binary: lines end at b"\n" only, as the structure layer counts them
            with Path(path).open("rb") as fh:
                for i, raw in enumerate(fh, start=1):
                    if i in nums:
                        text = raw.decode("utf-8", errors="replace")
                        lines[(path, i)] = text.rstrip("\r\n")
                    if i >= last:
                        break
        except OSError:
            continue
    out = []
    for i, p in enumerate(problems):
        if i < MAX_LOCATE and p.path and p.line and p.field_number and p.column is None:
            found = lines.get((p.path, p.line))
            if found is not None:
                p = p.with_(column=cell_column(found, p.field_number))
        out.append(p)
    return out


__all__ = ["cell_column", "locate"]
