"""A corpus of small Frictionless data packages, one per feature, valid and broken.

Each case writes a package into a folder: ``CASES[name](folder)``. The names say the
feature and ``valid``/``broken``; the differential test validates each with zonedata and
with frictionless and compares verdicts and located errors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

PEOPLE = "id,name,age\n1,Ann,34\n2,Bob,27\n3,Cem,41\n"
PEOPLE_FIELDS = [
    {"name": "id", "type": "integer"},
    {"name": "name", "type": "string"},
    {"name": "age", "type": "integer"},
]


def write(folder: Path, resources: list[dict[str, Any]], files: dict[str, bytes | str]) -> Path:
    """Write ``datapackage.json`` with ``resources`` and the ``files`` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    descriptor = {"name": folder.name.replace("_", "-").lower()[:60] or "p", "resources": resources}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return folder / "datapackage.json"


def people(**extra: Any) -> dict[str, Any]:
    return {"name": "people", "path": "people.csv", "schema": {"fields": PEOPLE_FIELDS}, **extra}


Case = Callable[[Path], Path]
CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[name] = fn
        return fn

    return register


# --- 1. one-field keys as strings (Data Package v1) --------------------------------------


def _keys(folder: Path, people_csv: str) -> Path:
    schema = {"fields": PEOPLE_FIELDS, "primaryKey": "id"}
    pets = {
        "fields": [{"name": "pet", "type": "string"}, {"name": "owner", "type": "integer"}],
        "primaryKey": "pet",
        "foreignKeys": [{"fields": "owner", "reference": {"resource": "people", "fields": "id"}}],
    }
    return write(
        folder,
        [
            {"name": "people", "path": "people.csv", "schema": schema},
            {"name": "pets", "path": "pets.csv", "schema": pets},
        ],
        {"people.csv": people_csv, "pets.csv": "pet,owner\nrex,1\ntom,3\n"},
    )


case("string-keys-valid")(lambda d: _keys(d, PEOPLE))
case("string-keys-broken-pk")(lambda d: _keys(d, PEOPLE + "2,Dan,50\n"))
case("string-keys-broken-fk")(lambda d: _keys(d, PEOPLE.replace("3,Cem", "4,Cem")))


# --- 2. declared bytes and hash ------------------------------------------------------------


def _integrity(folder: Path, **declared: Any) -> Path:
    return write(folder, [people(**declared)], {"people.csv": PEOPLE})


_DATA = PEOPLE.encode()
case("bytes-valid")(lambda d: _integrity(d, bytes=len(_DATA)))
case("bytes-broken")(lambda d: _integrity(d, bytes=len(_DATA) + 1))
case("hash-md5-plain-valid")(lambda d: _integrity(d, hash=hashlib.md5(_DATA).hexdigest()))
case("hash-md5-prefixed-valid")(
    lambda d: _integrity(d, hash="md5:" + hashlib.md5(_DATA).hexdigest())
)
case("hash-sha1-valid")(lambda d: _integrity(d, hash="sha1:" + hashlib.sha1(_DATA).hexdigest()))
case("hash-sha256-valid")(
    lambda d: _integrity(d, hash="sha256:" + hashlib.sha256(_DATA).hexdigest())
)
case("hash-sha512-valid")(
    lambda d: _integrity(d, hash="sha512:" + hashlib.sha512(_DATA).hexdigest())
)
case("hash-md5-broken")(lambda d: _integrity(d, hash="0" * 32))
case("hash-sha256-broken")(lambda d: _integrity(d, hash="sha256:" + "0" * 64))
case("bytes-hash-broken")(lambda d: _integrity(d, bytes=1, hash="sha1:" + "0" * 40))
