"""``zonedata validate`` on data packages other than zonedata's own (issue 15)."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.corpus import CASES, PEOPLE, PEOPLE_FIELDS, people, write
from tests.hostile import run_cli
from zonedata.problems import RULES
from zonedata.validate import validate_package


def codes(tmp_path: Path, name: str, *, warnings: bool = False) -> list[str]:
    """The codes of the errors (and warnings, if asked) zonedata reports on a case."""
    report = validate_package(CASES[name](tmp_path / name), semantic=False)
    return [p.code for p in report.problems if warnings or p.severity == "error"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("string-keys-valid", []),
        ("string-keys-broken-pk", ["primary-key-duplicate"]),
        ("string-keys-broken-fk", ["foreign-key-dangling"]),
    ],
)
def test_string_keys(tmp_path: Path, name: str, expected: list[str]) -> None:
    assert codes(tmp_path, name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bytes-valid", []),
        ("bytes-broken", ["byte-count"]),
        ("hash-md5-plain-valid", []),
        ("hash-md5-prefixed-valid", []),
        ("hash-sha1-valid", []),
        ("hash-sha256-valid", []),
        ("hash-sha512-valid", []),
        ("hash-md5-broken", ["hash-count"]),
        ("hash-sha256-broken", ["hash-count"]),
        ("bytes-hash-broken", ["byte-count", "hash-count"]),
    ],
)
def test_bytes_and_hash(tmp_path: Path, name: str, expected: list[str]) -> None:
    assert codes(tmp_path, name) == expected


def test_inferred_schema_is_a_warning_and_strict_fails(tmp_path: Path) -> None:
    report = validate_package(CASES["inferred-valid"](tmp_path / "p"), semantic=False)
    [warning] = report.warnings
    assert warning.code == "schema-inferred" and "id: integer" in warning.message
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1


def test_unsupported_format_names_it(tmp_path: Path) -> None:
    report = validate_package(CASES["unknown-format-broken"](tmp_path / "p"), semantic=False)
    [error] = report.errors
    assert error.code == "unsupported-format" and "dat" in error.message


def _bounded_errors(folder: Path) -> list[str]:
    """The error codes of ``zonedata validate`` on ``folder``, run in a child process
    under a timeout and a 1 GiB address-space limit (hostile input: see tests/hostile.py)."""
    out = run_cli("validate", str(folder), "--format", "json", "--no-semantic", memory=1 << 30)
    assert out.code in (1, 2), out.output
    report = json.loads(out.stdout)
    return [p["code"] for p in report["problems"] if p["severity"] == "error"]


def test_gzip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = gzip.compress(b"id,name,age\n" + b"1,a,2\n" * 10_000_000)  # 60 MB from ~60 KB
    write(tmp_path / "p", [people(path="people.csv.gz")], {"people.csv.gz": bomb})
    assert _bounded_errors(tmp_path / "p") == ["file-too-large"]


def test_zip_bomb_is_not_handed_to_frictionless(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("people.csv", b"id,name,age\n" + b"1,a,2\n" * 10_000_000)
    write(tmp_path / "p", [people(path="people.csv.zip")], {"people.csv.zip": out.getvalue()})
    assert _bounded_errors(tmp_path / "p") == ["file-too-large"]


@pytest.mark.parametrize("where", ["../schema.json", "/dev/zero", "/etc/passwd", "sub"])
def test_schema_path_must_be_a_json_file_inside_the_package(tmp_path: Path, where: str) -> None:
    (tmp_path / "schema.json").write_text(json.dumps({"fields": PEOPLE_FIELDS}))
    resource = {"name": "people", "path": "people.csv", "schema": where}
    write(tmp_path / "p", [resource], {"people.csv": PEOPLE, "sub/x": ""})
    errors = _bounded_errors(tmp_path / "p")
    assert errors and all(code == "descriptor-profile" for code in errors)


def test_a_foreign_package_gets_no_semantic_noise(tmp_path: Path) -> None:
    """The semantic rules run on the tables that carry the fields they rely on: none here."""
    for name in ("string-keys-valid", "inferred-valid", "datetime-valid", "gzip-valid"):
        report = validate_package(CASES[name](tmp_path / name))
        assert not [p for p in report.problems if RULES[p.code].layer == "semantic"], name
        assert not [p for p in report.problems if p.code == "internal-error"], name


def test_foreign_package_with_zonedata_like_fields_gets_no_crash(tmp_path: Path) -> None:
    """Fields named as zonedata's (source_id, year, preferred...) in unrelated tables."""
    fields = [
        {"name": "city_id", "type": "string"},
        {"name": "year", "type": "integer"},
        {"name": "source_id", "type": "string"},
        {"name": "preferred", "type": "boolean"},
        {"name": "gdp_usd_bn", "type": "number"},
        {"name": "rank", "type": "integer"},
    ]
    text = "city_id,year,source_id,preferred,gdp_usd_bn,rank\nx,2020,s,true,1.5,1\n"
    resource = {"name": "city_gdp", "path": "t.csv", "schema": {"fields": fields}}
    write(tmp_path / "p", [resource], {"t.csv": text})
    report = validate_package(tmp_path / "p")
    assert not [p for p in report.problems if p.code == "internal-error"]


