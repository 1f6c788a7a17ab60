"""Layer 2: file structure, checked on the raw bytes with vectorized numpy operations.

Finds the record boundaries of an RFC 4180 CSV file without a per-row Python loop: a
newline or delimiter counts only where the number of quote characters before it is even
(escaped quotes ``""`` toggle twice). From those positions come the physical line of
every record, ragged rows and the header.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zonedata.model.descriptor import Table
from zonedata.validate.problems import Problem, make

BOM = b"\xef\xbb\xbf"


@dataclass
class FileScan:
    """What the structure layer learned about one file."""

    data: bytes
    header: list[str]
    #: physical (1-based) line of each well-formed data record, in file order
    lines: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True  # the schema layer may parse the records


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def scan_file(path: Path, table: Table, display: str) -> FileScan:
    """Check encoding, BOM, NUL bytes, line endings, header and row lengths."""
    kw = {"table": table.name, "path": display}
    empty = np.empty(0, dtype=np.int64)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        p = make("file-missing", f"{display} does not exist (resource {table.name!r}).", **kw)
        return FileScan(b"", [], empty, [p], readable=False)
    except OSError as e:
        p = make("file-unreadable", f"{display} cannot be read: {e.strerror or e}.", **kw)
        return FileScan(b"", [], empty, [p], readable=False)
    problems: list[Problem] = []
    if data.startswith(BOM):
        problems.append(
            make(
                "bom",
                "The file starts with a UTF-8 byte order mark; save it as UTF-8 without BOM.",
                line=1,
                column=1,
                **kw,
            )
        )
        data = data[len(BOM) :]
    if not data.strip():
        problems.append(
            make("file-empty", "The file is empty: it needs at least a header row.", line=1, **kw)
        )
        return FileScan(data, [], empty, problems, readable=False)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = _line_of(data, nul)
        problems.append(
            make(
                "nul-byte",
                f"NUL byte at line {line}: the file is binary or corrupted.",
                line=line,
                column=nul - data.rfind(b"\n", 0, nul),
                **kw,
            )
        )
        return FileScan(data, [], empty, problems, readable=False)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = _line_of(data, e.start)
        col = e.start - data.rfind(b"\n", 0, e.start)
        bad = data[e.start : e.start + 4]
        problems.append(
            make(
                "encoding-error",
                f"Not UTF-8: byte 0x{bad[:1].hex()} at line {line}, column {col} cannot be decoded "
                "(the file may be latin-1, Windows-1252 or GBK). Re-save it as UTF-8.",
                line=line,
                column=col,
                value=bad.hex(),
                **kw,
            )
        )
        return FileScan(data, [], empty, problems, readable=False)
    crlf = data.find(b"\r\n")
    if crlf >= 0:
        line = _line_of(data, crlf)
        problems.append(
            make(
                "crlf-line-endings",
                f"CRLF line endings (first at line {line}); the package convention is LF.",
                line=line,
                **kw,
            )
        )

    arr = np.frombuffer(data, dtype=np.uint8)
    delim = ord(table.delimiter[:1] or ",")
    if b'"' in data:
        parity = np.bitwise_xor.accumulate((arr == 34).astype(np.uint8))
        outside = parity == 0
        if parity[-1]:
            last_q = data.rfind(b'"')
            # the unclosed quote is the last one that opened a cell
            opened = int(np.flatnonzero((arr == 34) & (parity == 1))[-1]) if last_q >= 0 else 0
            line = _line_of(data, opened)
            problems.append(
                make(
                    "quote-unclosed",
                    f"A quote opened at line {line} is never closed.",
                    line=line,
                    **kw,
                )
            )
            return FileScan(data, [], empty, problems, readable=False)
        newlines = np.flatnonzero((arr == 10) & outside)
        delims = np.flatnonzero((arr == delim) & outside)
        all_newlines = np.flatnonzero(arr == 10)
    else:
        newlines = np.flatnonzero(arr == 10)
        delims = np.flatnonzero(arr == delim)
        all_newlines = newlines
    n = len(data)
    ends = newlines if (len(newlines) and newlines[-1] == n - 1) else np.append(newlines, n)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    ends = ends.astype(np.int64)
    # a record is blank when it holds nothing but an optional \r
    length = ends - starts
    cr_last = np.zeros(len(ends), dtype=bool)
    nonempty = length > 0
    cr_last[nonempty] = arr[ends[nonempty] - 1] == 13
    blank = (length == 0) | ((length == 1) & cr_last)
    cells = np.searchsorted(delims, ends) - np.searchsorted(delims, starts) + 1
    record_lines = np.searchsorted(all_newlines, starts) + 1  # physical line of each record start

    keep = np.flatnonzero(~blank)
    if len(keep) == 0:
        problems.append(make("file-empty", "The file has no header row.", line=1, **kw))
        return FileScan(data, [], empty, problems, readable=False)
    h = keep[0]
    header_text = data[starts[h] : ends[h]].decode("utf-8").rstrip("\r")
    header = next(csv.reader([header_text], delimiter=table.delimiter)) if header_text else []
    problems.extend(check_header(header, table, int(record_lines[h]), kw))

    body = keep[1:]
    ragged = body[cells[body] != len(header)]
    if len(ragged):
        for i in ragged[:1000]:  # bounded: one message per ragged row, up to 1000
            ln = int(record_lines[i])
            problems.append(
                make(
                    "row-length",
                    f"Row at line {ln} has {int(cells[i])} cells; the header has {len(header)}.",
                    line=ln,
                    value=str(int(cells[i])),
                    **kw,
                )
            )
        if len(ragged) > 1000:
            problems.append(
                make("row-length", f"... and {len(ragged) - 1000} more ragged rows.", **kw)
            )
    good = body[cells[body] == len(header)]
    header_ok = not any(
        p.code in ("header-mismatch", "missing-column", "extra-column") for p in problems
    )
    return FileScan(data, header, record_lines[good].astype(np.int64), problems, readable=header_ok)


def check_header(header: list[str], table: Table, line: int, kw: dict[str, str]) -> list[Problem]:
    expected = table.field_names
    if header == expected:
        return []
    problems: list[Problem] = []
    missing = [n for n in expected if n not in header]
    extra = [n for n in header if n not in expected]
    if len(header) == len(expected) and len(missing) == len(extra):
        # same width: report each position whose name differs (renamed or reordered)
        for i, (got, want) in enumerate(zip(header, expected, strict=True), start=1):
            if got != want:
                problems.append(
                    make(
                        "header-mismatch",
                        f"Column {i} is named {got!r}; the schema expects {want!r} here.",
                        line=line,
                        field=want,
                        field_number=i,
                        value=got,
                        **kw,
                    )
                )
        return problems
    for name in missing:
        i = expected.index(name) + 1
        problems.append(
            make(
                "missing-column",
                f"The schema's field {name!r} (position {i}) has no column in the header.",
                line=line,
                field=name,
                field_number=i,
                **kw,
            )
        )
    for name in extra:
        i = header.index(name) + 1
        problems.append(
            make(
                "extra-column",
                f"Column {i} {name!r} is not a field of the schema.",
                line=line,
                field=name,
                field_number=i,
                value=name,
                **kw,
            )
        )
    if not missing and not extra:
        problems.append(
            make(
                "header-mismatch",
                f"The header's columns are out of order; expected {', '.join(expected)}.",
                line=line,
                **kw,
            )
        )
    return problems
