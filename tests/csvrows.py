"""The package's CSV rows as text, for tests that pin facts: rows, find, one."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@cache
def rows(table: str) -> list[dict[str, str]]:
    with (REPO / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def find(table: str, **where: str) -> list[dict[str, str]]:
    return [r for r in rows(table) if all(r[k] == v for k, v in where.items())]


def one(table: str, **where: str) -> dict[str, str]:
    found = find(table, **where)
    assert len(found) == 1, f"{table} {where}: expected one row, found {len(found)}"
    return found[0]
