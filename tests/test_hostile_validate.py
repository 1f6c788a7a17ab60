"""Hostile inputs to ``zonedata validate`` and ``zonedata release`` (issue 12).

Every case runs the command line in a child process bounded in time and memory
(tests/hostile.py), on a broken copy of the real package in ``tmp_path``, and asserts the
exit code, the whole located message (file, line:column, rule code, text), that no
traceback or internal error was printed, and, for release, that nothing was written
outside the output folder and no source file changed.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import Outcome, run_cli, run_python, snapshot
from zonedata.descriptor.package import read_package
from zonedata.names import file_stem, is_table_name
from zonedata.paths import is_plain_relative


@pytest.fixture(scope="module")
def rows() -> int:
    """The rows of the real package, as validate counts them."""
    from tests.conftest import REPO
    from zonedata.validate import validate_package

    return validate_package(REPO, semantic=False).rows


#: so that release builds are reproducible and need no git
ENV = {"SOURCE_DATE_EPOCH": "0"}

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and rlimits")


# --- helpers --------------------------------------------------------------------------


def validate(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Outcome:
    return run_cli("validate", *args, cwd=tmp_path, env=env)


def release(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Outcome:
    return run_cli("release", *args, cwd=tmp_path, env={**ENV, **(env or {})})


def located(out: Outcome) -> list[tuple[str, str, str]]:
    """The text report as (file, where, "code[ [field]]: message") triples."""
    found = []
    current = ""
    for line in out.stdout.splitlines():
        m = re.match(r"^\s+(\S+)\s+(?:error|warning)\s+(.*)$", line)
        if m:
            found.append((current, m.group(1), m.group(2)))
        elif (
            line and not line.startswith(" ") and ": valid" not in line and ": invalid" not in line
        ):
            current = line
    return found


def assert_reports(out: Outcome, code: int, file: str, where: str, message: str) -> None:
    """Exit ``code`` and the problem ``message`` at ``file`` ``where``, no traceback."""
    out.assert_clean_failure(code)
    assert (file, where, message) in located(out), out.output


def edit_descriptor(pkg: Path, fn: Callable[[dict[str, Any]], None]) -> None:
    p = pkg / "datapackage.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    fn(d)
    p.write_text(json.dumps(d, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def resource(d: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in d["resources"] if r["name"] == name)
    return found


def rename(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: resource(d, old).__setitem__("name", new)


def replace_file(pkg: Path, rel: str, make: Callable[[Path], None]) -> None:
    p = pkg / rel
    p.unlink()
    make(p)


def rewrite(pkg: Path, rel: str, fn: Callable[[bytes], bytes]) -> Path:
    p = pkg / rel
    p.write_bytes(fn(p.read_bytes()))
    return p


def line_with(path: Path, needle: str, after: int = 0) -> int:
    """The 1-based number of the first line after line ``after`` that holds ``needle``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(i for i, x in enumerate(lines, start=1) if i > after and needle in x)


def value_at(path: Path, needle: str, after: int = 0) -> str:
    """``line:column`` of the JSON value of ``needle`` (``'"key": …'``) after line ``after``."""
    line = line_with(path, needle, after)
    text = path.read_text(encoding="utf-8").split("\n")[line - 1]
    return f"{line}:{text.index(needle) + needle.index(': ') + 3}"


# --- 1. resource names are identifiers, never paths ------------------------------------


@pytest.mark.parametrize("name", ["a\\b", "x\x00y", "Cities", "x" * 65, "", "a b"])
def test_unsafe_names(name: str) -> None:
    assert not is_table_name(name)


@pytest.mark.parametrize(
    "name", ["cities", "city_gdp", "zone-dates", "v1.2", "_x", "x" * 64, "a/b", "..", "con"]
)
def test_safe_names(name: str) -> None:
    assert is_table_name(name)


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("cities", "cities"),
        ("_stations", "_stations"),
        ("readings.annual", "readings.annual"),
        ("../../../tmp/x", "~d.~s..~s..~stmp~sx"),
        ("a/b", "a~sb"),
        (".hidden", "~dhidden"),
        ("-x", "~hx"),
        ("x.", "x~d"),
        ("con", "~rcon"),
        ("nul.csv", "~rnul.csv"),
        ("datapackage", "~rdatapackage"),
        ("index", "~rindex"),
    ],
)
def test_file_stems_are_safe(name: str, stem: str) -> None:
    assert file_stem(name) == stem
    assert is_plain_relative(stem) and "/" not in stem


@given(st.lists(st.from_regex(r"[-a-z0-9._/]{1,12}", fullmatch=True), unique=True, max_size=8))
def test_file_stems_never_collide(names: list[str]) -> None:
    stems = [file_stem(n) for n in names]
    assert len(set(stems)) == len(stems)
    assert all(
        "/" not in s and s not in (".", "..") and not s.startswith((".", "-")) for s in stems
    )


NAME_MESSAGE = (
    "name-unsafe: Resource name {!r} may hold only lowercase letters, digits, '-', '_', '.' "
    "and '/': a name is 1 to 64 lowercase letters, digits, '-', '_', '.' and '/'."
)


@pytest.mark.parametrize("name", ["Targets/..\\x", "../A"])
def test_validate_refuses_a_path_as_name(package_copy: Path, tmp_path: Path, name: str) -> None:
    edit_descriptor(package_copy, rename("targets", name))
    out = validate(tmp_path, "pkg")
    where = value_at(package_copy / "datapackage.json", f'"name": {json.dumps(name)}')
    assert_reports(out, 1, "pkg/datapackage.json", where, NAME_MESSAGE.format(name))


