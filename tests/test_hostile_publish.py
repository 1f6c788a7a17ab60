"""Hostile releases and packages on the publishing side (issue 23), each bounded.

A crafted database (its hashes recomputed, so that only its contents give it away) is
a finding of ``zonedata verify`` before any row is read, not an hour of work: a heavy
CHECK constraint, a generated column, an expression index, thousands of extra tables, a
60 MB value in ``_fields``. Every query is bounded by the step and time limits. The
GitHub annotation format, the Action and diff's Markdown print hostile text inertly.
Every case runs in a child process under a timeout and a memory limit
(:mod:`tests.hostile`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.hostile import run_cli, run_python
from tests.smallpkg import city_air_quality, csv_resource, package
from zonedata.cli.release_cmd import MAX_SHOWN
from zonedata.release.build import build_release

REPO = Path(__file__).resolve().parent.parent
NAMES = ("stations", "readings.annual", "3day-summary")
STEM = "city-air-quality-2.3.1"
ANNUAL = "readings.annual"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = city_air_quality(tmp_path_factory.mktemp("pkg") / "pkg", NAMES)
    out = tmp_path_factory.mktemp("dist")
    build_release(root, out=out)
    return out / STEM


@pytest.fixture
def folder(pristine: Path, tmp_path: Path) -> Path:
    shutil.copytree(pristine, tmp_path / STEM)
    return tmp_path / STEM


def forge(folder: Path, *sql: str, writable_schema: bool = False) -> None:
    """Change the release's database and recompute every hash (a consistent forgery)."""
    con = sqlite3.connect(folder / f"{STEM}.sqlite", isolation_level=None)
    if writable_schema:
        con.execute("PRAGMA writable_schema = ON")
    for statement in sql:
        con.execute(statement)
    con.close()
    d = json.loads((folder / "datapackage.json").read_text("utf-8"))
    for r in d["resources"]:
        data = (folder / r["path"]).read_bytes()
        r["zonedata:bytes"] = len(data)
        r["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    (folder / "datapackage.json").write_text(json.dumps(d, ensure_ascii=False, indent=2) + "\n")
    sums = sorted(p.name for p in folder.iterdir() if p.name != "SHA256SUMS")
    (folder / "SHA256SUMS").write_text(
        "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in sums)
    )


VERIFY = """
import json
from zonedata.release.verify import verify_release
print(json.dumps([(p.code, p.path, p.message) for p in verify_release({path!r}).errors]))
"""


def verified(folder: Path, timeout: float = 60, **env: str) -> list[tuple[str, str, str]]:
    out = run_python(VERIFY.format(path=str(folder)), timeout=timeout, env=env or None)
    assert out.code == 0, out.output
    return [tuple(p) for p in json.loads(out.stdout)]  # type: ignore[misc]


def sql_of(folder: Path, table: str) -> str:
    con = sqlite3.connect(folder / f"{STEM}.sqlite")
    (sql,) = con.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (table,)).fetchone()
    con.close()
    return str(sql)


def rewrite_table_sql(
    folder: Path, table: str, extra: str, *before: str, first: bool = False
) -> None:
    """Add ``extra`` to the table's declaration: last (a constraint) or ``first`` (a column)."""
    sql = sql_of(folder, table)
    if first:
        head, rest = sql.split("\n", 1)
        changed = f"{head}\n  {extra},\n{rest}"
    else:
        changed = sql[: sql.rindex("\n)")] + f",\n  {extra}\n)"
    forge(
        folder,
        *before,
        f"UPDATE sqlite_schema SET sql = '{changed.replace(chr(39), chr(39) * 2)}' "
        f"WHERE name = '{table}'",
        writable_schema=True,
    )


def many_rows(n: int) -> str:
    return (
        f"WITH RECURSIVE n(i) AS (SELECT 3000 UNION ALL SELECT i + 1 FROM n WHERE i < {3000 + n}) "
        f"INSERT INTO \"{ANNUAL}\" SELECT 'S1', i, 1.5 FROM n"
    )


def only_sqlite(problems: list[tuple[str, str, str]]) -> list[str]:
    assert {p[0] for p in problems} == {"release-sqlite"}, problems
    return [p[2] for p in problems]


def test_a_heavy_check_constraint_is_a_finding_not_an_hour(folder: Path) -> None:
    heavy = "CHECK (length(hex(zeroblob(200000))) > 0)"
    rewrite_table_sql(folder, ANNUAL, heavy, many_rows(50_000))
    (message,) = only_sqlite(verified(folder, timeout=30))
    assert message == (
        f"table '{ANNUAL}' is declared otherwise than a release declares it: it has '{heavy}'"
    )


def test_an_extra_check_on_unchanged_rows_is_found(folder: Path) -> None:
    rewrite_table_sql(folder, ANNUAL, 'CHECK ("pm25" > 0)')
    (message,) = only_sqlite(verified(folder))
    assert message.endswith("""it has 'CHECK ("pm25" > 0)'"""), message


def test_a_generated_column_is_found(folder: Path) -> None:
    column = '"g" TEXT GENERATED ALWAYS AS (hex(zeroblob(1000000))) VIRTUAL'
    rewrite_table_sql(folder, ANNUAL, column, first=True)
    (message,) = only_sqlite(verified(folder, timeout=30))
    assert message.endswith(f"it has {column!r}")


def test_an_expression_index_is_found(folder: Path) -> None:
    forge(folder, f'CREATE INDEX heavy ON "{ANNUAL}" (length(hex(zeroblob(1000))))')
    assert only_sqlite(verified(folder)) == ["holds an index 'heavy', which a release never has"]


