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
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from zonedata import safeio
from zonedata.descriptor import sources
from zonedata.descriptor.arrow import BLOCK_SIZE, BOM, parse_csv
from zonedata.descriptor.package import Table
from zonedata.errors import InputError
from zonedata.limits import current_limits, env_of
from zonedata.problems import Problem, make
from zonedata.validate.memory import parse_pool

#: Arrow CSV block size of the fast path (files without quotes); the byte-scan path
#: uses the parser's default, :data:`zonedata.descriptor.arrow.BLOCK_SIZE`
FAST_BLOCK_SIZE = 1 << 21
#: The longest header record, in bytes: 64 KiB, hundreds of times a real header, and
#: below the 128 KiB that Python's csv module allows a cell.
MAX_HEADER_BYTES = 1 << 16
#: The longest record, in bytes: the parser's block, which a record may not straddle
#: (16 MiB, a hundred times Python's csv cell limit).
MAX_ROW_BYTES = BLOCK_SIZE
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
    #: the later parts of a multipart resource: (the line of the stream where the part
    #: starts, the part's path as shown, that line's number in the part)
    parts: list[tuple[int, str, int]] = field(default_factory=list)


#: The first bytes of binary formats a CSV resource may turn out to be, and their names
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (XLSX, ODS or zip)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE document (XLS)"),
    (b"PAR1", "a Parquet file"),
    (b"%PDF-", "a PDF document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed"),
)


