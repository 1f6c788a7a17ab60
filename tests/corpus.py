"""A corpus of small Frictionless data packages, one per feature, valid and broken.

Each case writes a package into a folder: ``CASES[name](folder)``. The names say the
feature and ``valid``/``broken``; the differential test validates each with zonedata and
with frictionless and compares verdicts and located errors.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
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


# --- 3. no schema: inferred -------------------------------------------------------------------

_MANY = "id,name\n" + "".join(f"{i},n{i}\n" for i in range(1, 150))
case("inferred-valid")(
    lambda d: write(d, [{"name": "people", "path": "people.csv"}], {"people.csv": _MANY})
)
case("inferred-broken")(
    lambda d: write(d, [{"name": "people", "path": "people.csv"}], {"people.csv": _MANY + "x,y\n"})
)


# --- 4. compressed, multipart and other formats ---------------------------------------------

BROKEN_PEOPLE = PEOPLE.replace("2,Bob,27", "2,Bob,old")


def _one(folder: Path, path: str | list[str], files: dict[str, bytes | str], **extra: Any) -> Path:
    return write(folder, [people(path=path, **extra)], files)


case("gzip-valid")(lambda d: _one(d, "people.csv.gz", {"people.csv.gz": gzip.compress(_DATA)}))
case("gzip-broken")(
    lambda d: _one(d, "people.csv.gz", {"people.csv.gz": gzip.compress(BROKEN_PEOPLE.encode())})
)
case("gzip-declared-valid")(
    lambda d: _one(
        d, "people.gzip", {"people.gzip": gzip.compress(_DATA)}, compression="gz", format="csv"
    )
)
_HEAD, _REST = PEOPLE.split("\n", 1)
case("multipart-valid")(
    lambda d: _one(d, ["a.csv", "b.csv"], {"a.csv": PEOPLE, "b.csv": _HEAD + "\n4,Dan,50\n"})
)
case("multipart-broken")(
    lambda d: _one(d, ["a.csv", "b.csv"], {"a.csv": PEOPLE, "b.csv": _HEAD + "\n4,Dan,x\n"})
)


def _records(text: str) -> list[dict[str, Any]]:
    rows = [line.split(",") for line in text.strip().split("\n")]
    return [
        {k: (int(v) if v.isdigit() else v) for k, v in zip(rows[0], r, strict=True)}
        for r in rows[1:]
    ]


def _json(text: str) -> str:
    return json.dumps(_records(text))


def _jsonl(text: str) -> str:
    return "".join(json.dumps(r) + "\n" for r in _records(text))


def _xlsx(text: str) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for line in text.strip().split("\n"):
        ws.append([int(v) if v.isdigit() else v for v in line.split(",")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("people.csv", text)
    return out.getvalue()


for _fmt, _make, _ext in (
    ("json", _json, "json"),
    ("jsonl", _jsonl, "jsonl"),
    ("ndjson", _jsonl, "ndjson"),
    ("xlsx", _xlsx, "xlsx"),
    ("zip", _zip, "csv.zip"),
):
    for _state, _text in (("valid", PEOPLE), ("broken", BROKEN_PEOPLE)):
        # (a v1 tabular resource says so: frictionless takes an untyped .json for a document)
        case(f"{_fmt}-{_state}")(
            lambda d, m=_make, e=_ext, t=_text: _one(
                d, f"people.{e}", {f"people.{e}": m(t)}, profile="tabular-data-resource"
            )
        )
case("unknown-format-broken")(lambda d: _one(d, "people.dat", {"people.dat": PEOPLE}, format="dat"))
case("binary-as-csv-broken")(
    lambda d: _one(d, "people.xlsx", {"people.xlsx": _xlsx(PEOPLE)}, format="csv")
)


# --- 5. dialects, schema by path, field options and types ---------------------------------


def _dialect(folder: Path, text: str, dialect: dict[str, Any]) -> Path:
    return _one(folder, "people.csv", {"people.csv": text}, dialect=dialect)


_SEMI = PEOPLE.replace(",", ";")
case("delimiter-valid")(lambda d: _dialect(d, _SEMI, {"delimiter": ";"}))
case("delimiter-broken")(
    lambda d: _dialect(d, _SEMI.replace("Bob;27", "Bob;old"), {"delimiter": ";"})
)
case("tsv-valid")(lambda d: _dialect(d, PEOPLE.replace(",", "\t"), {"delimiter": "\t"}))
case("quotechar-valid")(lambda d: _dialect(d, PEOPLE.replace("Ann", "'A,nn'"), {"quoteChar": "'"}))
case("header-false-valid")(
    lambda d: write(
        d,
        [
            {
                "name": "people",
                "path": "people.csv",
                "dialect": {"header": False},
                "schema": {"fields": PEOPLE_FIELDS},
            }
        ],
        {"people.csv": _REST},
    )
)
case("header-false-broken")(
    lambda d: write(
        d,
        [
            {
                "name": "people",
                "path": "people.csv",
                "dialect": {"header": False},
                "schema": {"fields": PEOPLE_FIELDS},
            }
        ],
        {"people.csv": PEOPLE},  # the header is read as a row
    )
)
case("skipinitialspace-valid")(
    lambda d: _dialect(d, PEOPLE.replace(",", ", "), {"skipInitialSpace": True})
)
case("commentchar-valid")(lambda d: _dialect(d, PEOPLE + "# a comment\n", {"commentChar": "#"}))
case("escapechar-valid")(
    lambda d: _dialect(
        d, PEOPLE.replace("Ann", '"A\\"nn"'), {"doubleQuote": False, "escapeChar": "\\"}
    )
)
case("dialect-path-valid")(
    lambda d: write(
        d,
        [people(dialect="dialect.json")],
        {"people.csv": _SEMI, "dialect.json": json.dumps({"delimiter": ";"})},
    )
)
case("schema-path-valid")(
    lambda d: write(
        d,
        [{"name": "people", "path": "people.csv", "schema": "schema.json"}],
        {"people.csv": PEOPLE, "schema.json": json.dumps({"fields": PEOPLE_FIELDS})},
    )
)
case("schema-path-broken")(
    lambda d: write(
        d,
        [{"name": "people", "path": "people.csv", "schema": "schema.json"}],
        {"people.csv": BROKEN_PEOPLE, "schema.json": json.dumps({"fields": PEOPLE_FIELDS})},
    )
)


def _typed(folder: Path, field: dict[str, Any], cells: list[str], **schema: Any) -> Path:
    text = "id," + field["name"] + "\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells, 1))
    fields = [{"name": "id", "type": "integer"}, field]
    return write(
        folder,
        [{"name": "t", "path": "t.csv", "schema": {"fields": fields, **schema}}],
        {"t.csv": text},
    )


TYPED: dict[str, tuple[dict[str, Any], list[str], list[str]]] = {
    # name: (field, valid cells, cells with one broken value at the end)
    "missingvalues": ({"name": "v", "type": "integer"}, ["1", "NA", "3"], ["1", "NA", "n/a"]),
    "decimalchar": (
        {"name": "v", "type": "number", "decimalChar": ","},
        ['"1,5"', "2"],
        ['"1,5"', "2.5.1"],
    ),
    "groupchar": (
        {"name": "v", "type": "number", "groupChar": " "},
        ["1 000.5", "2"],
        ["1 000.5", "2x"],
    ),
    "barenumber": (
        {"name": "v", "type": "number", "bareNumber": False},
        ["€1.5", "2%"],
        ["€1.5", "two"],
    ),
    "truevalues": (
        {"name": "v", "type": "boolean", "trueValues": ["Y"], "falseValues": ["N"]},
        ["Y", "N"],
        ["Y", "true"],
    ),
    "dateformat": (
        {"name": "v", "type": "date", "format": "%d/%m/%Y"},
        ["31/12/2020", "01/01/2021"],
        ["31/12/2020", "2021-01-01"],
    ),
    "datetime": (
        {"name": "v", "type": "datetime"},
        ["2020-01-01T10:00:00Z", "2021-06-30T23:59:59Z"],
        ["2020-01-01T10:00:00Z", "2021-06-30"],
    ),
    "time": ({"name": "v", "type": "time"}, ["10:00:00", "23:59:59"], ["10:00:00", "25:00:00"]),
    "year": ({"name": "v", "type": "year"}, ["2020", "1999"], ["2020", "99x"]),
    "yearmonth": (
        {"name": "v", "type": "yearmonth"},
        ["2020-01", "1999-12"],
        ["2020-01", "2020-13"],
    ),
    "duration": ({"name": "v", "type": "duration"}, ["P1Y2M", "PT1H"], ["P1Y2M", "1 hour"]),
    "geopoint": ({"name": "v", "type": "geopoint"}, ['"10.0, 20.0"'], ['"10.0, 20.0"', "north"]),
    "geojson": (
        {"name": "v", "type": "geojson"},
        ['"{""type"": ""Point"", ""coordinates"": [1, 2]}"'],
        ['"{""type"": ""Point"", ""coordinates"": [1, 2]}"', "nowhere"],
    ),
    "object": ({"name": "v", "type": "object"}, ['"{""a"": 1}"'], ['"{""a"": 1}"', "[1]"]),
    "array": ({"name": "v", "type": "array"}, ['"[1, 2]"'], ['"[1, 2]"', "{}"]),
    "any": ({"name": "v", "type": "any"}, ["x", "1"], None),  # type: ignore[dict-item]
}
for _name, (_field, _ok, _bad) in TYPED.items():
    _schema = {"missingValues": ["", "NA"]} if _name == "missingvalues" else {}
    case(f"{_name}-valid")(lambda d, f=_field, c=_ok, s=_schema: _typed(d, f, c, **s))
    if _bad is not None:
        case(f"{_name}-broken")(lambda d, f=_field, c=_bad, s=_schema: _typed(d, f, c, **s))
case("encoding-latin1-valid")(
    lambda d: write(
        d,
        [people(encoding="latin-1")],
        {"people.csv": PEOPLE.replace("Cem", "Céline").encode("latin-1")},
    )
)


def _ods(text: str) -> bytes:
    import tempfile

    from frictionless import Resource

    rows = [[int(v) if v.isdigit() else v for v in line.split(",")] for line in text.split("\n")]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "t.ods"
        Resource(data=[r for r in rows if r != [""]]).write(str(target))
        return target.read_bytes()


for _state, _text in (("valid", PEOPLE), ("broken", BROKEN_PEOPLE)):
    case(f"ods-{_state}")(
        lambda d, t=_text: _one(
            d, "people.ods", {"people.ods": _ods(t)}, profile="tabular-data-resource"
        )
    )
    case(f"inline-data-{_state}")(
        lambda d, t=_text: write(
            d,
            [{"name": "people", "data": _records(t), "schema": {"fields": PEOPLE_FIELDS}}],
            {},
        )
    )


# --- the file layer's conventions where frictionless has none ----------------------------

case("bom-valid")(lambda d: _one(d, "people.csv", {"people.csv": b"\xef\xbb\xbf" + _DATA}))
case("crlf-valid")(lambda d: _one(d, "people.csv", {"people.csv": PEOPLE.replace("\n", "\r\n")}))
case("blank-line-broken")(
    lambda d: _one(d, "people.csv", {"people.csv": PEOPLE.replace("2,Bob,27\n", "2,Bob,27\n\n")})
)
case("blank-cells-broken")(
    lambda d: _one(d, "people.csv", {"people.csv": PEOPLE.replace("2,Bob,27\n", "2,Bob,27\n,,\n")})
)


# --- documents beside the tables (no schema, not tabular) ----------------------------------

_README = "# People\n\nA list of people.\n"
case("document-valid")(
    lambda d: write(
        d,
        [people(), {"name": "readme", "path": "README.md", "format": "md"}],
        {"people.csv": PEOPLE, "README.md": _README},
    )
)
case("document-broken")(
    lambda d: write(
        d,
        [people(), {"name": "readme", "path": "README.md", "bytes": 1}],
        {"people.csv": PEOPLE, "README.md": _README},
    )
)
