"""``zonedata validate`` on data packages other than zonedata's own (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus import CASES
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
