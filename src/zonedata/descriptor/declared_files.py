"""The files a package's descriptor declares, read by one policy.

A descriptor may name files of its own beside it: a declaration kept in a JSON file
(``"zonedata:site": "site/site.json"``, ``"zonedata:docs": ...``), a folder of templates,
the SQL of a derived table or of a document's query, a picture or style sheet of the site.
Every command that reads one (``validate``, ``release``, ``site``, ``docs``) reads it
here, so that what ``validate`` accepts every later command reads back, and nothing else:

- its path is a plain relative path that stays inside the package folder
  (:func:`zonedata.paths.inside`);
- it is reached through no symlink (every part of the path is checked with ``lstat``);
- it is a regular file, read with :mod:`zonedata.safeio` (never a FIFO, device or folder,
  and the bytes checked are the bytes read), of at most a limit (:mod:`zonedata.limits`);
- a text is UTF-8, a declaration strict JSON, a folder holds at most
  :data:`MAX_TEMPLATES` templates.

Everything that refuses a file raises :class:`zonedata.errors.InputError`; its message
names the file (and the property that declares it, where there is one), its ``detail``
says why without the name.

Only the standard library is used.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Any

from zonedata import safeio
from zonedata.errors import InputError, UnsafePathError
from zonedata.limits import current_limits
from zonedata.paths import inside

#: at most this many template files are read from a declared folder
MAX_TEMPLATES = 200


def reach(root: Path, rel: str, shown: str | None = None) -> Path:
    """``root / rel``: a plain relative path inside ``root``, reached through no symlink.

    The file need not be a regular file (nor exist, when its folder does not): the
    readers below check that. Raises :class:`InputError` (``outside``, ``symlink``,
    ``missing`` or ``unreadable``), its message starting with ``shown`` (default: ``rel``
    quoted).
    """
    shown = repr(rel) if shown is None else shown
    try:
        target = inside(root, rel)
    except UnsafePathError as e:
        raise InputError("outside", shown, f"{e.problem}; refused") from None
    step = root
    for part in PurePosixPath(rel).parts:
        step = step / part
        try:
            mode = os.lstat(step).st_mode
        except FileNotFoundError:
            raise InputError("missing", shown, "does not exist") from None
        except OSError as e:
            raise InputError("unreadable", shown, f"cannot be read: {e.strerror or e}") from None
        if stat.S_ISLNK(mode):
            raise InputError("symlink", shown, "is reached through a symlink; refused")
    return target


def read_file(root: Path, rel: str, limit: int, shown: str | None = None) -> bytes:
    """The bytes of the regular file ``rel`` below ``root``, of at most ``limit`` bytes,
    reached through no symlink (see the module). Raises :class:`InputError`."""
    shown = repr(rel) if shown is None else shown
    target = reach(root, rel, shown)
    return safeio.read_regular(target, limit, shown, root=os.path.realpath(root))


def read_text(root: Path, rel: str, limit: int, shown: str | None = None) -> str:
    """The text of the UTF-8 file ``rel`` below ``root`` (see :func:`read_file`)."""
    shown = repr(rel) if shown is None else shown
    data = read_file(root, rel, limit, shown)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError("invalid", shown, f"is not UTF-8 ({e.reason})") from None


def read_json(base: Path, rel: str, prop: str) -> Any:
    """The declaration of the descriptor's property ``prop`` that the JSON file ``rel``
    beside the descriptor holds (``site/site.json``), at most ``max_descriptor_bytes``."""
    shown = f"{prop}: {rel[:120]!r}"
    text = read_text(base, rel, current_limits().max_descriptor_bytes, shown)
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise InputError("invalid", shown, f"is not a JSON file ({str(e)[:200]})") from None


def read_templates(base: Path, folder: str, suffixes: tuple[str, ...], prop: str) -> dict[str, str]:
    """Every file below ``base/folder`` whose name ends in one of ``suffixes``, by its
    path (``site/stations.html``): UTF-8 regular files reached through no symlink (a
    symlink is skipped, a symlinked folder not entered), at most :data:`MAX_TEMPLATES`
    of them, each of at most ``max_descriptor_bytes``. ``prop`` is the descriptor's
    property that declares the folder (``zonedata:site``)."""
    shown = f"{prop}.templates: {str(folder)[:120]!r}"
    if folder.split("/", 1)[0] == "zonedata":
        raise InputError("outside", shown, "names the toolkit's own templates")
    root = reach(base, folder, shown)
    if not os.path.isdir(root):
        raise InputError("invalid", shown, "is not a folder beside the descriptor")
    limit = current_limits().max_descriptor_bytes
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):  # symlinked folders are not entered
        dirnames[:] = sorted(d for d in dirnames if not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            rel = Path(dirpath, name).relative_to(root).as_posix()
            rel = f"{folder}/{rel}"
            if PurePosixPath(rel).suffix not in suffixes or os.path.islink(base / rel):
                continue
            if len(out) >= MAX_TEMPLATES:
                raise InputError(
                    "too-large", shown, f"holds more than {MAX_TEMPLATES} templates; refused"
                )
            out[rel] = read_text(base, rel, limit, f"template {rel!r}")
    return out


def read_sql(base: Path, sql_path: str) -> str:
    """The text of the SQL file ``sql_path`` (a derived table's, a document's query) in
    the package folder ``base``: a UTF-8 file (see the module) of at most
    ``max_descriptor_bytes``, holding more than blanks. Raises :class:`InputError`:
    ``sqlPath '...' ...`` for a path that is not plain relative or leaves the folder,
    ``the SQL file ... ...`` for a file that cannot be used."""
    try:
        inside(base, sql_path)
    except UnsafePathError as e:
        raise InputError("outside", f"sqlPath {sql_path[:200]!r}", e.problem) from None
    shown = f"the SQL file {sql_path}"
    text = read_text(base, sql_path, current_limits().max_descriptor_bytes, shown)
    if not text.strip():
        raise InputError("invalid", shown, "is empty")
    return text