def test_thousands_of_extra_tables_give_a_capped_report(folder: Path) -> None:
    n = 3000
    forge(folder, "BEGIN", *(f"CREATE TABLE extra{i} (x)" for i in range(n)), "COMMIT")
    messages = only_sqlite(verified(folder))
    assert len(messages) == n
    assert messages[0] == "has a table 'extra0' the release does not describe", messages[0]
    out = run_cli("verify", str(folder), timeout=60)
    assert out.code == 1, out.output
    lines = out.stdout.splitlines()
    assert len(lines) == MAX_SHOWN + 3, lines[-3:]
    # the count the summary gives is every problem, listed or not
    assert lines[-2] == f"... and {n - MAX_SHOWN:,} more problems not shown."
    assert lines[-1].startswith(f"FAILED: {n:,} problems in "), lines[-1]


def test_a_60_mb_value_in_fields_is_a_finding_not_a_memory_error(folder: Path) -> None:
    forge(
        folder, "UPDATE _fields SET description = hex(zeroblob(30000000)) WHERE rowid = 1", "VACUUM"
    )
    (message,) = only_sqlite(verified(folder, timeout=60))
    assert message.startswith("_fields holds a row longer than any the descriptor's fields give")


@pytest.mark.parametrize(
    "env", [{"ZONEDATA_MAX_SQL_STEPS": "1"}, {"ZONEDATA_MAX_SQL_SECONDS": "0.000001"}]
)
def test_every_query_is_bounded_by_the_limits(folder: Path, env: dict[str, str]) -> None:
    forge(folder, many_rows(20_000))  # a true schema; more rows than the release has
    (message,) = only_sqlite(verified(folder, **env))
    assert message == (
        "a query on it was stopped: it took more than ZONEDATA_MAX_SQL_STEPS steps or "
        "ZONEDATA_MAX_SQL_SECONDS seconds"
    )


# --- what is printed: GitHub annotations, the Action, diff's Markdown ---------------------


def test_github_format_escapes_a_hostile_descriptor_path(tmp_path: Path) -> None:
    root = tmp_path / "pkg\n::warning file=x::injected\r%0A"
    fields = [{"name": "x", "type": "integer"}]
    package(root, [csv_resource(root, "t", "x\nnot a number\n", fields)])
    out = run_cli("validate", "--format", "github", str(root))
    assert out.code == 1, out.output
    lines = out.stdout.splitlines()
    commands = [line for line in lines if line.lstrip().startswith("::")]
    assert commands and all(re.match(r"::error file=[^\n]*::", c) for c in commands), lines
    assert "\r" not in out.stdout
    assert not any(line.lstrip().startswith("::warning") for line in lines), lines
    assert "pkg%0A::warning file" in out.stdout or "pkg%250A" in out.stdout


def action_escape() -> str:
    text = (REPO / "action.yml").read_text("utf-8")
    assert not re.search(r'echo "::\w+::[^"]*\$\{', text), "an input echoed raw"
    return next(line.strip() for line in text.splitlines() if line.strip().startswith("esc()"))


def test_the_action_never_echoes_an_input_raw() -> None:
    script = action_escape() + '\nprintf \'::error::got: %s\\n\' "$(esc "$1")"'
    hostile = "1.0\n::warning file=x::injected\r%41"
    out = subprocess.run(
        ["bash", "-c", script, "bash", hostile], capture_output=True, text=True, timeout=10
    )
    assert out.stdout == "::error::got: 1.0%0A::warning file=x::injected%0D%2541\n"


def test_diff_markdown_is_inert(tmp_path: Path) -> None:
    fields = [{"name": "k", "type": "string"}, {"name": "v", "type": "string"}]
    releases = []
    for i, row in enumerate(
        ("a,plain", 'a,<img src=x onerror=alert(1)>\n"[click](javascript:alert(1))",x')
    ):
        root = tmp_path / f"p{i}"
        package(
            root,
            [csv_resource(root, "t", f"k,v\n{row}\n", fields, primaryKey=["k"])],
            version=f"1.{i}",
        )
        releases.append(build_release(root, out=tmp_path / f"d{i}").folder)
    out = run_cli("diff", str(releases[0]), str(releases[1]))
    assert out.code == 1, out.output
    assert "<img" not in out.stdout
    assert re.search(r"(?<!\\)\]\(javascript:", out.stdout) is None  # no link
    assert "&lt;img src=x onerror=alert(1)&gt;" in out.stdout
    assert "\\[click\\](javascript:alert(1))" in out.stdout


def test_verify_prints_at_most_a_hundred_problems(folder: Path) -> None:
    for i in range(150):
        (folder / f"extra{i:03}.txt").write_text("x")
    out = run_cli("verify", str(folder))
    assert out.code == 1, out.output
    lines = out.stdout.splitlines()
    assert sum(line.startswith("EXTRA") for line in lines) == 100
    assert "... and 50 more problems not shown." in lines
    assert lines[-1] == f"FAILED: 150 problems in {folder}."


def test_verify_prints_control_characters_escaped(folder: Path) -> None:
    (folder / "x\x1b[2Jy\u202e.txt").write_text("x")
    out = run_cli("verify", str(folder))
    assert out.code == 1, out.output
    assert "\x1b" not in out.stdout and "\u202e" not in out.stdout
    assert "x\\x1b[2Jy\\u202e.txt" in out.stdout


def test_a_csv_file_that_is_no_text_is_a_finding(folder: Path) -> None:
    (folder / "stations.csv").write_bytes(b"\x1f\x8b\x08\x00\r\xff\xfe\x00garbage\nmore")
    forge(folder)
    out = run_cli("verify", str(folder))
    assert out.code == 1, out.output
    assert "internal error" not in out.output
    assert "CSV        stations.csv: is not a UTF-8 CSV file" in out.stdout
