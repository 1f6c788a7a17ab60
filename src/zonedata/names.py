"""What a table name is, and the file or page stem it gets: the one name rule.

``zonedata validate`` accepts a resource name by :func:`name_problem`; the release
reader, ``load``, ``diff`` and ``site`` accept exactly the same names, so nothing
accepted upstream is refused downstream. A name is an identifier, never a path: files
and pages are named by :func:`file_stem`, which maps every accepted name to a stem that
is safe on every file system and in a URL, and maps two different names to two different
stems.

The rule is the Frictionless one (``^[-a-z0-9._/]+$``), bounded in length. The names it
accepts that are not safe as they stand (``a/b``, ``..``, ``.hidden``, ``-x``, ``con``,
``datapackage``) get an escaped stem: ``~`` never occurs in a name, so an escape can
never collide with another name's stem.

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
#: Stems a release writes for itself: a table may not have them as they stand.
RESERVED_STEMS = frozenset({"datapackage"})


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
