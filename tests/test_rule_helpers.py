"""Unit tests of the vectorized helpers the semantic rules share (rules/_base.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from zonedata.descriptor.package import Table
from zonedata.validate.numbers import printed_decimals
from zonedata.validate.rules._base import (
    after_partial,
    bool_array,
    known,
    line_frame,
    lookup,
    on_distinct,
    passes,
    starts_with_any,
)
from zonedata.validate.tabledata import TableData


@pytest.mark.parametrize(
    "mask",
    [
        pd.Series([True, None, False], dtype="boolean"),
        pd.Series([True, None, False], dtype=pd.ArrowDtype(pa.bool_())),
        pd.Series([True, pd.NA, False], dtype=object),
        pd.Series(pd.array(["a", None, "b"], dtype="string")) == "a",
    ],
)
def test_known_and_passes_fill_missing_their_way(mask: pd.Series) -> None:
    assert known(mask).tolist() == [True, False, False]
    assert passes(mask).tolist() == [True, True, False]
    assert known(mask).dtype == bool and passes(mask).dtype == bool


def test_bool_array_keeps_plain_numpy_and_index() -> None:
    arr = np.array([True, False])
    assert bool_array(arr, True) is arr
    s = pd.Series([True, None], dtype="boolean", index=[10, 11])
    assert known(s).index.tolist() == [10, 11]


def _starts_reference(values: list[str | None], chars: str) -> list[bool]:
    return [v is not None and v[:1] in set(chars) and v != "" for v in values]


VALUES = ["=SUM(A1)", "+1", "-x", "@me", "ok", "", None, "é=", "=é", " =x", "中文", "@"]


@pytest.mark.parametrize("dtype", ["string", "str", object])
def test_starts_with_any_matches_python(dtype: object) -> None:
    s = pd.Series(VALUES, dtype=dtype, index=range(100, 100 + len(VALUES)))
    got = starts_with_any(s, "=+-@")
    assert got.tolist() == _starts_reference(VALUES, "=+-@")
    assert got.index.tolist() == s.index.tolist()


def test_starts_with_any_on_sliced_and_chunked_arrow_storage() -> None:
    large = pa.large_string()
    chunks = pa.chunked_array([pa.array(VALUES[:5], large), pa.array(VALUES[5:], large)])
    s = pd.Series(pd.arrays.ArrowStringArray(chunks))
    assert starts_with_any(s, "=+-@").tolist() == _starts_reference(VALUES, "=+-@")
    sliced = s.iloc[3:9]
    assert starts_with_any(sliced, "=").tolist() == _starts_reference(VALUES[3:9], "=")


def test_after_partial_agrees_with_comparison_at_each_precision() -> None:
    """String order against today equals the comparison at the value's own precision."""
    today = dt.date(2026, 11, 28)
    limit = today.isoformat()
    values: list[str | None] = [None, "2026-13", "garbage", "20261"]
    for year, month, day in itertools.product((2025, 2026, 2027), (1, 10, 11, 12), (1, 27, 28, 29)):
        values += [f"{year}", f"{year}-{month:02d}", f"{year}-{month:02d}-{day:02d}"]

    def reference(v: str | None) -> bool:
        if v is None or v in ("garbage", "20261"):
            return False
        if len(v) == 4:
            return int(v) > today.year
        y, m = int(v[:4]), int(v[5:7])
        if len(v) == 7:
            return (y, m) > (today.year, today.month)
        return dt.date(y, m, int(v[8:])) > today

    s = pd.Series(values, dtype="string")
    assert after_partial(s, limit).tolist() == [reference(v) for v in values]


def test_on_distinct_spreads_the_verdict_and_leaves_missing_false() -> None:
    calls: list[int] = []

    def check(u: pd.Series) -> pd.Series:
        calls.append(len(u))
        return u.str.len() > 1

    s = pd.Series(["a", "bb", None, "a", "bb", "ccc"], dtype="string")
    assert on_distinct(s, check).tolist() == [False, True, False, False, True, True]
    assert calls == [3]


