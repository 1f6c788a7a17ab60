"""A descriptor as every command reads it: every schema and dialect inline, every schema present.

A Frictionless resource may give its schema or dialect as the path of a JSON file, or no
schema at all. :func:`resolve` puts a schema or dialect given by path inline (read
bounded, from inside the package folder) and, for a resource without a schema, the
schema frictionless infers from its first rows (and the delimiter it sniffs), as
``frictionless validate`` does; validation warns ``schema-inferred``.

There is one inference: ``zonedata validate`` checks the tables against the schemas put
in here, and ``zonedata release`` (and the site built from a package) reads the package
through the same function (:func:`read_resolved`), so that a release holds and describes
exactly the schema validation checked. A resource frictionless takes for a document
(Markdown, a PDF...) rather than a table is listed in :attr:`Resolved.documents`: only
its file is checked, and a release leaves it out.

frictionless is imported only when a schema is inferred.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zonedata import safeio
from zonedata.descriptor.package import Package
from zonedata.descriptor.sources import UnsafeInput, check_readable, parts
from zonedata.errors import DescriptorError, InputError
from zonedata.limits import current_limits
from zonedata.problems import Problem, make

#: The stand-in schema of a resource that is not read as a table (see :func:`resolve`).
STAND_IN = {"fields": [{"name": "-"}]}


def _inside(base: Path, rel: object) -> Path | None:
    """``base / rel`` if ``rel`` is a relative path that stays inside ``base``."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or "://" in rel:
        return None
    if rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
        return None
    if ".." in Path(rel.replace("\\", "/")).parts:
        return None
    try:
        resolved = (base / rel).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return resolved if resolved.is_relative_to(base.resolve()) else None


def _read_json_file(base: Path, rel: object) -> dict[str, Any]:
    path = _inside(base, rel)
    if path is None:
        raise ValueError(f"{rel!r} is not a relative path inside the package folder")
    try:
        raw = safeio.read_regular(path, current_limits().max_descriptor_bytes, str(rel))
    except InputError as e:
        raise ValueError(e.message) from None
    try:
        value = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ValueError(f"{rel} is not a JSON file ({e})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{rel} does not hold a JSON object")
    return value


@dataclass
class Resolved:
    """A descriptor as the engine reads it (see :func:`resolve`)."""

    #: every schema and dialect inline, every schema present (a stand-in for the skipped)
    descriptor: dict[str, Any]
    problems: list[Problem]
    #: resources not to read as tables: no schema could be had (the problems say why),
    #: or they are documents
    skipped: set[str]
    #: resources without a schema that frictionless takes for documents (Markdown, a
    #: JSON document, a PDF...), not tables: only their files are checked
    documents: set[str]

    def tables_descriptor(self) -> dict[str, Any]:
        """The descriptor without the resources that are not read as tables."""
        resources = self.descriptor.get("resources")
        if not self.skipped or not isinstance(resources, list):
            return self.descriptor
        kept = [r for r in resources if not (isinstance(r, dict) and r.get("name") in self.skipped)]
        return {**self.descriptor, "resources": kept}


def resolve(descriptor: dict[str, Any], base: Path, display: str) -> Resolved:
    """The descriptor with every schema and dialect inline and every schema present,
    the problems met, and the resources not to read as tables.

    A copy is returned; the given descriptor is left as it is (the profile check reads it
    as written).
    """
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not any(
        isinstance(r, dict)
        and (
            not isinstance(r.get("schema"), dict)
            or isinstance(r.get("dialect"), str)
            or isinstance(r.get("path"), list)
        )
        for r in resources
    ):
        return Resolved(descriptor, [], set(), set())  # nothing to do: zonedata's own, say
    out = copy.deepcopy(descriptor)
    problems: list[Problem] = []
    skipped: set[str] = set()
    documents: set[str] = set()
    for r in out["resources"]:
        if not isinstance(r, dict):
            continue
        name = str(r.get("name", "?"))
        kw = {"path": display, "table": name}
        for key in ("dialect", "schema"):
            if isinstance(r.get(key), str):
                try:
                    r[key] = _read_json_file(base, r[key])
                except ValueError as e:
                    problems.append(
                        make(
                            "descriptor-profile",
                            f"Resource {name!r}: the {key} file cannot be read: {e}.",
                            **kw,
                        )
                    )
                    r.pop(key)
                    r["__drop__"] = True  # not inferred: the schema it names is wanted
        if "schema" not in r and not r.get("__drop__") and (parts(r) or "data" in r):
            found, ok = _infer(r, base, name, display)
            problems.extend(found)
            if not ok:  # the resource cannot be read as a table: the others still are
                r["__drop__"] = True
    for r in out["resources"]:
        if isinstance(r, dict) and r.pop("__drop__", False):
            # read no further: a stand-in schema lets the engine list the resource
            r["schema"] = copy.deepcopy(STAND_IN)
            skipped.add(str(r.get("name", "?")))
            if r.pop("__document__", False):
                documents.add(str(r.get("name", "?")))
    return Resolved(out, problems, skipped, documents)