def test_release_never_writes_outside_its_folder_for_a_path_like_name(
    package_copy: Path, tmp_path: Path
) -> None:
    """``../../../escape`` is a name frictionless accepts (zonedata.names): a release
    either refuses it at validation or writes its files under their safe stem, always
    inside --out."""
    edit_descriptor(package_copy, rename("targets", "../../../escape"))
    before = snapshot(tmp_path)
    out = release(tmp_path, "pkg", "--out", "a/b/out")
    assert out.code in (0, 1, 2) and "Traceback" not in out.output, out.output
    added = set(snapshot(tmp_path)) - set(before)
    assert all(p == "a" or p.startswith("a/b") for p in added), sorted(added)
    if out.code == 0:
        folder = tmp_path / "a/b/out/zonedata-0.1.0"
        assert (folder / f"{file_stem('../../../escape')}.parquet").is_file()


def test_release_refuses_a_path_as_name_before_writing(package_copy: Path, tmp_path: Path) -> None:
    edit_descriptor(package_copy, rename("targets", "../../../Escape"))
    before = snapshot(tmp_path)
    out = release(tmp_path, "pkg", "--out", "a/b/out")
    out.assert_clean_failure(2)
    assert out.stderr == (
        "Error: release not built: pkg/datapackage.json: resource name '../../../Escape' may "
        "hold only lowercase letters, digits, '-', '_', '.' and '/' (name-unsafe); nothing "
        "was written\n"
    )
    assert snapshot(tmp_path) == before


def test_duplicate_names(package_copy: Path, tmp_path: Path) -> None:
    edit_descriptor(package_copy, rename("targets", "claims"))
    out = validate(tmp_path, "pkg")
    desc = package_copy / "datapackage.json"
    second = value_at(desc, '"name": "claims"', after=line_with(desc, '"name": "claims"'))
    assert_reports(
        out,
        1,
        "pkg/datapackage.json",
        second,
        "name-duplicate: Resource name 'claims' is used by more than one resource.",
    )


# --- 2. only regular files, bounded ----------------------------------------------------


def test_data_file_is_a_fifo(package_copy: Path, tmp_path: Path) -> None:
    replace_file(package_copy, "data/companies.csv", os.mkfifo)
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/companies.csv",
        "-",
        "file-not-regular: pkg/data/companies.csv is a FIFO (named pipe), not a regular "
        "file; refused.",
    )


def test_data_file_is_a_symlink_to_a_fifo_in_the_package(
    package_copy: Path, tmp_path: Path
) -> None:
    os.mkfifo(package_copy / "data/pipe")
    replace_file(package_copy, "data/companies.csv", lambda p: p.symlink_to("pipe"))
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/companies.csv",
        "-",
        "file-not-regular: pkg/data/companies.csv is a FIFO (named pipe), not a regular "
        "file; refused.",
    )


def test_data_file_is_a_symlink_to_dev_zero(package_copy: Path, tmp_path: Path) -> None:
    replace_file(package_copy, "data/companies.csv", lambda p: p.symlink_to("/dev/zero"))
    out = validate(tmp_path, "pkg")
    desc = package_copy / "datapackage.json"
    assert_reports(
        out,
        1,
        "pkg/datapackage.json",
        value_at(desc, '"path": "data/companies.csv"'),
        "path-unsafe: Resource 'companies' path data/companies.csv resolves outside the "
        "package folder (to /dev/zero), for example through a symlink.",
    )


def test_data_path_with_a_nul(package_copy: Path, tmp_path: Path) -> None:
    edit_descriptor(package_copy, lambda d: resource(d, "companies").__setitem__("path", "a\x00b"))
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/datapackage.json",
        value_at(package_copy / "datapackage.json", '"path": "a\\u0000b"'),
        "path-unsafe: Resource 'companies' path 'a\\x00b' contains a control character (NUL, "
        "a line break, a tab...).",
    )
    built = release(tmp_path, "pkg", "--out", "dist")
    built.assert_clean_failure(1)
    assert "path-unsafe: Resource 'companies' path 'a\\x00b' contains a control" in built.stderr


def test_data_path_is_a_folder(package_copy: Path, tmp_path: Path) -> None:
    replace_file(package_copy, "data/companies.csv", Path.mkdir)
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/companies.csv",
        "-",
        "file-not-regular: pkg/data/companies.csv is a folder, not a regular file; refused.",
    )


def test_data_file_over_the_set_limit(package_copy: Path, tmp_path: Path) -> None:
    size = (package_copy / "data/claims.csv").stat().st_size
    out = validate(tmp_path, "pkg", env={"ZONEDATA_MAX_FILE_BYTES": "4096"})
    assert_reports(
        out,
        1,
        "pkg/data/claims.csv",
        "-",
        f"file-too-large: pkg/data/claims.csv is {size:,} bytes, over the limit of 4,096 "
        "bytes; set ZONEDATA_MAX_FILE_BYTES to raise the limit.",
    )


def test_sparse_file_over_the_default_limit(package_copy: Path, tmp_path: Path) -> None:
    with open(package_copy / "data/companies.csv", "r+b") as fh:
        fh.truncate(3 << 30)  # 3 GiB on paper, nothing on disk; over the 1 GiB rlimit
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/companies.csv",
        "-",
        "file-too-large: pkg/data/companies.csv is 3,221,225,472 bytes, over the limit of "
        "2,147,483,648 bytes; set ZONEDATA_MAX_FILE_BYTES to raise the limit.",
    )