def binary_kind(data: bytes) -> str | None:
    """What known binary format ``data`` is, by its first bytes; ``None``: none of them."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    return None


def _later_part(first: bytes, part: bytes) -> bytes:
    """A later part of a multipart CSV without its first line if that repeats the header.

    The Data Package standard puts the header in the first part only; frictionless drops
    the first line of every later part. A repeated header is dropped (both agree); a
    later part that starts with data is kept whole, as the standard says.
    """
    end = first.find(b"\n")
    header = first[: end + 1] if end >= 0 else first + b"\n"
    if header.startswith(BOM):
        header = header[len(BOM) :]
    return part[len(header) :] if part.startswith(header) else part


#: The hash algorithms a resource's ``hash`` may name (frictionless' own set)
HASHES = ("md5", "sha1", "sha256", "sha512")


def declared_hash(value: object) -> tuple[str, str] | None:
    """(algorithm, lowercase hex) of a resource's ``hash``; ``None``: none to check.

    ``"md5:…"``, ``"sha256:…"`` (Data Package v1 and v2) or plain hex, which is md5. An
    algorithm other than :data:`HASHES` is not checked (frictionless ignores it too).
    """
    if not isinstance(value, str) or not value:
        return None
    algorithm, _, digest = value.rpartition(":")
    algorithm = algorithm.lower() or "md5"
    if algorithm not in HASHES:
        return None
    return algorithm, digest.strip().lower()


def check_integrity(data: bytes, table: Table, kw: dict[str, str]) -> list[Problem]:
    """The file's size and hash against the resource's declared ``bytes`` and ``hash``."""
    problems: list[Problem] = []
    declared = table.descriptor.get("bytes")
    if isinstance(declared, int) and not isinstance(declared, bool) and declared != len(data):
        problems.append(
            make(
                "byte-count",
                f"The file is {len(data):,} bytes; the descriptor declares {declared:,}.",
                value=str(len(data)),
                **kw,
            )
        )
    wanted = declared_hash(table.descriptor.get("hash"))
    if wanted is not None:
        algorithm, digest = wanted
        actual = hashlib.new(algorithm, data).hexdigest()
        if actual != digest:
            problems.append(
                make(
                    "hash-count",
                    f"The file's {algorithm} hash is {actual}; the descriptor declares {digest}.",
                    value=actual,
                    **kw,
                )
            )
    return problems


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def scan_file(
    path: Path, table: Table, display: str, *, more: tuple[tuple[Path, str], ...] = ()
) -> FileScan:
    """Check encoding, BOM, NUL bytes, line endings, header and row lengths.

    ``more``: the further parts of a multipart resource (path, path as shown), read after
    ``path`` as one stream (the header is in the first part; the scan's ``parts`` map the
    stream's lines back to the parts'). A gzip-compressed file is decompressed
    (bounded: see :func:`zonedata.descriptor.sources.decompress_gzip`) after its declared
    ``bytes`` and ``hash`` are checked on the file as it is.
    """
    parts: list[tuple[int, str, int]] = []
    scan = _scan_file(path, table, display, more, parts)
    scan.parts = parts
    return scan


def _scan_file(
    path: Path,
    table: Table,
    display: str,
    more: tuple[tuple[Path, str], ...],
    parts: list[tuple[int, str, int]],
) -> FileScan:
    kw = {"table": table.name, "path": display}
    empty = np.empty(0, dtype=np.int64)
    got = _read_input(path, table, display, more, parts, kw)
    if isinstance(got, Problem):
        return FileScan(b"", [], empty, [got], readable=False)
    data = got
    problems = check_integrity(data, table, kw)
    if sources.compression(table.descriptor, table.path) == "gz":
        try:
            data = sources.decompress_gzip(data, current_limits().max_file_bytes, display)
        except sources.UnsafeInput as u:
            problems.append(make(u.code, f"{u.message}.", **kw))
            return FileScan(b"", [], empty, problems, readable=False)
    if data.startswith(BOM) and binary_kind(data) is None:
        if "no-bom" in table.conventions:
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
    fatal = _not_text(data, kw)
    if fatal is not None:
        problems.append(fatal)
        return FileScan(data, [], empty, problems, readable=False)
    crlf = data.find(b"\r\n") if b"\r" in data and "lf" in table.conventions else -1
    if crlf >= 0:
        line = _line_of(data, crlf)
        problems.append(
            make(
                "crlf-line-endings",
                f"CRLF line endings (first at line {line}); the package declares LF.",
                line=line,
                **kw,
            )
        )
    fast = _fast_scan(data, table, kw)
    if fast is not None:
        fast.problems[:0] = problems
        return fast
    return _scan_bytes(data, table, problems, kw)


def _read_input(
    path: Path,
    table: Table,
    display: str,
    more: tuple[tuple[Path, str], ...],
    parts: list[tuple[int, str, int]],
    kw: dict[str, str],
) -> bytes | Problem:
    """The file's bytes (a multipart resource's parts joined, ``parts`` noting where
    each later part starts), or the problem that kept it from being read."""
    try:
        limit = current_limits().max_file_bytes
        data = safeio.read_regular(path, limit, display)
        for part, shown in more:
            raw = safeio.read_regular(part, limit - len(data), shown)
            rest = _later_part(data, raw)
            parts.append((data.count(b"\n") + 1, shown, 1 + (len(rest) < len(raw))))
            data += rest
    except InputError as e:
        code = _INPUT_CODES.get(e.kind, "file-unreadable")
        hint = f" (resource {table.name!r})" if e.kind == "missing" else ""
        if e.kind == "too-large":
            hint = f"; set {env_of('max_file_bytes')} to raise the limit"
        return make(code, f"{e.message}{hint}.", **kw)
    except ValueError as e:  # the limit's environment variable is not a number
        return make("file-unreadable", f"{display} was not read: {e}.", **kw)
    return data


def _not_text(data: bytes, kw: dict[str, str]) -> Problem | None:
    """Why ``data`` (after any BOM) is no CSV text: a known binary format, nothing at all,
    a NUL byte or bytes that are not UTF-8; None if it is text."""
    binary = binary_kind(data)
    if binary is not None:
        return make(
            "unsupported-format",
            f"The file is {binary}, not CSV text; declare the resource's format (and "
            "compression) so that it is read as what it is.",
            value=binary,
            **kw,
        )
    if not data or data.isspace():  # what data.strip() would leave empty, without a copy
        return make(
            "file-empty", "The file is empty: it needs at least a header row.", line=1, **kw
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = _line_of(data, nul)
        return make(
            "nul-byte",
            f"NUL byte at line {line}: the file is binary or corrupted.",
            line=line,
            column=nul - data.rfind(b"\n", 0, nul),
            **kw,
        )
    try:
        if not data.isascii():  # ASCII is UTF-8; only other bytes need decoding
            data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = _line_of(data, e.start)
        col = e.start - data.rfind(b"\n", 0, e.start)
        bad = data[e.start : e.start + 4]
        return make(
            "encoding-error",
            f"Not UTF-8: byte 0x{bad[:1].hex()} at line {line}, column {col} cannot be decoded "
            "(the file may be latin-1, Windows-1252 or GBK). Re-save it as UTF-8.",
            line=line,
            column=col,
            value=bad.hex(),
            **kw,
        )
    return None


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
        parsed = parse_csv(
            data,
            header,
            table,
            quoted=False,
            block_size=FAST_BLOCK_SIZE,
            on_invalid=invalid,
            memory_pool=parse_pool(),
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


@dataclass
class _Records:
    """Where a file's records are: byte ranges, blank ones, physical lines, delimiters."""

    starts: np.ndarray
    ends: np.ndarray
    blank: np.ndarray
    lines: np.ndarray
    delims: np.ndarray


