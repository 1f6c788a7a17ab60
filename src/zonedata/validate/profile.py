"""Layer 1's profile check: the descriptor follows the Data Package profile (frictionless).

Importing frictionless and compiling its profile cost about 0.35 s of Python, as much as
everything else the canonical package's validation does. :func:`start` therefore runs the
check in a child Python process, on another core, while the parent reads and checks the
files; :meth:`ProfileCheck.result` collects its problems. The child runs this very module
(:func:`check_profile`), so its problems are the ones the parent would have found. It runs
isolated (``python -I``): it imports nothing from the working folder or ``PYTHONPATH``,
only zonedata (from where the parent found it) and the installed packages. If the child
cannot run (no ``python`` executable, a memory limit, frictionless installed where an
isolated Python does not look), the parent checks the descriptor itself. The child gets the descriptor on its standard input and writes the
problems to its standard output as JSON; it never touches a file. It is given
:data:`TIMEOUT` seconds.

This module imports only the standard library and :mod:`zonedata.problems` at
its top, so that the child starts quickly.
"""

from __future__ import annotations

import contextlib
import copy
import json
import subprocess
import sys
import threading
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from zonedata.problems import Problem, make

#: Seconds the child may take before it is stopped and the check reported as unfinished.
#: frictionless checks the largest descriptor validate reads (16 MiB) in well under this.
TIMEOUT = 300.0

#: the child's program: zonedata from where the parent found it (after the standard
#: library and site-packages, so that nothing there is shadowed)
_CHILD = (
    "import sys; sys.argv[1] in sys.path or sys.path.append(sys.argv[1]); "
    "from zonedata.validate.profile import main; main()"
)
#: seconds to wait for a stopped child to let go of its output
_REAP = 5.0
_PROBLEM_FIELDS = frozenset(f.name for f in fields(Problem))


def check_profile(descriptor: dict[str, Any], display: str) -> list[Problem]:
    """Check the descriptor against the Data Package profile with frictionless.

    A ``profile`` given by URL or path is not handed on: frictionless would fetch it or
    read it from the working folder (see :func:`offline_profiles`).
    """
    kw = {"path": display}
    descriptor = _one_path(keys_as_lists(copy.deepcopy(descriptor)))
    refused = [_refused(value, table, display) for table, value in offline_profiles(descriptor)]
    return refused + _frictionless_profile(descriptor, kw)


def _frictionless_profile(descriptor: dict[str, Any], kw: dict[str, str]) -> list[Problem]:
    from frictionless import FrictionlessException
    from frictionless import Package as FPackage

    try:
        errors = list(FPackage.metadata_validate(descriptor))
    except FrictionlessException as e:
        return [
            make(
                "descriptor-profile",
                f"Descriptor does not follow the Data Package profile: {e.error.message}",
                table=_owners(descriptor).get(e.error.message),
                **kw,
            )
        ]
    except Exception as e:  # frictionless may fail on deeply malformed input
        return [
            make(
                "descriptor-profile",
                f"Descriptor does not follow the Data Package profile: {e}",
                **kw,
            )
        ]
    owners = _owners(descriptor) if errors else {}
    return [
        make(
            "descriptor-profile",
            f"Descriptor does not follow the Data Package profile: {e.message}",
            table=owners.get(e.message),
            **kw,
        )
        for e in errors
    ]


def _profiles(*names: str) -> dict[str, str]:
    url = "https://specs.frictionlessdata.io/schemas/{}.json"
    return {**{n: n for n in names}, **{url.format(n): n for n in names}}


#: The profiles frictionless checks against without fetching or reading anything (their
#: names; their published URLs map to the names): of a package, and of a resource.
PACKAGE_PROFILES = _profiles("data-package", "tabular-data-package")
RESOURCE_PROFILES = _profiles("data-resource", "tabular-data-resource")
_REFUSED = (
    "profile {!r} is not one zonedata checks against ({}, or their published URLs): "
    "frictionless would fetch it or read it as a JSON Schema, and a descriptor may not make "
    "validation open files or connections"
)


def _refused(value: str, table: str | None, display: str) -> Problem:
    known = sorted(set((PACKAGE_PROFILES if table is None else RESOURCE_PROFILES).values()))
    message = _REFUSED.format(value, ", ".join(known))
    return make("descriptor-profile", message, table=table, path=display)


def offline_profiles(descriptor: dict[str, Any]) -> list[tuple[str | None, str]]:
    """Make the descriptor's profiles (the package's and each resource's) ones frictionless
    checks without fetching or reading anything, in place: a published profile's URL
    becomes its name, and any other profile (another URL, a path, an unknown name) is
    removed. Returns the removed ones: (resource name or None, value)."""
    removed: list[tuple[str | None, str]] = []
    resources = descriptor.get("resources")
    owners: list[tuple[str | None, dict[str, Any], dict[str, str]]] = [
        (None, descriptor, PACKAGE_PROFILES)
    ]
    owners += [
        (r.get("name") if isinstance(r.get("name"), str) else None, r, RESOURCE_PROFILES)
        for r in (resources if isinstance(resources, list) else [])
        if isinstance(r, dict)
    ]
    for owner, d, known in owners:
        value = d.get("profile")
        if not isinstance(value, str):  # (frictionless reports a profile that is not text)
            continue
        if value in known:
            d["profile"] = known[value]
        else:
            del d["profile"]
            removed.append((owner, value))
    return removed