def test_limit_that_is_not_a_number(package_copy: Path, tmp_path: Path) -> None:
    out = validate(tmp_path, "pkg", env={"ZONEDATA_MAX_FILE_BYTES": "lots"})
    out.assert_clean_failure(2)
    assert out.stderr == "Error: ZONEDATA_MAX_FILE_BYTES='lots' is not a whole number.\n"


def test_descriptor_is_dev_zero(tmp_path: Path) -> None:
    out = validate(tmp_path, "/dev/zero")
    assert_reports(
        out,
        2,
        "/dev/zero",
        "-",
        "descriptor-not-regular: /dev/zero is a character device, not a regular file; refused.",
    )


def test_descriptor_is_a_fifo(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    os.mkfifo(tmp_path / "pkg/datapackage.json")
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        2,
        "pkg/datapackage.json",
        "-",
        "descriptor-not-regular: pkg/datapackage.json is a FIFO (named pipe), not a regular "
        "file; refused.",
    )


def test_descriptor_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "pkg/datapackage.json").mkdir(parents=True)
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        2,
        "pkg/datapackage.json",
        "-",
        "descriptor-not-regular: pkg/datapackage.json is a folder, not a regular file; refused.",
    )


def test_descriptor_over_16_mib(package_copy: Path, tmp_path: Path) -> None:
    with open(package_copy / "datapackage.json", "r+b") as fh:
        fh.truncate((16 << 20) + 1)
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        2,
        "pkg/datapackage.json",
        "-",
        "descriptor-too-large: pkg/datapackage.json is 16,777,217 bytes, over the limit of "
        "16,777,216 bytes; set ZONEDATA_MAX_DESCRIPTOR_BYTES to raise it.",
    )


# --- 3. release never puts the sources at risk -----------------------------------------


OUT_REFUSED = (
    "Error: release not built: --out {out} is refused: {why}; a release must be written "
    "outside the package's sources (for example --out dist); nothing was written\n"
)


