"""Layer 2: file structure, checked on the raw bytes with vectorized numpy operations.

Finds the record boundaries of an RFC 4180 CSV file without a per-row Python loop: a
newline or delimiter counts only where the number of quote characters before it is even
(escaped quotes ``""`` toggle twice). From those positions come the physical line of
every record, ragged rows and the header.

Fast path: a file with no quote, no carriage return and no blank line has one record per
physical line, so the scan hands it straight to the Arrow CSV parser (which the schema
layer needs anyway) and keeps the parsed table. When the parser finds no ragged row, the
record lines are simply 2, 3, ...; otherwise (or for any other file) the byte scan above
runs, so the problems reported are the same either way.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from zonedata.model.descriptor import Table
from zonedata.validate import safeio
from zonedata.validate.memory import parse_pool
from zonedata.validate.problems import Problem, make

BOM = b"\xef\xbb\xbf"
#: Arrow CSV block size of the byte-scan path (a record may not straddle two blocks when
#: quoted values may hold newlines) and of the fast path (files without quotes)
BLOCK_SIZE = 1 << 24
FAST_BLOCK_SIZE = 1 << 21
#: The longest header record, in bytes: 64 KiB, hundreds of times a real header, and
#: below the 128 KiB that Python's csv module allows a cell.
MAX_HEADER_BYTES = 1 << 16
#: What a file that cannot be read as input is reported as.
_INPUT_CODES = {
    "missing": "file-missing",
    "not-regular": "file-not-regular",
    "too-large": "file-too-large",
}


@dataclass
class FileScan:
    """What the structure layer learned about one file."""

    data: bytes
    header: list[str]
    #: physical (1-based) line of each well-formed data record, in file order
    lines: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True  # the schema layer may parse the records
    #: every record (header first) parsed as strings, when the fast path already did it
    parsed: pa.Table | None = None


def parse_records(
    data: bytes,
    header: list[str],
    table: Table,
    *,
    quoted: bool = True,
    block_size: int = BLOCK_SIZE,
    on_invalid: list[object] | None = None,
) -> pa.Table:
    """Parse ``data`` (no BOM) as strings, header row included; ragged rows are skipped.

    Missing values become null. ``quoted=False`` promises that ``data`` holds no quote
    character, so that no value can hold a newline. Each skipped row is appended to
    ``on_invalid``, if given.
    """

    def skip(row: object) -> str:
        if on_invalid is not None:
            on_invalid.append(row)
        return "skip"

    return pacsv.read_csv(
        # an Arrow buffer over ``data``, not a copy: the parser's threads read it without
        # calling back into Python (as a file object would, holding the GIL)
        pa.BufferReader(data),
        memory_pool=parse_pool(),  # (see zonedata.validate.memory)
        read_options=pacsv.ReadOptions(
            column_names=header, skip_rows=0, encoding="utf8", block_size=block_size
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=table.delimiter, newlines_in_values=quoted, invalid_row_handler=skip
        ),
        convert_options=pacsv.ConvertOptions(
            # large_string: the layout of pandas' string columns, which then share the data
            column_types={n: pa.large_string() for n in header},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=list(table.missing_values),
        ),
    )


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def scan_file(path: Path, table: Table, display: str) -> FileScan:
    """Check encoding, BOM, NUL bytes, line endings, header and row lengths."""
    kw = {"table": table.name, "path": display}
    empty = np.empty(0, dtype=np.int64)
    try:
        data = safeio.read_regular(path, safeio.max_file_bytes(), display)
    except safeio.InputError as e:
        code = _INPUT_CODES.get(e.kind, "file-unreadable")
        hint = f" (resource {table.name!r})" if e.kind == "missing" else ""
        if e.kind == "too-large":
            hint = f"; set {safeio.MAX_FILE_ENV} to raise the limit"
        p = make(code, f"{e.message}{hint}.", **kw)
        return FileScan(b"", [], empty, [p], readable=False)
    except ValueError as e:  # the limit's environment variable is not a number
        p = make("file-unreadable", f"{display} was not read: {e}.", **kw)
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
    if not data or data.isspace():  # what data.strip() would leave empty, without a copy
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
        if not data.isascii():  # ASCII is UTF-8; only other bytes need decoding
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
    crlf = data.find(b"\r\n") if b"\r" in data else -1
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

    fast = _fast_scan(data, table, kw)
    if fast is not None:
        fast.problems[:0] = problems
        return fast
    return _scan_bytes(data, table, problems, kw)


def _fast_scan(data: bytes, table: Table, kw: dict[str, str]) -> FileScan | None:
    """Parse a plain file (one record per line) directly; ``None``: use the byte scan.

    The result is the byte scan's exactly: without quotes, carriage returns or blank lines
    every physical line is one record and the Arrow parser splits cells as the byte scan
    does. A file with a blank line (the parser skips it: fewer rows than lines), a header
    that differs from the schema or a ragged row (which the byte scan reports, with its
    line) is left to the byte scan.
    """
    delim = table.delimiter
    if (
        len(delim) != 1
        or not delim.isascii()
        or delim in '\r\n"'
        or b'"' in data
        or b"\r" in data
        or data.startswith(b"\n")
    ):
        return None
    end = data.find(b"\n")
    if (end if end >= 0 else len(data)) > MAX_HEADER_BYTES:
        return None
    header_text = (data[:end] if end >= 0 else data).decode("utf-8")
    header = next(csv.reader([header_text], delimiter=delim))
    if header != list(table.field_names):
        return None
    invalid: list[object] = []
    try:
        parsed = parse_records(
            data, header, table, quoted=False, block_size=FAST_BLOCK_SIZE, on_invalid=invalid
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    # The parser skips blank lines: with one row per line, no line was blank.
    n_lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if invalid or parsed.num_rows != n_lines:
        return None
    lines = np.arange(2, n_lines + 1, dtype=np.int64)  # the header is line 1
    # the parsed records are all the next layer reads: the bytes can go now
    return FileScan(b"", header, lines, [], readable=True, parsed=parsed)


def _scan_bytes(data: bytes, table: Table, problems: list[Problem], kw: dict[str, str]) -> FileScan:
    """Find records, cells and lines with vectorized passes over the bytes."""
    empty = np.empty(0, dtype=np.int64)
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
        outside = None
        newlines = np.flatnonzero(arr == 10)
        delims = np.flatnonzero(arr == delim)
        all_newlines = newlines
    bare = _bare_cr(data, arr, outside, kw) if b"\r" in data else None
    if bare is not None:
        problems.append(bare)
        return FileScan(data, [], empty, problems, readable=False)
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
    if len(all_newlines) == len(newlines):  # no newline inside quotes: a record is a line
        record_lines = np.arange(1, len(starts) + 1, dtype=np.int64)
    else:  # physical line of each record start
        record_lines = np.searchsorted(all_newlines, starts) + 1

    keep = np.flatnonzero(~blank)
    if len(keep) == 0:
        problems.append(make("file-empty", "The file has no header row.", line=1, **kw))
        return FileScan(data, [], empty, problems, readable=False)
    h = keep[0]
    if ends[h] - starts[h] > MAX_HEADER_BYTES:
        ln = int(record_lines[h])
        problems.append(
            make(
                "header-too-long",
                f"The header at line {ln} is {int(ends[h] - starts[h]):,} bytes long; "
                f"the limit is {MAX_HEADER_BYTES:,}.",
                line=ln,
                **kw,
            )
        )
        return FileScan(data, [], empty, problems, readable=False)
    header_text = data[starts[h] : ends[h]].decode("utf-8").rstrip("\r")
    header = next(csv.reader([header_text], delimiter=table.delimiter)) if header_text else []
    problems.extend(check_header(header, table, int(record_lines[h]), kw))

    body = keep[1:]
    cells = _cells(delims, starts, ends, body, len(header))
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


def _bare_cr(
    data: bytes, arr: np.ndarray, outside: np.ndarray | None, kw: dict[str, str]
) -> Problem | None:
    """A carriage return outside quotes and not before a line feed, if there is one.

    Arrow's CSV parser ends a record at such a CR, Python's csv module refuses it, and
    this scan (which ends records at LF only) would see one record: rather than let the
    readers disagree on the rows, the file is refused at the first one.
    """
    cr = np.flatnonzero(arr == 13)
    after = np.minimum(cr + 1, len(arr) - 1)
    bare = cr[(cr + 1 >= len(arr)) | (arr[after] != 10)]
    if outside is not None:
        bare = bare[outside[bare]]
    if not len(bare):
        return None
    pos = int(bare[0])
    line = _line_of(data, pos)
    col = len(data[data.rfind(b"\n", 0, pos) + 1 : pos].decode("utf-8", errors="replace")) + 1
    more = f" ({len(bare) - 1:,} more follow)" if len(bare) > 1 else ""
    what = (
        "the file uses CR-only (classic Mac) line endings"
        if b"\n" not in data
        else "a line ends in CR alone, or a cell holds one outside quotes"
    )
    return make(
        "bare-cr",
        f"Carriage return without line feed at line {line}, column {col}{more}: {what}. "
        "Use LF line endings, and quote a cell that holds a line break.",
        line=line,
        column=col,
        **kw,
    )


def _cells(
    delims: np.ndarray, starts: np.ndarray, ends: np.ndarray, body: np.ndarray, width: int
) -> np.ndarray:
    """Cells of each record: delimiters (outside quotes) between its start and end, plus one.

    When the body records hold exactly ``width - 1`` delimiters each and no others follow
    the header (the usual case), the count is known without a search per record: blank
    records hold none, so the body's delimiters are the last ``len(body) * (width - 1)``
    ones, and if the first and last of each record's share lie inside that record, all of
    them do. Only the body's entries are meaningful in that case.
    """
    k = width - 1
    if len(body) and k >= 0:
        tail = delims[np.searchsorted(delims, starts[body[0]]) :]
        if len(tail) == len(body) * k and (
            k == 0
            or (
                bool((tail[::k] >= starts[body]).all())
                and bool((tail[k - 1 :: k] < ends[body]).all())
            )
        ):
            return np.full(len(starts), width, dtype=np.int64)
    return np.searchsorted(delims, ends) - np.searchsorted(delims, starts) + 1


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
