"""What a table name is, and the file or page stem it gets: the one name rule.

``zonedata validate`` accepts a resource name by :func:`name_problem`; the release
reader, ``load``, ``diff`` and ``site`` accept exactly the same names, so nothing
accepted upstream is refused downstream. A name is an identifier, never a path: files
and pages are named by :func:`file_stem`, which maps every accepted name to a stem that
is safe on every file system and in a URL, and maps two different names to two different
stems.

The rule is the Frictionless one (``^[-a-z0-9._/]+$``), bounded in length. The names it
accepts that are not safe as they stand (``a/b``, ``..``, ``.hidden``, ``-x``, ``con``,
``datapackage``, ``index``) get an escaped stem: ``~`` never occurs in a name, so an escape can
never collide with another name's stem.

A release is named ``<name>-<version>``: :func:`version_stem` is the version's part, the
version itself when it is usable in a file name (:func:`is_usable_version`), else an
escaped form that is as safe and never the stem of another version.

Only the standard library is used.
"""

from __future__ import annotations

import re

#: The longest table name accepted (Frictionless sets none; a release uses it in file
#: names, which most file systems cap at 255 bytes).
MAX_NAME_LENGTH = 64
#: Frictionless' resource name pattern (``frictionless.settings.NAME_PATTERN``).
_FRICTIONLESS_NAME = re.compile(r"[-a-z0-9._/]+")
#: A stem that needs no escape: no separator, no leading dot or hyphen.
_PLAIN_STEM = re.compile(r"[a-z0-9_][a-z0-9_.-]*")
#: Names Windows reserves for devices, whatever the extension (``nul.parquet`` is NUL).
WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
#: Stems a release or a site writes for itself: a table may not have them as they stand
#: (``datapackage.json`` of a release; ``index.html``, the list page of a site's folder).
RESERVED_STEMS = frozenset({"datapackage", "index"})


def name_problem(name: object) -> str | None:
    """Why ``name`` is not an acceptable table name, or None when it is.

    The reason completes "Resource name 'x' ..." and says what is allowed.
    """
    if not isinstance(name, str):
        return "is not a string"
    if not name:
        return "is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters"
    if _FRICTIONLESS_NAME.fullmatch(name) is None:
        return "may hold only lowercase letters, digits, '-', '_', '.' and '/'"
    return None


def is_table_name(name: object) -> bool:
    """Whether ``name`` is an acceptable table name (see :func:`name_problem`)."""
    return name_problem(name) is None


def file_stem(name: str) -> str:
    """The file and page stem of an acceptable table name, safe everywhere.

    A name that is safe as it stands is its own stem (``readings.annual``,
    ``_stations``, ``3day-summary``). Otherwise each unsafe part is escaped with ``~``:
    ``/`` is ``~s``, a leading ``.`` or ``-`` is ``~d`` or ``~h``, a trailing ``.`` is
    ``~d``, and a device or reserved stem gets a leading ``~r``. Different names give
    different stems. Raises ValueError for a name :func:`name_problem` refuses.
    """
    problem = name_problem(name)
    if problem is not None:
        raise ValueError(f"table name {name!r} {problem}")
    if _is_plain(name):
        return name
    stem = name.replace("/", "~s")
    head = {".": "~d", "-": "~h"}.get(stem[0])
    if head is not None:
        stem = head + stem[1:]
    if stem.endswith("."):
        stem = stem[:-1] + "~d"
    if _reserved(stem):
        stem = "~r" + stem
    return stem


def _is_plain(name: str) -> bool:
    return (
        _PLAIN_STEM.fullmatch(name) is not None and not name.endswith(".") and not _reserved(name)
    )


def _reserved(stem: str) -> bool:
    first = stem.split(".", 1)[0].lower()
    return first in WINDOWS_DEVICES or stem.lower() in RESERVED_STEMS


#: A version usable in a file name as it stands (``1.2.0``, ``2026.03``, ``1.0.0rc1``).
_USABLE_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]*")
_VERSION_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+_-")


def is_usable_version(version: str) -> bool:
    """Whether ``version`` names a release's files as it stands: letters, digits, ``.``,
    ``+``, ``_`` and ``-``, starting with a letter or digit, no ``..``."""
    return _USABLE_VERSION.fullmatch(version) is not None and ".." not in version


def version_stem(version: str) -> str:
    """The part of a release's file names that its version gives, safe everywhere.

    A usable version (:func:`is_usable_version`) is its own stem. In any other, each
    character that a usable version could not hold there (a space, a slash, a non-ASCII
    letter, a leading ``.``, ``-``, ``+`` or ``_``, the second dot of ``..``, and ``~``) is
    written ``~`` and the two hex digits of each of its UTF-8 bytes: ``1.0 beta`` is
    ``1.0~20beta``, ``../x`` is ``~2e~2e~2fx``. ``~`` is never left as it is, so two
    versions never have one stem.
    """
    out = []
    for i, ch in enumerate(version):
        keep = ch in _VERSION_CHARS and (i > 0 or ch.isalnum())
        if ch == "." and i > 0 and version[i - 1] == ".":
            keep = False
        out.append(
            ch if keep else "".join(f"~{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        )
    return "".join(out)