@pytest.mark.parametrize(
    ("out", "why"),
    [
        ("pkg/data", "it holds the source file {pkg}/data/sources.csv"),
        ("pkg/data/dist", "it lies in {pkg}/data, the folder of the package's data"),
        ("pkg", "it is the package folder {pkg}"),
        (".", "it holds the source file {pkg}/datapackage.json"),
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_release_refuses_an_out_over_the_sources(
    package_copy: Path, tmp_path: Path, out: str, why: str, force: bool
) -> None:
    before = snapshot(tmp_path)
    got = release(tmp_path, "pkg", "--out", out, *(["--force"] if force else []))
    got.assert_clean_failure(2)
    pkg = package_copy.resolve()
    assert got.stderr == OUT_REFUSED.format(out=out, why=why.format(pkg=pkg)), got.stderr
    assert snapshot(tmp_path) == before


def test_release_refuses_an_out_that_is_a_symlink_to_the_data(
    package_copy: Path, tmp_path: Path
) -> None:
    (tmp_path / "link").symlink_to(package_copy / "data")
    before = snapshot(tmp_path)
    got = release(tmp_path, "pkg", "--out", "link", "--force")
    got.assert_clean_failure(2)
    why = f"it holds the source file {package_copy.resolve()}/data/sources.csv"
    assert got.stderr == OUT_REFUSED.format(out="link", why=why)
    assert snapshot(tmp_path) == before


def test_force_does_not_remove_a_folder_it_did_not_write(
    package_copy: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "dist/zonedata-0.1.0"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("precious\n")
    before = snapshot(tmp_path)
    got = release(tmp_path, "pkg", "--out", "dist", "--force")
    got.assert_clean_failure(2)
    assert got.stderr == (
        "Error: release not built: dist/zonedata-0.1.0 exists but is not a release that "
        "zonedata wrote (no valid SHA256SUMS); --force replaces only its own releases: "
        "move or remove it yourself\n"
    )
    assert snapshot(tmp_path) == before


def test_force_does_not_follow_a_symlinked_release_folder(
    package_copy: Path, tmp_path: Path
) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist/zonedata-0.1.0").symlink_to(package_copy / "data")
    before = snapshot(tmp_path)
    got = release(tmp_path, "pkg", "--out", "dist", "--force")
    got.assert_clean_failure(2)
    assert "dist/zonedata-0.1.0 exists but is not a release that zonedata wrote (a symlink)" in (
        got.stderr
    )
    assert snapshot(tmp_path) == before


def test_force_does_not_replace_a_zip_it_did_not_write(package_copy: Path, tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist/zonedata-0.1.0.zip").write_text("not a zip\n")
    before = snapshot(tmp_path)
    got = release(tmp_path, "pkg", "--out", "dist", "--force")
    got.assert_clean_failure(2)
    assert "dist/zonedata-0.1.0.zip exists but is not a release that zonedata wrote (not a zip" in (
        got.stderr
    )
    assert snapshot(tmp_path) == before


def test_force_replaces_its_own_release_and_nothing_else(
    package_copy: Path, tmp_path: Path
) -> None:
    first = release(tmp_path, "pkg", "--out", "dist")
    assert first.code == 0, first.output
    (tmp_path / "dist/keep.txt").write_text("mine\n")
    before = snapshot(tmp_path)
    again = release(tmp_path, "pkg", "--out", "dist", "--force")
    assert again.code == 0, again.output
    assert "(replaced the previous build)" in again.stdout
    after = snapshot(tmp_path)
    assert after == before  # reproducible: the same bytes, nothing else touched
    extra = tmp_path / "dist/zonedata-0.1.0/extra.csv"
    extra.write_text("mine\n")
    refused = release(tmp_path, "pkg", "--out", "dist", "--force")
    refused.assert_clean_failure(2)
    assert "(it holds extra.csv, which SHA256SUMS omits)" in refused.stderr
    assert extra.read_text() == "mine\n"


@pytest.mark.parametrize(
    ("cwd", "out", "where"),
    [("pkg", "../dist", "dist"), (".", "pkg/data/../../dist2", "dist2")],
    ids=["dotdot-from-the-package", "dotdot-through-data"],
)
def test_release_to_an_out_with_dotdot(
    package_copy: Path, tmp_path: Path, cwd: str, out: str, where: str
) -> None:
    """An --out with ``..`` in it is written through its real folder (it was refused)."""
    where_from = tmp_path / cwd
    got = run_cli("release", "." if cwd == "pkg" else "pkg", "--out", out, cwd=where_from, env=ENV)
    assert got.code == 0, got.output
    assert sorted(p.name for p in (tmp_path / where).iterdir()) == [
        "zonedata-0.1.0",
        "zonedata-0.1.0.zip",
    ]


def test_release_leaves_a_leftover_with_an_impossible_pid(
    package_copy: Path, tmp_path: Path
) -> None:
    odd = tmp_path / "dist/.zonedata-0.1.0.tmp-99999999999999999999-abc"
    odd.mkdir(parents=True)
    got = release(tmp_path, "pkg", "--out", "dist")
    assert got.code == 0, got.output
    assert odd.is_dir()  # not a build of ours: left alone


def test_force_does_not_replace_a_zip_with_a_dotdot_entry(
    package_copy: Path, tmp_path: Path
) -> None:
    (tmp_path / "dist").mkdir()
    with zipfile.ZipFile(tmp_path / "dist/zonedata-0.1.0.zip", "w") as zf:
        zf.writestr("zonedata-0.1.0/../x.txt", "mine")
    before = snapshot(tmp_path)
    got = release(tmp_path, "pkg", "--out", "dist", "--force")
    got.assert_clean_failure(2)
    assert "zonedata-0.1.0.zip exists but is not a release that zonedata wrote (it holds" in (
        got.stderr
    )
    assert snapshot(tmp_path) == before


def test_release_of_a_fifo_data_file_does_not_block(package_copy: Path, tmp_path: Path) -> None:
    replace_file(package_copy, "data/companies.csv", os.mkfifo)
    before = snapshot(tmp_path)
    out = release(tmp_path, "pkg", "--out", "dist")
    out.assert_clean_failure(1)
    assert "file-not-regular: pkg/data/companies.csv is a FIFO (named pipe)" in out.stderr
    assert snapshot(tmp_path) == before


def test_release_of_dev_zero(tmp_path: Path) -> None:
    out = release(tmp_path, "/dev/zero", "--out", "dist")
    out.assert_clean_failure(2)
    assert out.stderr == (
        "Error: release not built: /dev/zero is a character device, not a regular file; refused\n"
    )
    assert not (tmp_path / "dist").exists()


# --- 4. missing checks -----------------------------------------------------------------


def test_no_resources(package_copy: Path, tmp_path: Path) -> None:
    edit_descriptor(package_copy, lambda d: d.__setitem__("resources", []))
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/datapackage.json",
        "-",
        "resources-empty: The descriptor lists no resources: a data package needs at least "
        "one table.",
    )


def _fk(d: dict[str, Any]) -> dict[str, Any]:
    fk: dict[str, Any] = resource(d, "cities")["schema"]["foreignKeys"][0]
    return fk


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda fk: fk["reference"].__setitem__("resource", "regions"),
            "the foreign key province_id -> regions.province_id refers to resource "
            "'regions', which the package does not have.",
        ),
        (
            lambda fk: fk["reference"].__setitem__("fields", ["region_id"]),
            "the foreign key province_id -> provinces.region_id refers to 'region_id', "
            "not a field of 'provinces'.",
        ),
        (
            lambda fk: fk.__setitem__("fields", ["region_id"]),
            "the foreign key region_id -> provinces.province_id uses 'region_id', not a "
            "field of 'cities'.",
        ),
        (
            lambda fk: fk["reference"].__setitem__("fields", ["province_id", "name_en"]),
            "the foreign key province_id -> provinces.province_id+name_en has 1 fields but "
            "2 reference fields.",
        ),
    ],
    ids=["resource", "reference-field", "field", "lengths"],
)
def test_foreign_key_to_nothing(
    package_copy: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    edit_descriptor(package_copy, lambda d: change(_fk(d)))
    out = validate(tmp_path, "pkg")
    field = "" if "uses 'region_id'" in message else " [province_id]"
    desc = package_copy / "datapackage.json"
    where = value_at(desc, '"foreignKeys": ', after=line_with(desc, '"name": "cities"'))
    assert_reports(
        out,
        1,
        "pkg/datapackage.json",
        where,
        f"foreign-key-invalid{field}: Resource 'cities': {message}",
    )


def test_release_refuses_a_foreign_key_to_nothing(package_copy: Path, tmp_path: Path) -> None:
    edit_descriptor(package_copy, lambda d: _fk(d)["reference"].__setitem__("resource", "x"))
    before = snapshot(tmp_path)
    out = release(tmp_path, "pkg", "--out", "dist")
    out.assert_clean_failure(1)
    assert "foreign-key-invalid [province_id]: Resource 'cities'" in out.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("cell", "shown"),
    [("\t=1+1", "\\t="), ("\tHaier", "\\tH"), ('"\r@SUM(A1)"', "\\r@"), ("\u3000+1", "\\u3000+")],
    ids=["tab-formula", "tab", "quoted-cr", "ideographic-space"],
)
def test_formula_after_leading_whitespace(
    package_copy: Path, tmp_path: Path, cell: str, shown: str
) -> None:
    new = b"," + cell.encode() + b","
    rewrite(package_copy, "data/companies.csv", lambda b: b.replace(b",Haier,", new, 1))
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/companies.csv",
        "3:7",
        f"formula-cell [name_en]: name_en starts with '{shown}': "
        + (
            "a spreadsheet opening the CSV would run it as a formula"
            if shown[-1] in "=+-@"
            else "a leading tab or carriage return is treated as the start of a formula by "
            "OWASP's guidance, as some spreadsheets skip it"
        )
        + " (CSV injection); reword it so that it starts with another character",
    )