def _infer(r: dict[str, Any], base: Path, name: str, display: str) -> tuple[list[Problem], bool]:
    """Put frictionless' inferred schema (and sniffed dialect) into ``r``.

    Returns the problems and whether a schema was put in; without one the resource is
    reported here (an unsafe path, a file that cannot be read) and not checked further.
    """
    from frictionless import Detector, Resource

    kw = {"path": display, "table": name}
    try:
        for p in parts(r)[:1]:
            if "://" in p:
                why = "a schema is not inferred from a remote file; declare one"
                message = f"Resource {name!r} ({p}) has no schema: {why}."
                return [make("file-unreadable", message, value=p, **kw)], False
            path = _inside(base, p)
            if path is None:  # outside the folder: the path checks report it
                return [], False
            check_readable(path, r, p)
        source = {k: v for k, v in r.items() if k != "schema"}
        resource = Resource(source, basepath=str(base), detector=Detector(sample_size=100))
        if getattr(resource, "type", "table") != "table":
            r["__document__"] = True  # a document, not a table: only its file is checked
            return [], False
        resource.infer()
        inferred = resource.schema.to_descriptor()
        dialect = resource.dialect.to_descriptor() if "dialect" not in r else None
    except UnsafeInput as u:
        return [make(u.code, f"{u.message}.", **kw)], False
    except Exception as e:  # frictionless cannot read the file
        why = getattr(getattr(e, "error", None), "note", None) or str(e)
        message = f"Resource {name!r} has no schema, and none could be inferred: {why}"
        return [make("file-unreadable", message, **kw)], False
    if not inferred.get("fields"):
        message = f"Resource {name!r} has no schema, and its file has no columns to infer one from."
        return [make("file-empty", message, **kw)], False
    r["schema"] = inferred
    # (frictionless 5 writes a sniffed delimiter in the dialect's csv control)
    csv = (dialect or {}).get("csv")
    dialect = {
        k: v
        for k, v in (csv if isinstance(csv, dict) else dialect or {}).items()
        if k in ("delimiter", "header")
    }
    if dialect.get("delimiter") not in (None, ","):
        r["dialect"] = {"delimiter": dialect["delimiter"]}
    types = ", ".join(f"{f['name']}: {f.get('type', 'any')}" for f in inferred["fields"][:20])
    more = ", ..." if len(inferred["fields"]) > 20 else ""
    return [
        make(
            "schema-inferred",
            f"Resource {name!r} has no schema; it was checked against one inferred from its "
            f"first rows, as frictionless does ({types}{more}). Declare a schema to fix "
            "the types.",
            **kw,
        )
    ], True


def read_resolved(
    descriptor: dict[str, Any], base: Path, display: str
) -> tuple[Package, list[str]]:
    """The package as validation reads it, and the names of the resources left out of it
    because they are documents rather than tables: :func:`resolve`'s descriptor, without
    those.

    Raises :class:`DescriptorError` naming the first resource whose schema could not be
    had (validation reports it, located) or that the data model cannot read.
    """
    resolved = resolve(descriptor, base, display)
    unread = resolved.skipped - resolved.documents
    if unread:
        first = next((p for p in resolved.problems if p.table in unread), None)
        why = f": {first.message.rstrip('.')}" if first is not None else ""
        raise DescriptorError(f"resource {sorted(unread)[0]!r} cannot be read as a table{why}")
    package = Package.from_descriptor(resolved.tables_descriptor(), base)
    return package, sorted(resolved.documents)