def test_lookup_finds_positions_once_per_distinct_key() -> None:
    keys = pd.Series(["r2", None, "r9", "r1", "r2"], dtype="string")
    targets = pd.Series(["r1", "r2", "r3"], dtype="string")
    assert lookup(keys, targets).tolist() == [1, -1, -1, 0, 1]
    assert lookup(pd.Series([None, None], dtype="string"), targets).tolist() == [-1, -1]
    assert lookup(pd.Series([], dtype="string"), targets).tolist() == []


def test_line_frame_keeps_complete_rows_with_their_lines_and_positions() -> None:
    table = Table.from_descriptor(
        {
            "name": "t",
            "path": "t.csv",
            "schema": {
                "fields": [{"name": "a", "type": "integer"}, {"name": "x", "type": "number"}]
            },
        }
    )
    text = pd.DataFrame(
        {"a": ["1", None, "3", "4"], "x": ["1.5", "2", None, "4.25"]},
        index=pd.Index([2, 3, 4, 5], name="line"),
        dtype="string",
    )
    typed = pd.DataFrame(
        {
            "a": pd.array([1, None, 3, 4], dtype="Int64"),
            "x": pd.array([1.5, 2.0, None, 4.25], dtype="Float64"),
        },
        index=text.index,
    )
    td = TableData(table, Path("t.csv"), "t.csv", text, typed)
    frame = line_frame(
        td, ["a", "x"], text=["x"], decimals=["x"], positions=True, complete=["a", "x"]
    )
    assert frame.index.tolist() == [2, 5]
    assert frame["_line"].tolist() == [2, 5] and frame["_pos"].tolist() == [0, 3]
    assert frame["x__text"].tolist() == ["1.5", "4.25"] and frame["x__dec"].tolist() == [1, 2]
    whole = line_frame(td, ["a"])
    assert whole.index.tolist() == [2, 3, 4, 5] and whole["a"].isna().sum() == 1
    whole.loc[2, "a"] = 99  # a frame of its own: the table's data is not changed
    assert td.typed.at[2, "a"] == 1


def test_printed_decimals_on_chunked_arrow_storage() -> None:
    chunks = pa.chunked_array([pa.array(["1.50", None]), pa.array(["7", "2.", "3.125", "x"])])
    counts, none = printed_decimals(chunks.cast(pa.large_string()))
    assert counts.tolist() == [2, 0, 0, 0, 3, 0] and none.tolist() == [0, 1, 0, 0, 0, 1]


def _printed(cell: str | None) -> int | None:
    """The printed decimals of a cell, the slow way: a number's digits after its point
    less its exponent; ``None`` for a missing cell or one that is not a number."""
    import re

    if cell is None:
        return None
    m = re.fullmatch(r"[+-]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?", cell)
    if cell in ("NaN", "INF", "-INF", "nan", "inf", "-inf"):
        return 0
    if m is None or not (m.group(1) or m.group(2)):
        return None
    digits = (m.group(3) or "").lstrip("+-").lstrip("0")
    exponent = int(m.group(3)) if m.group(3) and len(digits) <= 9 else 0
    return len(m.group(2) or "") - exponent


def test_printed_decimals_agree_with_python_on_random_cells() -> None:
    """The vectorized count (byte test, then Arrow for the rest) against :func:`_printed`."""
    import random

    rng = random.Random(5)
    alphabet = ["0", "7", ".", "-", "+", "e", "E", "a", " ", "\n", "٣", "é", ""]
    cells: list[str | None] = ["", ".", "1.", ".5", "1.2.3", "a.12", "1.5\n", "1.٣", None]
    cells += ["1.5e3", "2.5E-3", "1e+05", "+.5e-2", "NaN", "-inf", "1e1234567890", "12."]
    cells += ["1e0000000001", "1.5e-0000000009", "0e400", "1e000"]
    cells += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7))) for _ in range(3000)]
    cells += [None if rng.random() < 0.1 else c for c in cells[:500]]
    large = pa.large_string()
    chunks = pa.chunked_array([pa.array(cells[:1000], large), pa.array(cells[1000:], large)])
    want = [_printed(c) for c in cells]
    assert sum(w is not None and w < 0 for w in want) >= 5  # exponents were drawn
    for arrow, expected in ((chunks, want), (chunks.slice(777, 1445), want[777:2222])):
        counts, none = printed_decimals(arrow)
        got = [None if n else int(c) for c, n in zip(counts, none, strict=True)]
        assert got == expected