# --- 5. located messages instead of internal errors ------------------------------------


def test_descriptor_nested_200000_deep(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/datapackage.json").write_text("[" * 200_000 + "]" * 200_000)
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        2,
        "pkg/datapackage.json",
        "1:65",
        "descriptor-json: pkg/datapackage.json nests arrays and objects more than 64 levels "
        "deep; a descriptor needs far fewer.",
    )


def test_descriptor_nested_deep_inside_a_resource(package_copy: Path, tmp_path: Path) -> None:
    def deepen(d: dict[str, Any]) -> None:
        resource(d, "targets")["x-deep"] = json.loads("[" * 150 + "]" * 150)

    edit_descriptor(package_copy, deepen)
    out = validate(tmp_path, "pkg")
    out.assert_clean_failure(2)
    assert [(f, m) for f, _, m in located(out)] == [
        (
            "pkg/datapackage.json",
            "descriptor-json: pkg/datapackage.json nests arrays and objects more than 64 "
            "levels deep; a descriptor needs far fewer.",
        )
    ]
    # located at the 65th level (the one Limits.max_json_depth): the 62nd "[" of x-deep
    # (the descriptor object, its resources and the resource are levels 1 to 3)
    (where,) = [w for _, w, _ in located(out)]
    line, col = map(int, where.split(":"))
    text = (package_copy / "datapackage.json").read_text()
    lines = text.split("\n")
    pos = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
    assert text[pos] == "["
    assert text[text.index('"x-deep"') : pos].count("[") == 61


def test_release_of_a_deep_descriptor(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/datapackage.json").write_text("[" * 200_000 + "]" * 200_000)
    out = release(tmp_path, "pkg", "--out", "dist")
    out.assert_clean_failure(2)
    assert out.stderr == (
        "Error: release not built: pkg/datapackage.json nests arrays and objects more than "
        "64 levels deep; a descriptor needs far fewer\n"
    )


@pytest.mark.parametrize(
    ("header", "size"),
    [
        (b"x" * 10_000_000, 10_000_000),  # a 10 MB header line
        (b"company_id," + b"y" * 200_000 + b",name_zh", 200_019),  # a 200 kB header cell
        (b'company_id,"' + b"y\n" * 100_000 + b'",name_zh', 200_021),  # ... quoted, on lines
    ],
    ids=["10MB-line", "200kB-cell", "200kB-quoted-cell"],
)
def test_huge_header(package_copy: Path, tmp_path: Path, header: bytes, size: int) -> None:
    rewrite(package_copy, "data/companies.csv", lambda b: header + b[b.index(b"\n") :])
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/companies.csv",
        "1",
        f"header-too-long: The header at line 1 is {size:,} bytes long; the limit is 65,536.",
    )


def test_cr_only_line_endings(package_copy: Path, tmp_path: Path) -> None:
    p = rewrite(package_copy, "data/companies.csv", lambda b: b.replace(b"\n", b"\r"))
    n = p.read_bytes().count(b"\r")
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/companies.csv",
        "1:27",
        f"bare-cr: Carriage return without line feed at line 1, column 27 ({n - 1:,} more "
        "follow): the file uses CR-only (classic Mac) line endings. Use LF line endings, and "
        "quote a cell that holds a line break.",
    )


BARE_CR = (
    "bare-cr: Carriage return without line feed at line 3, column 10: a line ends in CR "
    "alone, or a cell holds one outside quotes. Use LF line endings, and quote a cell that "
    "holds a line break."
)


def test_bare_cr_in_a_cell(package_copy: Path, tmp_path: Path) -> None:
    rewrite(package_copy, "data/companies.csv", lambda b: b.replace(b",Haier,", b",Hai\rer,"))
    out = validate(tmp_path, "pkg")
    assert_reports(out, 1, "pkg/data/companies.csv", "3:10", BARE_CR)
    # and release agrees: the same problem, nothing built
    before = snapshot(tmp_path)
    built = release(tmp_path, "pkg", "--out", "dist")
    built.assert_clean_failure(1)
    assert f"     3:10  error    {BARE_CR}" in built.stderr
    assert snapshot(tmp_path) == before


def test_cr_in_a_quoted_cell_keeps_every_row(package_copy: Path, tmp_path: Path, rows: int) -> None:
    rewrite(package_copy, "data/companies.csv", lambda b: b.replace(b",Haier,", b',"Hai\rer",'))
    out = validate(tmp_path, "pkg")
    assert out.code == 0, out.output
    tables = len(read_package(package_copy).tables)
    assert f"({tables} tables, {rows} rows checked)" in out.stdout
    built = release(tmp_path, "pkg", "--out", "dist")
    assert built.code == 0, built.output
    # and the derived tables' rows: one per zone (29), per city and year of GDP or growth
    # (16), per city and programme entered (30), per prefecture-level unit and year 2010-2025
    # (337 x 16)
    assert f", {rows + 29 + 16 + 30 + 337 * 16:,} rows" in built.stdout


