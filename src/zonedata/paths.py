"""Whether a path stays inside its folder: the one containment rule.

A descriptor's resource paths, a release's file paths, a zip's entries, the files a
build writes and the pages a site writes are all relative paths that must stay inside
one folder. :func:`path_problem` says whether a path is a plain relative path (no
absolute path, drive, URL, backslash, control character, empty, ``.`` or ``..`` part);
:func:`inside` joins a plain relative path to its folder and checks, with symlinks
resolved, that the result is still inside it.

Only the standard library is used.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from zonedata.errors import UnsafePathError

#: The longest relative path accepted (most file systems cap a path at 4096 bytes and a
#: file name at 255).
MAX_PATH_LENGTH = 1024
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def path_problem(path: object) -> str | None:
    """Why ``path`` is not a plain relative path, or None when it is.

    The reason completes "Path 'x' ..." in a message.
    """
    if not isinstance(path, str):
        return "is not a string"
    if not path:
        return "is empty"
    if len(path) > MAX_PATH_LENGTH:
        return f"is longer than {MAX_PATH_LENGTH} characters"
    if _CONTROL.search(path):
        return "contains a control character (NUL, a line break, a tab...)"
    if "\\" in path:
        return "contains a backslash; use '/' between folders"
    if path.startswith("/") or _URL.match(path):
        return "is absolute, a drive or a URL; it must be relative to its folder"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "has an empty, '.' or '..' part; it must stay inside its folder"
    return None


def is_plain_relative(path: object) -> bool:
    """Whether ``path`` is a plain relative path (see :func:`path_problem`)."""
    return path_problem(path) is None


def is_entry_below(entry: str, folder: str) -> bool:
    """Whether a zip entry (``folder/...``, or ``folder/`` itself) is plainly below ``folder``."""
    trimmed = entry[:-1] if entry.endswith("/") else entry
    if trimmed == folder:
        return is_plain_relative(folder)
    return trimmed.startswith(folder + "/") and is_plain_relative(trimmed)


def inside(base: Path, relative: str, *, what: str = "its folder") -> Path:
    """``base / relative``, checked to stay inside ``base`` with symlinks resolved.

    Raises :class:`zonedata.errors.UnsafePathError` for a path that is not plain
    relative or that leaves ``base`` (through a symlink, say). The file need not exist.
    """
    problem = path_problem(relative)
    if problem is not None:
        raise UnsafePathError(relative, problem)
    root = base.resolve()
    target = (root / PurePosixPath(relative)).resolve()
    if target != root and root not in target.parents:
        raise UnsafePathError(
            relative, f"resolves outside {what} (to {target}), for example through a symlink"
        )
    return root / PurePosixPath(relative)


def output_folder(path: Path) -> Path:
    """The folder a command writes into (``--out``), resolved once.

    The one rule for every command that writes a folder: a symlink the user names is
    followed (where their output goes is their choice), and everything is then written
    inside the folder it resolves to, checked with :func:`inside`. Raises
    :class:`zonedata.errors.UnsafePathError` when the path exists and is not a folder
    (after symlinks) or cannot be resolved (a symlink loop, say). The folder need not exist.
    """
    try:
        resolved = path.resolve(strict=False)
    except (OSError, RuntimeError, ValueError) as e:
        raise UnsafePathError(str(path), f"cannot be resolved ({e})") from e
    if resolved.exists() and not resolved.is_dir():
        via = f" (a symlink to {resolved})" if path.is_symlink() else ""
        raise UnsafePathError(str(path), f"exists and is not a folder{via}")
    return resolved
