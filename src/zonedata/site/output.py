"""Writing a site into its folder: a rebuild replaces only what the last build wrote.

The marker file (:data:`MARKER`) lists every file a build wrote, with its SHA-256. A
folder may receive a site when it does not exist, is empty, or holds a marker; then only
the files the marker lists whose bytes are still the ones written are removed (folders
left empty by that, too), nothing under a hidden folder is ever touched, and no other
file is overwritten: the user's own files (a gh-pages worktree's ``.git``), and a file
someone added to the marker, stay.
Files are written through no symlink, each to a temporary name and then renamed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path, PurePosixPath

from zonedata import safeio
from zonedata.errors import SiteError, UnsafePathError
from zonedata.limits import current_limits
from zonedata.paths import is_plain_relative, output_folder
from zonedata.site.publish import (
    ASSET_TYPES,
    PACKAGE_TYPES,
    no_symlink,
    read_published,
    type_allowed,
)

MARKER = ".zonedata-site"
#: the kinds of file a site writes: no other file is ever removed, whatever the marker says
WRITTEN_TYPES = PACKAGE_TYPES | ASSET_TYPES | {".html", ".js", ".yaml", ".yml"}
HEADER = (
    "Built by `zonedata site` (manifest 2); a rebuild replaces only the files listed "
    "below, and only while their SHA-256 is the one listed.\n"
)


def manifest(files: dict[str, bytes]) -> bytes:
    lines = (f"{hashlib.sha256(files[rel]).hexdigest()}  {rel}\n" for rel in sorted(files))
    return (HEADER + "".join(lines)).encode("utf-8")


def previous_files(target: Path) -> list[str]:
    """The files the last build wrote into ``target`` (empty for a new or empty folder);
    ``target`` is the resolved output folder (:func:`zonedata.paths.output_folder`)."""
    if not target.exists() or not any(target.iterdir()):
        return []
    if not (target / MARKER).is_file():
        raise SiteError(
            f"{target} is a folder that holds files but no site built by zonedata: "
            "choose another --out, or remove it first"
        )
    text = read_published(target, MARKER, current_limits().max_descriptor_bytes).decode(
        "utf-8", "replace"
    )
    if not text.startswith(HEADER):
        raise SiteError(
            f"{target / MARKER} lists no files (a site built by an older zonedata?): "
            "remove the folder's old site first"
        )
    return [rel for digest, rel in _listed(text[len(HEADER) :]) if _unchanged(target, digest, rel)]


def _listed(body: str) -> list[tuple[str, str]]:
    """(SHA-256, path) of each well-formed line: a plain path outside hidden folders."""
    out = []
    for line in body.splitlines():
        digest, _, rel = line.partition("  ")
        hidden = any(part.startswith(".") for part in rel.split("/"))
        ours = type_allowed(rel, WRITTEN_TYPES, frozenset({"SHA256SUMS"}))
        if len(digest) == 64 and is_plain_relative(rel) and not hidden and ours:
            out.append((digest, rel))
    return out


def _unchanged(target: Path, digest: str, rel: str) -> bool:
    """Whether ``rel`` is a regular file (reached through no symlink) still holding the
    bytes the marker records; a missing file counts as unchanged (nothing to protect)."""
    try:
        parent = PurePosixPath(rel).parent
        if parent.parts:
            no_symlink(target, str(parent))
        if not (target / rel).exists():
            return True
        data = read_published(target, rel, current_limits().max_file_bytes)
    except (SiteError, OSError):
        return False
    return hashlib.sha256(data).hexdigest() == digest


def write_site(target: Path, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (path -> bytes) into ``target`` (``--out``; a symlink to a folder is
    followed, :func:`zonedata.paths.output_folder`); return the paths written, sorted."""
    try:
        target = output_folder(target)
    except UnsafePathError as e:
        raise SiteError(f"--out {e.path} is refused: it {e.problem}") from e
    old = previous_files(target)
    for rel in files:  # every place is checked before anything is removed or written
        _reachable(target, rel)
        if (target / rel).exists() and rel not in old and rel != MARKER:
            raise SiteError(
                f"{target / rel} exists and was not written by zonedata site (or changed "
                "since): not overwritten"
            )
    target.mkdir(parents=True, exist_ok=True)
    _remove(target, [rel for rel in old if rel not in files and rel != MARKER])
    for rel, content in sorted(files.items()):
        _write(target, rel, content)
    _write(target, MARKER, manifest(files))
    return sorted(target / rel for rel in [*files, MARKER])


def _remove(target: Path, old: list[str]) -> None:
    """Remove the old files (never through a symlink) and the folders they leave empty."""
    folders: set[PurePosixPath] = set()
    for rel in old:
        parent = PurePosixPath(rel).parent
        try:
            if parent.parts:
                no_symlink(target, str(parent))
            mode = os.lstat(target / rel).st_mode
        except (SiteError, OSError):
            continue
        if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
            (target / rel).unlink()
        folders.update([parent, *parent.parents])
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.parts:
            with contextlib.suppress(OSError):
                (target / folder).rmdir()  # only when empty


def _reachable(target: Path, rel: str) -> None:
    """SiteError unless every folder on the way to ``rel`` that exists already is a real
    folder (no symlink, no file), so that a refusal comes before the site is touched."""
    step = target
    for part in PurePosixPath(rel).parent.parts:
        step = step / part
        try:
            mode = os.lstat(step).st_mode
        except FileNotFoundError:
            return  # made by _folders when written
        except OSError as e:
            raise SiteError(f"{rel!r} cannot be written: {e.strerror or e}") from None
        if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
            what = "a symlink" if stat.S_ISLNK(mode) else "not a folder"
            raise SiteError(
                f"{rel!r} refused: {str(step.relative_to(target))!r} in the output folder is {what}; "
                "nothing was written"
            )


def _folders(target: Path, parent: PurePosixPath) -> Path:
    """``target / parent``, made one folder at a time, none of them a symlink."""
    step = target
    for part in parent.parts:
        step = step / part
        with contextlib.suppress(FileExistsError):
            step.mkdir()
        if not stat.S_ISDIR(os.lstat(step).st_mode):  # lstat: a symlink is no folder
            raise SiteError(f"{str(parent)!r} refused: it is reached through a symlink")
    return step


def _write(target: Path, rel: str, content: bytes) -> None:
    folder = _folders(target, PurePosixPath(rel).parent)
    safeio.write_replacing(folder / PurePosixPath(rel).name, content)