# --- the bounded reader itself ----------------------------------------------------------


def test_read_regular_reads_a_file_that_reports_no_size() -> None:
    from zonedata.safeio import read_regular

    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc")
    assert status.stat().st_size == 0
    assert b"Name:" in read_regular(status, 1 << 20)


def test_read_regular_stops_at_the_limit_while_reading() -> None:
    from zonedata.errors import InputError
    from zonedata.safeio import read_regular

    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc")
    with pytest.raises(InputError, match="grew past the limit of 10 bytes") as e:
        read_regular(status, 10)
    assert e.value.kind == "too-large"


# --- found by the wider sweep: each was an "internal error" ----------------------------------


def _descriptor_edit(pkg: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = pkg / "datapackage.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    change(next(r for r in d["resources"] if r["name"] == "cities"))
    path.write_text(json.dumps(d, ensure_ascii=False, indent=2), encoding="utf-8")


def _clean(out: Outcome, code: int, *words: str) -> None:
    out.assert_clean_failure(code)
    for w in words:
        assert w in out.output, (w, out.output)


def test_symlink_loop_as_data_file(package_copy: Path) -> None:
    data = package_copy / "data"
    (data / "cities.csv").unlink()
    (data / "l1").symlink_to("l2")
    (data / "l2").symlink_to("l1")
    (data / "cities.csv").symlink_to("l1")
    out = run_cli("validate", str(package_copy))
    _clean(out, 1, "path-unsafe: Resource 'cities' path data/cities.csv is a symlink loop.")


def test_integer_beyond_the_conversion_limit_in_the_descriptor(package_copy: Path) -> None:
    path = package_copy / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"maximum": 20', '"maximum": ' + "9" * 5000, 1), encoding="utf-8")
    out = run_cli("validate", str(package_copy))
    _clean(out, 2, "descriptor-json", "holds a value that cannot be read")


def test_pattern_that_is_no_regular_expression(package_copy: Path) -> None:
    def change(r: dict[str, Any]) -> None:
        field = next(f for f in r["schema"]["fields"] if f["name"] == "name_en")
        field.setdefault("constraints", {})["pattern"] = "("

    _descriptor_edit(package_copy, change)
    out = run_cli("validate", str(package_copy))
    _clean(out, 1, "constraint pattern '(' is not a regular expression")


def test_missing_values_that_are_not_strings(package_copy: Path) -> None:
    _descriptor_edit(package_copy, lambda r: r["schema"].__setitem__("missingValues", [None, 1]))
    out = run_cli("validate", str(package_copy))
    _clean(out, 1, "missingValues must be a list of strings")


# --- found by the wider sweep, round 2: exit 0 or an unlocated message before -------------


def _text_edit(pkg: Path, old: str, new: str) -> Path:
    path = pkg / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "offset", "why"),
    [
        ('"maximum": 20\n', '"maximum": NaN\n', 11, "NaN is not a JSON value"),
        ('"maximum": 20\n', '"maximum": 1e999\n', 11, "the number 1e999 is too large for a double"),
        ('"maximum": 20\n', '"maximum": -Infinity\n', 11, "-Infinity is not a JSON value"),
        (
            '"resources": [',
            '"resources": [], "resources": [',
            17,
            "the key 'resources' appears twice in one object",
        ),
    ],
    ids=["nan", "1e999", "-infinity", "duplicate-key"],
)
def test_descriptor_that_is_not_strict_json(
    package_copy: Path, tmp_path: Path, old: str, new: str, offset: int, why: str
) -> None:
    """``offset``: where in ``new`` the offending token starts."""
    path = _text_edit(package_copy, old, new)
    text = path.read_text(encoding="utf-8")
    at = text.index(new) + offset
    line = text.count("\n", 0, at) + 1
    column = at - text.rfind("\n", 0, at)
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        2,
        "pkg/datapackage.json",
        f"{line}:{column}",
        f"descriptor-json: pkg/datapackage.json is not strict JSON: {why}.",
    )


def test_declared_encoding_other_than_utf8_is_honoured(package_copy: Path, tmp_path: Path) -> None:
    """A latin-1 file declared latin-1 is read as latin-1 (by frictionless), not as UTF-8.

    (The derived tables are left out: their SQL reads cities, which a release derives from
    only when zonedata reads it itself; validate reports that, see test_derived.py.)"""

    def latin1(d: dict[str, Any]) -> None:
        resource(d, "cities")["encoding"] = "latin-1"
        del d["zonedata:derived"]

    edit_descriptor(package_copy, latin1)
    p = package_copy / "data/cities.csv"
    text = p.read_text(encoding="utf-8").replace("北京", "Pékin")
    p.write_bytes(text.encode("latin-1", errors="replace"))
    out = validate(tmp_path, "pkg")
    assert out.code == 0, out.output
    p.write_bytes(text.encode("utf-8"))  # UTF-8 bytes read as latin-1: still text, still valid
    assert validate(tmp_path, "pkg").code == 0


def test_utf8_spelled_otherwise_is_accepted(package_copy: Path, tmp_path: Path) -> None:
    edit_descriptor(package_copy, lambda d: resource(d, "cities").__setitem__("encoding", "UTF8"))
    assert validate(tmp_path, "pkg").code == 0