def test_semantic_rules_run_only_where_the_package_declares_them(tmp_path: Path) -> None:
    """A future date or a text cell starting with '-' is fine in another package, even
    one with zonedata's field properties, and refused where the package declares the
    rules (``zonedata:rules``)."""
    fields = [
        {"name": "id", "type": "integer"},
        {"name": "d", "type": "date"},
        {"name": "note", "type": "string"},
        {"name": "v", "type": "number", "decimals": 1},
    ]
    text = "id,d,note,v\n1,2099-01-01,-5 C,1.5\n"
    resource = {"name": "x", "path": "x.csv", "schema": {"fields": fields}}
    write(tmp_path / "foreign", [resource], {"x.csv": text})
    assert validate_package(tmp_path / "foreign").problems == []
    write(tmp_path / "ours", [resource], {"x.csv": text})
    path = tmp_path / "ours" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["zonedata:rules"] = [
        {"kind": "not-in-future", "code": "date-in-future"},
        {"kind": "no-formula", "code": "formula-cell"},
    ]
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    codes = [p.code for p in validate_package(tmp_path / "ours").problems]
    assert codes == ["date-in-future", "formula-cell"]


@pytest.mark.parametrize(
    ("path", "files", "code"),
    [
        ("../people.csv", {}, "path-unsafe"),
        ("https://example.org/people.csv", {}, "path-remote"),
        ("missing.csv", {}, "file-missing"),
        ("people.csv.gz", {"people.csv.gz": b"not gzip"}, "file-unreadable"),
    ],
)
def test_a_resource_without_schema_that_cannot_be_inferred_spares_the_others(
    tmp_path: Path, path: str, files: dict[str, bytes], code: str
) -> None:
    write(
        tmp_path / "p",
        [{"name": "odd", "path": path}, people()],
        {"people.csv": PEOPLE, **files},
    )
    report = validate_package(tmp_path / "p", semantic=False)
    assert code in [p.code for p in report.errors if p.table == "odd"]
    assert not [p for p in report.errors if p.table == "people"]
    assert report.rows == 3  # the other table was checked


def test_multipart_problems_are_located_in_their_part(tmp_path: Path) -> None:
    report = validate_package(CASES["multipart-broken"](tmp_path / "p"), semantic=False)
    [error] = report.errors
    assert (Path(error.path or "").name, error.line, error.row) == ("b.csv", 2, 5)
    assert error.column == 7  # the part is plain CSV: the column is found


def test_every_frictionless_error_type_has_a_zonedata_code() -> None:
    import inspect

    import frictionless.errors

    from zonedata.problems import FRICTIONLESS_CODES

    types = {
        c.type
        for _, c in inspect.getmembers(frictionless.errors, inspect.isclass)
        if isinstance(getattr(c, "type", None), str)
    }
    assert types - set(FRICTIONLESS_CODES) == set()
    assert set(FRICTIONLESS_CODES.values()) <= set(RULES)