def _owners(descriptor: dict[str, Any]) -> dict[str, str]:
    """Which resource (by name) a profile message is about, found by checking each alone."""
    from frictionless import FrictionlessException
    from frictionless import Resource as FResource

    owners: dict[str, str] = {}
    resources = descriptor.get("resources")
    for r in resources if isinstance(resources, list) else []:
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            continue
        try:
            messages = [e.message for e in FResource.metadata_validate(r)]
        except FrictionlessException as e:
            messages = [e.error.message]
        except Exception:  # the package check already reported it
            continue
        for message in messages:
            owners.setdefault(message, r["name"])
    return owners


def _one_path(descriptor: dict[str, Any]) -> dict[str, Any]:
    """A multipart resource's first path in place of its list, in place; return ``descriptor``.

    Data Package v1 allows ``"path": [...]`` and frictionless reads it, but the profile it
    validates against wants a string; each part is checked by the path checks.
    """
    resources = descriptor.get("resources")
    for r in resources if isinstance(resources, list) else []:
        if isinstance(r, dict) and isinstance(r.get("path"), list) and r["path"]:
            r["path"] = r["path"][0]
    return descriptor


def keys_as_lists(descriptor: dict[str, Any]) -> dict[str, Any]:
    """Write Data Package v1's one-field keys as lists, in place; return ``descriptor``.

    Table Schema v1 allows ``"primaryKey": "id"`` and a foreign key's ``fields`` and
    ``reference.fields`` as a string; frictionless reads them so, but its profile (v2)
    wants lists.
    """
    resources = descriptor.get("resources")
    for r in resources if isinstance(resources, list) else []:
        schema = r.get("schema") if isinstance(r, dict) else None
        if not isinstance(schema, dict):
            continue
        if isinstance(schema.get("primaryKey"), str):
            schema["primaryKey"] = [schema["primaryKey"]]
        fks = schema.get("foreignKeys")
        for fk in fks if isinstance(fks, list) else []:
            if not isinstance(fk, dict):
                continue
            if isinstance(fk.get("fields"), str):
                fk["fields"] = [fk["fields"]]
            ref = fk.get("reference")
            if isinstance(ref, dict) and isinstance(ref.get("fields"), str):
                ref["fields"] = [ref["fields"]]
    return descriptor


class ProfileCheck:
    """A profile check under way in a child process (or, failing that, done here)."""

    def __init__(self, descriptor: dict[str, Any], display: str) -> None:
        self._descriptor = descriptor
        self._display = display
        # once frictionless is imported here, the check itself takes milliseconds
        self._child = None if _frictionless_imported() else _spawn(descriptor, display)

    def result(self) -> list[Problem]:
        """The check's problems; waits for the child, or checks here if it could not run."""
        child, self._child = self._child, None
        if child is not None:
            try:
                out, _ = child.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.communicate(timeout=_REAP)  # (a grandchild may hold the pipe)
                return [_unfinished(self._display)]
            problems = _problems(out) if child.returncode == 0 else None
            if problems is not None:
                return problems
        return check_profile(self._descriptor, self._display)


def _frictionless_imported() -> bool:
    return "frictionless" in sys.modules


def start(descriptor: dict[str, Any], display: str) -> ProfileCheck:
    """Start checking ``descriptor`` against the profile; see :class:`ProfileCheck`."""
    return ProfileCheck(copy.deepcopy(descriptor), display)


def _spawn(descriptor: dict[str, Any], display: str) -> subprocess.Popen[bytes] | None:
    """The child process, being fed the descriptor; None if it could not start."""
    if not _is_python(sys.executable):
        return None
    root = str(Path(__file__).resolve().parents[2])  # the folder that holds zonedata
    given = json.dumps({"descriptor": descriptor, "display": display}).encode()
    try:
        child = subprocess.Popen(
            # isolated (-I): no module of the working folder (a stranger's package, say)
            # or of PYTHON* variables is imported; -B: no bytecode is written
            [sys.executable, "-I", "-B", "-W", "ignore", "-c", _CHILD, root],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, ValueError):
        return None
    stdin, child.stdin = child.stdin, None  # closed by the feeder: the child reads to its end
    assert stdin is not None
    # a thread, so that a child that does not read (it died, say) cannot block the parent
    threading.Thread(target=_feed, args=(stdin, given), daemon=True).start()
    return child


def _is_python(executable: str) -> bool:
    """Whether ``executable`` is a Python interpreter the child can run on: not a frozen
    application's own program, nor the program that embeds Python (a web server, say)."""
    name = Path(executable).name.lower()
    return not getattr(sys, "frozen", False) and name.startswith(("python", "pypy"))


def _feed(stdin: IO[bytes], given: bytes) -> None:
    with contextlib.suppress(OSError), stdin:  # it died before reading: result() says so
        stdin.write(given)


def _problems(out: bytes) -> list[Problem] | None:
    """The child's problems, or None if its output is not what :func:`main` writes."""
    try:
        rows = json.loads(out)
    except ValueError:
        return None
    if not isinstance(rows, list):
        return None
    if not all(isinstance(row, dict) and set(row) <= _PROBLEM_FIELDS for row in rows):
        return None
    try:
        return [Problem(**row) for row in rows]
    except TypeError:  # a field missing
        return None


def _unfinished(display: str) -> Problem:
    return make(
        "descriptor-profile",
        f"The Data Package profile check did not finish in {TIMEOUT:.0f} s.",
        path=display,
    )


def main() -> None:
    """The child: a descriptor on standard input, its profile problems on standard output."""
    given = json.loads(sys.stdin.buffer.read())
    problems = check_profile(given["descriptor"], given["display"])
    sys.stdout.write(json.dumps([p.to_dict() for p in problems]))