def test_year_zero_in_a_partial_date(package_copy: Path, tmp_path: Path) -> None:
    p = rewrite(
        package_copy,
        "data/exchange_rates.csv",
        lambda b: b.replace(b",2019-05-14,central", b",0000-01-01,central", 1),
    )
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/exchange_rates.csv",
        f"{line_with(p, '0000-01-01')}:18",
        "date-invalid [date]: '0000-01-01' is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD, "
        "from year 0001).",
    )


@pytest.mark.parametrize(
    ("cell", "column", "where"),
    [
        ('"Bei"jing""', 13, "closes a quoted cell that goes on"),
        ('Bei"jing', 12, "is inside a cell"),
    ],
    ids=["closed-early", "inside"],
)
def test_misplaced_quote(
    package_copy: Path, tmp_path: Path, cell: str, column: int, where: str
) -> None:
    rewrite(
        package_copy, "data/cities.csv", lambda b: b.replace(b",Beijing,", f",{cell},".encode())
    )
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/cities.csv",
        f"2:{column}",
        f"quote-misplaced: The quote at line 2, column {column} {where}: quote the whole cell "
        'and double each quote inside it ("").',
    )


def test_a_100_mb_row(package_copy: Path, tmp_path: Path) -> None:
    cell = 100 << 20
    (package_copy / "data/cities.csv").write_bytes(
        b"city_id,name_en,name_zh,province_id\nx," + b"a" * cell + b",y,beijing\n"
    )
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/data/cities.csv",
        "2",
        f"row-too-long: The row at line 2 is {cell + 12:,} bytes long; the limit is 16,777,216.",
    )


def test_foreign_keys_that_are_not_objects(package_copy: Path, tmp_path: Path) -> None:
    edit_descriptor(package_copy, lambda d: resource(d, "cities")["schema"].update(foreignKeys=[5]))
    out = validate(tmp_path, "pkg")
    out.assert_clean_failure(1)
    desc = package_copy / "datapackage.json"
    start = line_with(desc, '"name": "cities"')
    five = line_with(desc, "5", after=line_with(desc, '"foreignKeys"', after=start))
    assert located(out) == [
        (
            "pkg/datapackage.json",
            f"{five}:11",
            "descriptor-profile: Descriptor does not follow the Data Package profile: Schema is "
            "not valid: 5 is not of type 'object' at property 'foreignKeys/0'",
        ),
        (
            "pkg/datapackage.json",
            f"{start - 1}:5",
            "descriptor-profile: Descriptor cannot be used: resource 'cities': foreignKeys[0] "
            "is not an object: '5'.",
        ),
    ]


def test_dangling_keys_are_still_checked_beside_an_invalid_key(
    package_copy: Path, tmp_path: Path
) -> None:
    edit_descriptor(package_copy, lambda d: _fk(d)["reference"].__setitem__("resource", "x"))
    p = rewrite(
        package_copy, "data/zone_cities.csv", lambda b: b.replace(b",shenzhen", b",shenzen", 1)
    )
    out = validate(tmp_path, "pkg")
    out.assert_clean_failure(1)
    codes = [(f, w, m.split(":")[0]) for f, w, m in located(out) if "warning" not in m]
    assert ("pkg/data/zone_cities.csv", f"{line_with(p, 'shenzen')}", "foreign-key-dangling") in [
        (f, w.split(":")[0], c.split(" ")[0]) for f, w, c in codes
    ], out.output


def test_a_header_of_30000_fields_stays_linear(package_copy: Path, tmp_path: Path) -> None:
    """The header check was quadratic (list.index per field): 100,000 fields took minutes."""
    fields = [{"name": f"f{i}", "type": "string"} for i in range(30_000)]
    edit_descriptor(package_copy, lambda d: resource(d, "cities")["schema"].update(fields=fields))
    out = run_cli("validate", str(package_copy), timeout=60)
    out.assert_clean_failure(1)
    assert "missing-column" in out.stdout


# --- found by the wider sweep, round 3 ---------------------------------------------------


def _field(d: dict[str, Any], table: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        f for f in resource(d, table)["schema"]["fields"] if f["name"] == name
    )
    return found


