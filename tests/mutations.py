"""Random cell mutations of the real package: validate, release and load must agree.

Run by ``tests/test_one_reading.py`` in a child process bounded in time and memory
(``tests/hostile.py``). For each example, one cell of one table is replaced by a value
drawn from hostile tokens (non-finite numbers, overflows, impossible dates, stray
carriage returns, formula starts, quotes) or by a small edit of the cell's own text.
Whenever ``validate`` finds no error, ``release`` must succeed, and the release's
Parquet, ``load`` from the release and ``load``'s reading of the CSV must all hold the
values validation read.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parent.parent

TOKENS = [
    "",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "INF",
    "-INF",
    "1e309",
    "-1e309",
    "1e20",
    "1e-20",
    "1.5e-5",
    "2.5E3",
    "+5",
    "-0",
    ".5",
    "5.",
    "0.0001",
    "999999999999999.999",
    "1000000000000000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999",
    "0000-01-01",
    "0001-01-01",
    "2019-02-30",
    "2019-13",
    "2019-00-10",
    "0000",
    "true",
    "TRUE",
    "1",
    "0",
    "yes",
    "a\rb",
    "a\nb",
    '"',
    'x"y',
    "=1+1",
    "\t=1",
    "@SUM(A1)",
    "上海",
    " ",
]


def tables() -> list[str]:
    from zonedata.descriptor.package import read_package

    return read_package(REPO).table_names


Mutation = tuple[str, int, int, str, bool]


@st.composite
def mutation(draw: st.DrawFn) -> Mutation:
    """(table, row, column, new value, raw) for one cell of the real package; ``raw``: the
    value is written into the line as it is, unquoted (a stray CR or quote stays stray)."""
    from zonedata.descriptor.package import read_package

    package = read_package(REPO)
    name = draw(st.sampled_from(package.table_names))
    with open(package.file(name), encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    row = draw(st.integers(1, len(rows) - 1))
    col = draw(st.integers(0, len(rows[0]) - 1))
    old = rows[row][col]
    edit = st.one_of(
        st.sampled_from(TOKENS),
        st.just(old + "0"),
        st.just(old[:-1]),
        st.just("-" + old),
        st.just(old + ".5"),
        st.text(max_size=6),
    )
    return name, row, col, draw(edit), draw(st.booleans())


def write_cell(package: Path, table_path: str, m: Mutation) -> None:
    _, row, col, value, raw = m
    p = package / table_path
    lines = p.read_text(encoding="utf-8").split("\n")
    if raw and '"' not in lines[row]:
        cells = lines[row].split(",")
        cells[col] = value
        lines[row] = ",".join(cells)
        p.write_text("\n".join(lines), encoding="utf-8", newline="")
        return
    with open(p, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[row][col] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    p.write_text(out.getvalue(), encoding="utf-8", newline="")


def check(m: Mutation) -> None:
    import pyarrow.parquet as pq

    import zonedata
    from zonedata.descriptor.arrow import read_csv_typed
    from zonedata.descriptor.package import read_package
    from zonedata.release.build import build_release
    from zonedata.validate.engine import validate_package

    name = m[0]
    with tempfile.TemporaryDirectory() as tmp:
        pkg = Path(tmp) / "pkg"
        pkg.mkdir()
        shutil.copy(REPO / "datapackage.json", pkg / "datapackage.json")
        shutil.copytree(REPO / "data", pkg / "data")
        shutil.copytree(REPO / "derived", pkg / "derived")
        shutil.copytree(REPO / "site", pkg / "site")
        shutil.copytree(REPO / "docs" / "templates", pkg / "docs" / "templates")
        package = read_package(pkg)
        write_cell(pkg, package.table(name).path, m)
        report = validate_package(pkg)
        if report.errors:
            return
        result = build_release(pkg, out=Path(tmp) / "dist")
        t = package.table(name)
        validated = report.data[name].arrow
        assert validated is not None
        released = pq.read_table(result.folder / f"{name}.parquet")
        loaded = zonedata.load(name, release=result.folder, backend="arrow")
        from_csv = read_csv_typed(package.file(t), t, package)
        want = validated.to_pylist()
        assert released.to_pylist() == want, m
        assert loaded.to_pylist() == want, m
        assert from_csv.to_pylist() == want, m
        with open(package.file(t), encoding="utf-8", newline="") as fh:
            assert len(want) == sum(1 for _ in csv.reader(fh)) - 1, m  # no row lost


def main(examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(mutation())
    def agree(m: Mutation) -> None:
        check(m)

    agree()
    print(f"{examples} mutations: validate, release and load agree")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
