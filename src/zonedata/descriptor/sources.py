"""A resource's files: which they are, their format and compression, and reading them safely.

Every command that hands a resource's file to a reader other than zonedata's own CSV
scanner (frictionless, to infer a schema or to read a format the fast path does not)
first checks it here (:func:`check_readable`): a regular file within the size limit,
which decompresses (gzip) or expands (a zip container: zip, XLSX, ODS) within the
limits too. A file that may not be read raises :class:`UnsafeInput` with the rule code
it is reported under.

Only the standard library, the limits and :mod:`zonedata.safeio` are used.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Any

from zonedata import safeio
from zonedata.errors import InputError
from zonedata.limits import current_limits


class UnsafeInput(Exception):
    """A file may not be handed to a reader (too large, a bomb, not regular)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parts(resource: dict[str, Any]) -> list[str]:
    """The resource's file paths: one, or a multipart list."""
    path = resource.get("path")
    if isinstance(path, list):
        return [p for p in path if isinstance(p, str)]
    return [path] if isinstance(path, str) else []


def compression(resource: dict[str, Any], path: str) -> str | None:
    """``gz``, ``zip`` or another declared compression; ``None``: none."""
    declared = resource.get("compression")
    if isinstance(declared, str) and declared and declared.lower() != "no":
        return declared.lower()
    lower = path.lower()
    if lower.endswith(".gz"):
        return "gz"
    if lower.endswith(".zip"):
        return "zip"
    return None


def file_format(resource: dict[str, Any], path: str) -> str:
    """The resource's format: declared, else from the file name (without compression)."""
    declared = resource.get("format")
    if isinstance(declared, str) and declared:
        return declared.lower()
    name = path.lower().rsplit("/", 1)[-1]
    for suffix in (".gz", ".zip"):
        name = name.removesuffix(suffix)
    return name.rsplit(".", 1)[-1] if "." in name else "csv"


def decompress_gzip(data: bytes, limit: int, shown: str) -> bytes:
    """Decompress gzip ``data`` (members in sequence) to at most ``limit`` bytes and
    ``Limits.max_expansion_ratio`` times its size; raises :class:`UnsafeInput`."""
    ratio = current_limits().max_expansion_ratio
    cap = min(limit, max(len(data), 1 << 16) * ratio)
    out: list[bytes] = []
    total = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(wbits=31)
            while rest:
                chunk = d.decompress(rest, cap + 1 - total)
                out.append(chunk)
                total += len(chunk)
                if total > cap:
                    raise UnsafeInput(
                        "file-too-large",
                        f"{shown} decompresses to more than {cap:,} bytes (the limit is the "
                        f"smaller of {limit:,} bytes and {ratio} times the file)",
                    )
                rest = d.unconsumed_tail
                if d.eof:
                    break
            if not d.eof:
                raise UnsafeInput("file-unreadable", f"{shown} is a truncated gzip file")
            rest = d.unused_data.lstrip(b"\x00")  # padding after the last member
    except zlib.error as e:
        raise UnsafeInput("file-unreadable", f"{shown} is not a gzip file ({e})") from None
    return b"".join(out)


def _check_zip(path: Path, limit: int, shown: str) -> None:
    """A zip file (or an XLSX/ODS, which are zip files) expands within the limits."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise UnsafeInput("file-unreadable", f"{shown} is not a zip file ({e})") from None
    total = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1 << 16)
    limits = current_limits()
    if (
        total > limit
        or total > packed * limits.max_expansion_ratio
        or len(infos) > limits.max_zip_entries
    ):
        raise UnsafeInput(
            "file-too-large",
            f"{shown} expands to {total:,} bytes in {len(infos):,} members; the limit is the "
            f"smaller of {limit:,} bytes and {limits.max_expansion_ratio} times the file",
        )


def check_readable(path: Path, resource: dict[str, Any], shown: str) -> None:
    """Before a reader other than ours opens ``path``: a regular file within the limits,
    which decompresses within them too. Raises :class:`UnsafeInput`."""
    limit = current_limits().max_file_bytes
    try:
        data = safeio.read_regular(path, limit, shown)
    except InputError as e:
        code = {"missing": "file-missing", "not-regular": "file-not-regular"}
        raise UnsafeInput(code.get(e.kind, "file-too-large"), e.message) from None
    fmt = file_format(resource, shown)
    comp = compression(resource, shown)
    if comp == "gz":
        decompress_gzip(data, limit, shown)
    elif comp == "zip" or fmt in ("xlsx", "ods", "zip") or data[:4] == b"PK\x03\x04":
        _check_zip(path, limit, shown)