def _constraint(table: str, name: str, key: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda d: _field(d, table, name).setdefault("constraints", {}).__setitem__(key, value)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_constraint("sources", "language", "enum", []), "enum must be a non-empty list"),
        (_constraint("city_gdp", "year", "minimum", 10**300), "beyond the 64-bit integers"),
        (_constraint("companies", "name_en", "maxLength", 10**20), "is not a non-negative integer"),
        (_constraint("companies", "name_en", "minLength", "3"), "is not a non-negative integer"),
        (_constraint("companies", "name_en", "minLength", -1), "is not a non-negative integer"),
        (_constraint("companies", "name_en", "enum", [{"a": 1}]), "enum must be a non-empty"),
        (
            lambda d: resource(d, "companies").__setitem__("dialect", {"delimiter": ""}),
            "the dialect's delimiter '' is not one character",
        ),
        (
            lambda d: resource(d, "companies").__setitem__("dialect", {"delimiter": "ab"}),
            "the dialect's delimiter 'ab' is not one character",
        ),
        (
            lambda d: _field(d, "city_gdp", "approximate").__setitem__(
                "trueValues", ["true", "false"]
            ),
            "['false'] are both true and false values",
        ),
        (
            lambda d: _field(d, "city_gdp", "gdp_cny_bn").__setitem__("decimals", -1),
            "decimals -1 is not a whole number from 0 to 18",
        ),
        (
            lambda d: _field(d, "city_gdp", "gdp_cny_bn").__setitem__("decimals", 2.5),
            "decimals 2.5 is not a whole number from 0 to 18",
        ),
        (
            lambda d: _field(d, "city_gdp", "gdp_cny_bn").__setitem__("partialDate", "yes"),
            "partialDate must be true or false",
        ),
        (
            lambda d: _field(d, "companies", "name_en").__setitem__("name", ""),
            "a field name must be non-empty text on one line",
        ),
        (
            lambda d: resource(d, "companies")["schema"].__setitem__(
                "primaryKey", ["company_id", "company_id"]
            ),
            "the primary key names a field twice",
        ),
        (
            lambda d: resource(d, "companies").__setitem__("path", ""),
            "resource 'companies': the path is empty; it must name a file",
        ),
    ],
    ids=[
        "empty-enum",
        "huge-minimum",
        "huge-maxlength",
        "string-minlength",
        "negative-minlength",
        "object-enum",
        "empty-delimiter",
        "long-delimiter",
        "true-false-overlap",
        "negative-decimals",
        "fractional-decimals",
        "partialdate-string",
        "empty-field-name",
        "repeated-key-field",
        "empty-path",
    ],
)
def test_descriptor_value_the_checks_cannot_use(
    package_copy: Path, change: Callable[[dict[str, Any]], None], words: str
) -> None:
    """Each was an internal error, a silently wrong release or nonsense on every row."""
    edit_descriptor(package_copy, change)
    out = run_cli("validate", str(package_copy))
    _clean(out, 1, "descriptor-profile", words)


@pytest.mark.parametrize("where", ["title", "key"])
def test_lone_surrogate_in_the_descriptor(package_copy: Path, where: str) -> None:
    path = package_copy / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    bad = '"x_note": "bad \\ud800",' if where == "title" else '"x\\udfff": 1,'
    path.write_text(text.replace("{", "{\n  " + bad, 1), encoding="utf-8")
    out = run_cli("validate", str(package_copy))
    _clean(out, 2, "2:", "descriptor-json", "half of a UTF-16 surrogate pair")


def test_descriptor_that_is_not_utf8_is_located(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").write_bytes(b'{"name": "x",\n  "t": "\xe9"}')
    out = validate(tmp_path, "datapackage.json")
    assert_reports(
        out,
        2,
        "datapackage.json",
        "2:9",
        "descriptor-json: datapackage.json is not UTF-8 (invalid continuation byte: byte 0xe9).",
    )


def test_path_too_long_for_the_file_system(tmp_path: Path) -> None:
    out = run_cli("validate", str(tmp_path / ("a" * 5000)))
    _clean(out, 2, "descriptor-missing")


def test_empty_path_is_a_usage_error(tmp_path: Path) -> None:
    out = run_cli("validate", "", cwd=tmp_path)
    _clean(out, 2, "an empty path names no package")


def test_path_with_a_line_break(package_copy: Path, tmp_path: Path) -> None:
    edit_descriptor(
        package_copy, lambda d: resource(d, "cities").__setitem__("path", "data/cities.csv\n")
    )
    out = validate(tmp_path, "pkg")
    assert_reports(
        out,
        1,
        "pkg/datapackage.json",
        value_at(package_copy / "datapackage.json", '"path": "data/cities.csv\\n"'),
        "path-unsafe: Resource 'cities' path 'data/cities.csv\\n' contains a control character "
        "(NUL, a line break, a tab...).",
    )


def test_a_refused_path_is_not_even_stat_ed(package_copy: Path, tmp_path: Path) -> None:
    """The path checks come before anything looks at a resource's file: not even the
    size estimate that decides the import warm-up (engine._local_bytes) may ``stat`` a
    path they refuse (on Windows a ``stat`` of a UNC path opens a connection)."""
    edit_descriptor(package_copy, lambda d: resource(d, "cities").update(path="/etc/../etc/passwd"))
    edit_descriptor(
        package_copy, lambda d: resource(d, "sources").update(path="../../../proc/self/status")
    )
    code = (
        "import os, sys\n"
        "seen = []\n"
        "real = os.stat\n"
        "def spy(p, *a, **k):\n"
        "    seen.append(os.fspath(p)); return real(p, *a, **k)\n"
        "os.stat = spy\n"
        "from zonedata.validate import validate_package\n"
        f"r = validate_package({str(package_copy)!r})\n"
        "print(sorted({p.code for p in r.problems if p.code.startswith('path')}))\n"
        "print([s for s in seen if 'passwd' in s or 'proc' in s])\n"
    )
    out = run_python(code, cwd=tmp_path)
    assert out.code == 0, out.output
    assert out.stdout.splitlines() == ["['path-unsafe']", "[]"]


def test_a_malformed_url_as_path_is_a_remote_path(package_copy: Path, tmp_path: Path) -> None:
    edit_descriptor(package_copy, lambda d: resource(d, "cities").update(path="http://[oops/a.csv"))
    out = validate(tmp_path, str(package_copy))
    out.assert_clean_failure(1)
    assert [(f, where, m) for f, where, m in located(out) if f == "pkg/datapackage.json"] == [
        (
            "pkg/datapackage.json",
            "-",
            "descriptor-profile: Descriptor does not follow the Data Package profile: "
            "Invalid IPv6 URL",
        ),
        (
            "pkg/datapackage.json",
            value_at(package_copy / "datapackage.json", '"path": "http://[oops/a.csv"'),
            "path-remote: Resource 'cities' points at a remote URL (http://[oops/a.csv); "
            "pass --allow-remote to fetch it.",
        ),
    ], out.output