def test_kept_decimals_narrow_to_what_holds_them() -> None:
    from zonedata.validate.tabledata import kept_decimals

    for values, dtype in (([2, 0, 3], "int8"), ([-2, 127], "int8"), ([-400, 6], "int16")):
        counts, none = kept_decimals(np.array(values), np.zeros(len(values), dtype=bool))
        assert counts.dtype == dtype and counts.tolist() == values
    counts, none = kept_decimals(np.array([5, 99999]), np.array([False, True]))
    assert counts.dtype == "int8" and counts.tolist() == [5, 0] and none.tolist() == [0, 1]


@pytest.mark.parametrize("rows", [100, 20_000])
def test_schema_layer_decimals_over_distinct_values_are_the_rows(rows: int) -> None:
    """A long column of few distinct values is checked once per value
    (schema_checks._Column); its decimals, spread back to the rows, are each cell's."""
    from zonedata.validate import schema_checks as sc

    rng = np.random.default_rng(1)
    pool = np.array(["1.5", "2.25e1", "7", "x", "-0.125", "3e-2"], dtype=object)
    cells = list(pool[rng.integers(0, len(pool), rows)])
    for i in rng.integers(0, rows, rows // 10):
        cells[i] = None
    col = pa.chunked_array([pa.array(cells[: rows // 2]), pa.array(cells[rows // 2 :])])
    column = sc._Column(col.cast(pa.large_string()))
    assert (column.indices is not None) == (rows >= sc.ENCODE_MIN_ROWS)
    found = sc.numbers(column.values, integer=False)
    counts, none = column.expand_numpy(found.decimals, ~found.ok)
    want_counts, want_none = printed_decimals(col)
    assert none.tolist() == want_none.tolist()
    assert counts[~none].tolist() == want_counts[~want_none].tolist()
    empty = sc._Column(pa.chunked_array([pa.array([None] * rows, pa.large_string())]))
    e_counts, e_none = empty.expand_numpy(*_no_decimals(empty))
    assert len(e_counts) == rows and e_none.all()


def _no_decimals(column: object) -> tuple[np.ndarray, np.ndarray]:
    from zonedata.validate import schema_checks as sc

    found = sc.numbers(column.values, integer=False)  # type: ignore[attr-defined]
    return found.decimals, ~found.ok


def test_decimals_of_a_table_are_the_schema_layers(
    package_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schema layer leaves its count of a number column's decimals for the rules; the
    count from the text (for frames built elsewhere) is the same."""
    from zonedata.validate import engine

    seen: dict[str, TableData] = {}

    def keep(data: dict[str, TableData], *args: object) -> list[object]:
        seen.update(data)
        return []

    monkeypatch.setattr(engine, "_semantic", keep)
    engine.validate_package(package_copy)
    td = seen["city_gdp"]
    assert "decimals:gdp_cny_bn" in td.cache
    fresh = TableData(td.table, td.path, td.display_path, td.text, td.typed)
    for column in ("gdp_cny_bn", "gdp_usd_bn"):
        assert td.decimals(column).tolist() == fresh.decimals(column).tolist()
    assert td.decimals("gdp_cny_bn").max() >= 3


@pytest.mark.parametrize("tail", ["", "\n"])
def test_locate_reads_the_lines_it_is_asked_for(tail: str) -> None:
    from zonedata.validate.locate import _lines_at

    data = ('h1,h2\na,b\r\n\nc,"x\ny"' + tail).encode()
    got = _lines_at(data, {0, 1, 2, 3, 4, 5, 6, 99})
    assert got == {1: "h1,h2", 2: "a,b", 3: "", 4: 'c,"x', 5: 'y"'}
    assert _lines_at(b"", {1}) == {}


def test_failing_labels_of_each_kind_of_verdict() -> None:
    from zonedata.validate.rules._base import failing_labels

    def found(check: object, *, skip_missing: bool = False) -> list[int] | None:
        labels = failing_labels(check, s, skip_missing=skip_missing)  # type: ignore[arg-type]
        return None if labels is None else list(labels)

    s = pd.Series(["a", None, "b"], dtype="string", index=[2, 3, 4])
    assert found(lambda x: pd.Series(True, index=x.index)) == []
    assert found(lambda x: x == "a") is None  # a False and a missing verdict
    assert found(lambda x: x.isin(["a", "b"]) | x.isna()) == []
    assert found(lambda x: x != "c", skip_missing=True) == []  # <NA> on a missing cell
    assert found(lambda x: x != "c") is None
    assert found(lambda x: pd.Series(1, index=x.index)) is None  # not boolean
    assert found(lambda x: pd.Series(True, index=[0, 1, 2])) is None  # misaligned
    assert found(lambda x: 1 / 0) is None  # raised: Pandera will report it
    # a column check sees the column without its missing cells, as under Pandera
    assert found(lambda x: pd.Series(x.notna().all(), index=x.index), skip_missing=True) == []
    assert found(lambda x: pd.Series(len(x) == 3, index=x.index), skip_missing=True) == [2, 4]
    assert found(lambda x: (x != "c").astype(object), skip_missing=True) is None  # object dtype
    labels = failing_labels(lambda x: x.isna(), s)
    assert labels is not None and labels.dtype == "int64" and list(labels) == [2, 4]


def test_runners_report_what_the_checks_flag() -> None:
    from zonedata.validate.rules._base import failing_cells, failing_lines

    frame = pd.DataFrame(
        {"a": pd.array([1, 5, None, 7], dtype="Int64"), "b": pd.array([1, 1, 1, 1], dtype="Int64")},
        index=pd.Index([2, 3, 4, 5], name="line"),
    )
    small = {"small": lambda s: known(s < 6)}
    cells = failing_cells(frame, {"a": small, "b": small})
    assert {n: [(c, list(lines)) for c, lines in v] for n, v in cells.items()} == {
        "small": [("a", [5])]
    }
    rows = failing_lines(
        frame,
        {
            "sum": lambda d: known(d["a"] + d["b"] < 7),
            "ok": lambda d: pd.Series(True, index=d.index),
            # in doubt (not a boolean dtype): Pandera decides
            "object": lambda d: (d["a"].fillna(0) < 6).astype(object),
        },
    )
    assert {n: list(v) for n, v in rows.items()} == {"sum": [4, 5], "ok": [], "object": [5]}
    with pytest.raises(RuntimeError, match="could not run"):
        failing_lines(frame, {"broken": lambda d: d["missing"] > 0})


@pytest.mark.parametrize("seed", range(5))
def test_direct_verdicts_are_pandera_verdicts(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runners decide clean verdicts themselves: exactly what Pandera decides."""
    from zonedata.validate.rules import _base

    rng = np.random.default_rng(seed)
    n = 200
    a = pd.array(rng.integers(-5, 5, n), dtype="Int64")
    a[rng.random(n) < 0.2] = pd.NA
    words = np.array(["=x", "ok", " +y", "\tz", "", "fine"], dtype=object)
    text = pd.Series(words[rng.integers(0, len(words), n)], dtype="string")
    text[rng.random(n) < 0.2] = pd.NA
    index = pd.Index(rng.permutation(np.arange(2, n + 2)), name="line")
    frame = pd.DataFrame({"a": a, "b": a[::-1], "t": text.to_numpy()}, index=index)
    rows = {
        "sum": lambda d: known(d["a"] + d["b"] < 3),
        "either": lambda d: known((d["a"] > 0) | (d["b"] > 0)),
        "text": lambda d: known(d["t"].str.len() > 1),
    }
    cells = {
        "a": {"positive": lambda s: s > 0, "small": lambda s: known(s < 3)},
        "t": {"plain": lambda s: ~starts_with_any(s, "=+-@\t"), "long": lambda s: s.str.len() > 1},
    }

    def no_pandera(*args: object) -> None:
        raise AssertionError("a clean verdict went through Pandera")

    with monkeypatch.context() as m:
        m.setattr(_base, "_failure_cases", no_pandera)  # every verdict here is clean
        direct = (_base.failing_lines(frame, rows), _base.failing_cells(frame, cells))
    monkeypatch.setattr(_base, "failing_labels", lambda *a, **k: None)  # all to Pandera
    through = (_base.failing_lines(frame, rows), _base.failing_cells(frame, cells))

    def plain(found: tuple[dict[str, pd.Index], dict[str, list[tuple[str, pd.Index]]]]) -> object:
        lines, by_column = found
        return (
            {n: list(v) for n, v in lines.items()},
            {n: [(c, list(v)) for c, v in pairs] for n, pairs in by_column.items()},
        )

    assert plain(direct) == plain(through)
    assert direct[1]  # the checks did flag cells


def _td(columns: dict[str, pd.Series], lines: list[int]) -> TableData:
    """A TableData with typed columns ``columns`` (text: their string form)."""
    table = Table.from_descriptor(
        {
            "name": "t",
            "path": "t.csv",
            "schema": {"fields": [{"name": c, "type": "string"} for c in columns]},
        }
    )
    index = pd.Index(lines, name="line")
    typed = pd.DataFrame({c: s.set_axis(index) for c, s in columns.items()})
    text = pd.DataFrame({c: s.astype("string").set_axis(index) for c, s in columns.items()})
    return TableData(table, Path("t.csv"), "t.csv", text, typed)


@pytest.mark.parametrize("spread", [10, 10**12])
def test_group_ids_partition_rows_as_groupby(spread: int) -> None:
    from zonedata.validate.rules.citations import _group_ids

    rng = np.random.default_rng(7)
    n = 3000
    city = pd.Series(rng.choice(["a", "b", "c", None], n), dtype="string")
    year = pd.Series(pd.array(2000 + rng.integers(0, 8, n) * spread, dtype="Int64"))
    if spread > 10:  # (with no missing year, the column's values reach _codes as a view)
        year[rng.random(n) < 0.1] = pd.NA
    td = _td({"city": city, "year": year}, list(range(2, n + 2)))
    year_before = td.typed["year"].copy()
    pos = np.flatnonzero(td.typed[["city", "year"]].notna().all(axis=1).to_numpy())
    gid = _group_ids(td, ["city", "year"], pos)
    expected = td.typed.iloc[pos].groupby(["city", "year"], sort=False).ngroup().to_numpy()
    # the same partition: equal numbers exactly where groupby's are equal
    assert (pd.factorize(gid)[0] == pd.factorize(expected)[0]).all()
    assert td.typed["year"].equals(year_before)  # the column itself is not changed


def test_in_chunks_is_the_whole_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    from zonedata.validate.rules import _base

    monkeypatch.setattr(_base, "CHUNK_ROWS", 7)
    values = np.arange(50) % 3 == 0
    seen: list[int] = []

    def verdict(rows: slice) -> np.ndarray:
        seen.append(len(values[rows]))
        return values[rows]

    assert (_base.in_chunks(50, verdict) == values).all()
    assert max(seen) == 7 and sum(seen) == 50


def test_decimals_at_agrees_with_decimals() -> None:
    cells = pd.Series(["1.5", None, "3", "4.250", "-0.1234567", "n/a"], dtype="string")
    td = _td({"x": cells}, [2, 3, 4, 5, 6, 7])
    whole = td.decimals("x")
    assert whole.tolist() == [1, pd.NA, 0, 3, 7, pd.NA] and str(whole.dtype) == "Int64"
    pos = np.array([4, 1, 0])
    got = td.decimals_at("x", pos)
    assert np.isnan(got[1]) and got[[0, 2]].tolist() == [7.0, 1.0]


def test_messages_round_to_the_printed_digits_even_above_the_point() -> None:
    from zonedata.validate.rules._base import fmt_num, precision

    assert [fmt_num(6.9, 0), fmt_num(6.9, -1), fmt_num(1234.5, -2), fmt_num(0.125, 2)] == [
        "7",
        "10",
        "1200",
        "0.12",
    ]
    assert [precision(2), precision(0), precision(-2)] == [
        "2 decimals",
        "0 decimals",
        "the nearest 100",
    ]