def _scan_bytes(data: bytes, table: Table, problems: list[Problem], kw: dict[str, str]) -> FileScan:
    """Find records, cells and lines with vectorized passes over the bytes."""
    empty = np.empty(0, dtype=np.int64)
    rec = _split(data, ord(table.delimiter[:1] or ","), problems, kw)
    if rec is None:
        return FileScan(data, [], empty, problems, readable=False)
    keep = np.flatnonzero(~rec.blank)
    stop = _record_sizes(rec, keep, kw)
    if stop is not None:
        problems.append(stop)
        return FileScan(data, [], empty, problems, readable=False)
    h = keep[0]
    header_text = data[rec.starts[h] : rec.ends[h]].decode("utf-8").rstrip("\r")
    header = next(csv.reader([header_text], delimiter=table.delimiter)) if header_text else []
    problems.extend(check_header(header, table, int(rec.lines[h]), kw))
    good = _rows(rec, keep, len(header), problems, kw)
    header_ok = not any(
        p.code in ("header-mismatch", "missing-column", "extra-column") for p in problems
    )
    return FileScan(data, header, rec.lines[good].astype(np.int64), problems, readable=header_ok)


def _split(data: bytes, delim: int, problems: list[Problem], kw: dict[str, str]) -> _Records | None:
    """The records of ``data`` (None, with the problem added, if quotes or a bare CR make
    them unknowable)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    outside = None
    if b'"' in data:
        parity = np.bitwise_xor.accumulate((arr == 34).astype(np.uint8))
        outside = parity == 0
        quote = _quote_problem(data, arr, parity, delim, kw)
        if quote is not None:
            problems.append(quote)
            if parity[-1]:
                return None
    all_newlines = np.flatnonzero(arr == 10)
    newlines = all_newlines if outside is None else np.flatnonzero((arr == 10) & outside)
    delims = (
        np.flatnonzero(arr == delim)
        if outside is None
        else np.flatnonzero((arr == delim) & outside)
    )
    bare = _bare_cr(data, arr, outside, kw) if b"\r" in data else None
    if bare is not None:
        problems.append(bare)
        return None
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
        lines = np.arange(1, len(starts) + 1, dtype=np.int64)
    else:  # physical line of each record start
        lines = np.searchsorted(all_newlines, starts) + 1
    return _Records(starts, ends, blank, lines, delims)


def _quote_problem(
    data: bytes, arr: np.ndarray, parity: np.ndarray, delim: int, kw: dict[str, str]
) -> Problem | None:
    """A misplaced quote, or (an odd number of quotes) the quote that is never closed."""
    misplaced = _misplaced_quote(data, arr, parity, delim, kw)
    if not parity[-1]:
        return None if misplaced is None else misplaced[1]
    # the unclosed quote is the last one that opened a cell; a misplaced quote before it
    # is the cause (a stray quote opens a cell that never closes)
    opened = int(np.flatnonzero((arr == 34) & (parity == 1))[-1])
    if misplaced is not None and misplaced[0] <= opened:
        return misplaced[1]
    line = _line_of(data, opened)
    return make(
        "quote-unclosed", f"A quote opened at line {line} is never closed.", line=line, **kw
    )


def _record_sizes(rec: _Records, keep: np.ndarray, kw: dict[str, str]) -> Problem | None:
    """No header at all, a header over 64 KiB or a record over 16 MiB (else None)."""
    if len(keep) == 0:
        return make("file-empty", "The file has no header row.", line=1, **kw)
    size = rec.ends - rec.starts
    h = keep[0]
    if size[h] > MAX_HEADER_BYTES:
        ln = int(rec.lines[h])
        return make(
            "header-too-long",
            f"The header at line {ln} is {int(size[h]):,} bytes long; "
            f"the limit is {MAX_HEADER_BYTES:,}.",
            line=ln,
            **kw,
        )
    too_long = keep[size[keep] > MAX_ROW_BYTES]
    if len(too_long):  # the parser reads in blocks, and a record must fit in one
        ln = int(rec.lines[too_long[0]])
        more = f" ({len(too_long) - 1:,} more rows are too)" if len(too_long) > 1 else ""
        return make(
            "row-too-long",
            f"The row at line {ln} is {int(size[too_long[0]]):,} bytes long; the limit is "
            f"{MAX_ROW_BYTES:,}{more}.",
            line=ln,
            **kw,
        )
    return None


def _rows(
    rec: _Records, keep: np.ndarray, width: int, problems: list[Problem], kw: dict[str, str]
) -> np.ndarray:
    """Report blank and ragged rows after the header; the records that are good rows."""
    h = keep[0]
    body = keep[1:]
    blank_after = np.flatnonzero(rec.blank[h + 1 :]) + h + 1
    for i in blank_after[:1000]:  # an empty line in the table: frictionless' blank-row
        ln = int(rec.lines[i])
        problems.append(
            make("blank-row", f"Line {ln} is empty: a row holds no cells.", line=ln, **kw)
        )
    cells = _cells(rec.delims, rec.starts, rec.ends, body, width)
    ragged = body[cells[body] != width]
    for i in ragged[:1000]:  # bounded: one message per ragged row, up to 1000
        ln = int(rec.lines[i])
        problems.append(
            make(
                "row-length",
                f"Row at line {ln} has {int(cells[i])} cells; the header has {width}.",
                line=ln,
                value=str(int(cells[i])),
                **kw,
            )
        )
    if len(ragged) > 1000:
        problems.append(make("row-length", f"... and {len(ragged) - 1000} more ragged rows.", **kw))
    good: np.ndarray = body[cells[body] == width]
    return good


def _misplaced_quote(
    data: bytes, arr: np.ndarray, parity: np.ndarray, delim: int, kw: dict[str, str]
) -> tuple[int, Problem] | None:
    """The first quote that neither opens a cell, nor pairs inside one, nor closes one.

    Quotes alternate between opening and closing. An opening quote must follow the start
    of the file, a line feed, a delimiter or a closing quote (then the two are an escaped
    ``""``); a closing quote must come before a delimiter, CR, LF, the end or an opening
    quote (RFC 4180). Only the first is reported, with its offset: after it, which quotes
    open and which close is anybody's guess.
    """
    q = np.flatnonzero(arr == 34)
    opens = parity[q] == 1
    prev = np.where(q > 0, arr[np.maximum(q - 1, 0)], 10)
    nxt = np.where(q + 1 < len(arr), arr[np.minimum(q + 1, len(arr) - 1)], 10)
    bad_open = opens & (prev != 10) & (prev != delim) & (prev != 34)
    bad_close = ~opens & (nxt != 10) & (nxt != 13) & (nxt != delim) & (nxt != 34)
    bad = q[bad_open | bad_close]
    if not len(bad):
        return None
    pos = int(bad[0])
    line = _line_of(data, pos)
    column = len(data[data.rfind(b"\n", 0, pos) + 1 : pos].decode("utf-8", "replace")) + 1
    where = "closes a quoted cell that goes on" if parity[pos] == 0 else "is inside a cell"
    return pos, make(
        "quote-misplaced",
        f"The quote at line {line}, column {column} {where}: quote the whole cell and "
        'double each quote inside it ("").',
        line=line,
        column=column,
        **kw,
    )


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
    # positions by dict, not list.index: a header of 100,000 columns stays linear
    where_expected = _first_positions(expected)
    where_header = _first_positions(header)
    missing = [n for n in expected if n not in where_header]
    extra = [n for n in header if n not in where_expected]
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
        i = where_expected[name] + 1
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
        i = where_header[name] + 1
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


def _first_positions(names: list[str]) -> dict[str, int]:
    """Each name's first index in ``names``."""
    out: dict[str, int] = {}
    for i, name in enumerate(names):
        out.setdefault(name, i)
    return out
