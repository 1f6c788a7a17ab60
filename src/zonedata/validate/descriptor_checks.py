"""Layer 1: the descriptor parses, follows the Data Package profile, and its paths are safe."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from zonedata import safeio
from zonedata.descriptor import files, jsontext
from zonedata.descriptor.package import (
    CONVENTIONS,
    CONVENTIONS_PROPERTY,
    DescriptorError,
    Package,
    Table,
)
from zonedata.errors import InputError, JsonTextError, UnsafePathError
from zonedata.limits import current_limits, env_of
from zonedata.names import name_problem
from zonedata.paths import inside, path_problem
from zonedata.problems import Problem, make

REMOTE_SCHEMES = ("http", "https", "ftp", "s3", "gs")
#: The deepest nesting of arrays and objects a descriptor may have. A real one nests about
#: 8 levels; deeper JSON would exhaust Python's recursion in the checks that walk it.


def is_remote(path: str) -> bool:
    try:
        scheme = urlparse(path).scheme
    except ValueError:  # a malformed URL ("http://[oops/a.csv"): its scheme still tells
        scheme = path.partition(":")[0]
    return scheme.lower() in REMOTE_SCHEMES


def check_beside(path: Path, display: str) -> list[Problem]:
    """A ``descriptor-ambiguous`` warning for each other descriptor in ``path``'s folder,
    at its first line, naming the one every command given the folder reads."""
    try:
        others = files.others_beside(path)
        read = files.descriptor_in(path.parent)
    except (OSError, ValueError):
        return []
    out = []
    for other in others:
        if other == read:  # this one was named; the folder's is the other
            where, message = (
                display,
                (
                    f"{other.name} is beside this descriptor: commands given the folder read it, "
                    f"not {path.name}; remove one of the two."
                ),
            )
        else:
            where, message = (
                display_of(other, path, display),
                (
                    f"{other.name} is not read: its folder also holds {read.name}, which every "
                    f"command given the folder reads; remove one of the two."
                ),
            )
        out.append(
            make("descriptor-ambiguous", message, path=where, line=1, column=1, value=read.name)
        )
    return out


def display_of(other: Path, path: Path, display: str) -> str:
    """How ``other``, beside the descriptor ``path`` shown as ``display``, is shown."""
    head = display[: len(display) - len(path.name)] if display.endswith(path.name) else ""
    return head + other.name


def read_descriptor(path: Path, display: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse the JSON; problems here mean the input is unreadable (exit 2).

    The descriptor must be a regular file (not a FIFO, device or folder) of at most
    ``Limits.max_descriptor_bytes``, and its JSON nested at most
    ``Limits.max_json_depth`` levels deep.
    """
    kw = {"path": display}
    try:
        raw = safeio.read_regular(path, current_limits().max_descriptor_bytes, display)
    except InputError as e:
        code = {"not-regular": "descriptor-not-regular", "too-large": "descriptor-too-large"}
        hint = (
            f"; set {env_of('max_descriptor_bytes')} to raise it" if e.kind == "too-large" else ""
        )
        return None, [make(code.get(e.kind, "descriptor-missing"), f"{e.message}{hint}.", **kw)]
    try:
        text = raw.decode("utf-8-sig")
        descriptor = files.parse(text, path)
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - raw.rfind(b"\n", 0, e.start)
        return None, [
            make(
                "descriptor-json",
                f"{display} is not UTF-8 ({e.reason}: byte 0x{raw[e.start : e.start + 1].hex()}).",
                line=line,
                column=column,
                **kw,
            )
        ]
    except json.JSONDecodeError as e:
        return None, [
            make(
                "descriptor-json",
                f"{display} is not valid JSON: {e.msg}.",
                line=e.lineno,
                column=e.colno,
                **kw,
            )
        ]
    except JsonTextError as e:
        return None, [
            make(
                "descriptor-json",
                f"{display} is not {_strict(path)}: {e.message}.",
                line=e.line,
                column=e.column,
                **kw,
            )
        ]
    except RecursionError:
        return None, [_too_deep(display, text)]
    except ValueError as e:  # an integer beyond Python's 4,300-digit conversion limit
        return None, [
            make("descriptor-json", f"{display} holds a value that cannot be read: {e}.", **kw)
        ]
    if jsontext.nested_deeper_than(descriptor, current_limits().max_json_depth):
        return None, [_too_deep(display, text)]
    if not isinstance(descriptor, dict):
        return None, [
            make(
                "descriptor-json",
                f"{display} must hold a JSON object, not {type(descriptor).__name__}.",
                line=1,
                **kw,
            )
        ]
    return descriptor, []


def _strict(path: Path) -> str:
    return "valid YAML" if files.is_yaml(path) else "strict JSON"


def _too_deep(display: str, text: str) -> Problem:
    """The problem for JSON nested too deeply, at the first place it goes past the limit."""
    most = current_limits().max_json_depth
    depth, line, col = 0, 1, 1
    in_string = escaped = False
    for ch in text:  # only runs for a hostile descriptor, and stops at the limit
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > most:
                break
        elif ch in "]}":
            depth -= 1
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
    return make(
        "descriptor-json",
        f"{display} nests arrays and objects more than {most} levels deep; "
        "a descriptor needs far fewer.",
        path=display,
        line=line,
        column=col,
    )


def check_engine(
    descriptor: dict[str, Any], base: Path, display: str
) -> tuple[Package | None, list[Problem]]:
    """Read the descriptor into the data model; report what the engine cannot use."""
    try:
        return Package.from_descriptor(descriptor, base), []
    except (DescriptorError, TypeError, AttributeError, ValueError) as e:
        table = _failing_resource(descriptor)
        return None, [
            make(
                "descriptor-profile", f"Descriptor cannot be used: {e}.", path=display, table=table
            )
        ]


def _failing_resource(descriptor: dict[str, Any]) -> str | None:
    """The name of the first resource the data model cannot read (None if none is named)."""
    for r in descriptor.get("resources") or []:
        try:
            Table.from_descriptor(r)
        except (DescriptorError, TypeError, AttributeError, ValueError):
            name = r.get("name") if isinstance(r, dict) else None
            return name if isinstance(name, str) else None
    return None


def check_paths(package: Package, display: str, *, allow_remote: bool) -> list[Problem]:
    """Every resource path is relative and stays inside the package folder."""
    out: list[Problem] = []
    base = package.base_path.resolve()
    for t, p in ((table, part) for table in package.tables for part in table.parts):
        kw = {"path": display, "table": t.name, "value": p}
        if is_remote(p):
            if not allow_remote:
                out.append(
                    make(
                        "path-remote",
                        f"Resource {t.name!r} points at a remote URL ({p}); "
                        "pass --allow-remote to fetch it.",
                        **kw,
                    )
                )
            continue
        if urlparse(p).scheme and len(urlparse(p).scheme) > 1:
            out.append(
                make(
                    "path-unsafe", f"Resource {t.name!r} has an unsupported URL scheme: {p}.", **kw
                )
            )
            continue
        if problem := path_problem(p):
            out.append(make("path-unsafe", f"Resource {t.name!r} path {p!r} {problem}.", **kw))
            continue
        if problem := _escapes(base, p):
            out.append(make("path-unsafe", f"Resource {t.name!r} path {p} {problem}.", **kw))
    return out


def _escapes(base: Path, p: str) -> str | None:
    """Why a plain relative path leaves ``base`` once symlinks are resolved (None: it stays)."""
    try:
        inside(base, p, what="the package folder")
    except UnsafePathError as e:
        return e.problem
    except RuntimeError:
        return "is a symlink loop"
    except (OSError, ValueError):
        return None
    return None


def check_conventions(package: Package, display: str) -> list[Problem]:
    """``zonedata:conventions``, on the package and each resource, lists known names only."""
    places: list[tuple[str | None, Any]] = [(None, package.descriptor)]
    places += [(t.name, t.descriptor) for t in package.tables]
    out: list[Problem] = []
    for table, d in places:
        raw = d.get(CONVENTIONS_PROPERTY)
        if raw is None:
            continue
        items = raw if isinstance(raw, list) else [raw]
        for i, c in enumerate(items):
            if isinstance(raw, list) and isinstance(c, str) and c in CONVENTIONS:
                continue
            where = f"{CONVENTIONS_PROPERTY}/{i}" if isinstance(raw, list) else CONVENTIONS_PROPERTY
            out.append(
                make(
                    "convention-unknown",
                    f"{str(c)[:80]!r} is not a file convention zonedata knows "
                    f"({', '.join(CONVENTIONS)}; a list of them) at property '{where}'.",
                    path=display,
                    table=table,
                    value=str(c)[:80],
                )
            )
    return out


def check_resources(package: Package, display: str) -> list[Problem]:
    """The package has resources; their names are safe, distinct file stems."""
    kw = {"path": display}
    if not package.tables:
        return [
            make(
                "resources-empty",
                "The descriptor lists no resources: a data package needs at least one table.",
                **kw,
            )
        ]
    out: list[Problem] = []
    seen: set[str] = set()
    for t in package.tables:
        if problem := name_problem(t.name):
            out.append(
                make(
                    "name-unsafe",
                    f"Resource name {t.name!r} {problem}: a name is 1 to 64 lowercase "
                    "letters, digits, '-', '_', '.' and '/'.",
                    table=t.name,
                    value=t.name,
                    **kw,
                )
            )
        elif t.name in seen:
            out.append(
                make(
                    "name-duplicate",
                    f"Resource name {t.name!r} is used by more than one resource.",
                    table=t.name,
                    value=t.name,
                    **kw,
                )
            )
        seen.add(t.name)
    return out


def check_references(package: Package, display: str) -> list[Problem]:
    """Every foreign key names fields of its table, an existing resource, and its fields."""
    out: list[Problem] = []
    tables = {t.name: t for t in package.tables}
    for t in package.tables:
        for fk in t.foreign_keys:
            local = "+".join(fk.fields) or "(none)"
            target = f"{fk.resource}.{'+'.join(fk.reference_fields)}"
            kw = {"path": display, "table": t.name, "value": f"{local} -> {target}"}
            first = fk.fields[0] if fk.fields else None
            if not fk.fields or not fk.reference_fields:
                why = "names no fields" if not fk.fields else "names no reference fields"
            elif len(fk.fields) != len(fk.reference_fields):
                why = f"has {len(fk.fields)} fields but {len(fk.reference_fields)} reference fields"
            elif missing := [f for f in fk.fields if f not in t.field_names]:
                why = f"uses {', '.join(map(repr, missing))}, not a field of {t.name!r}"
            elif fk.resource not in tables:
                why = f"refers to resource {fk.resource!r}, which the package does not have"
            elif missing := [
                f for f in fk.reference_fields if f not in tables[fk.resource].field_names
            ]:
                why = f"refers to {', '.join(map(repr, missing))}, not a field of {fk.resource!r}"
            else:
                continue
            out.append(
                make(
                    "foreign-key-invalid",
                    f"Resource {t.name!r}: the foreign key {local} -> {target} {why}.",
                    field=first if first in t.field_names else None,
                    **kw,
                )
            )
    return out


#: Where in a resource each code's problem points (a path below ``resources[i]``).
_POINTS_AT: dict[str, tuple[str, ...]] = {
    "name-unsafe": ("name",),
    "name-duplicate": ("name",),
    "foreign-key-invalid": ("schema", "foreignKeys"),
    "path-unsafe": ("path",),
    "path-remote": ("path",),
}
_PROPERTY = re.compile(r"at property '([^']*)'")


def with_lines(
    problems: list[Problem], path: Path, shown: str, descriptor: dict[str, Any]
) -> list[Problem]:
    """Give the descriptor's problems the line and column of the value they are about.

    A problem about a resource points at the resource's key for its code (``"name"`` for
    ``name-unsafe``; the second resource of the name for ``name-duplicate``; ``"path"``,
    ``"foreignKeys"``, ``"encoding"``), a problem about one of its fields at the field, and a
    profile problem at the property the profile names, else at its resource. The
    descriptor's text is read again only when there is a problem to place.
    """
    todo = [i for i, p in enumerate(problems) if p.path == shown and p.line is None]
    if not todo:
        return problems
    try:
        text = safeio.read_regular(path, current_limits().max_descriptor_bytes).decode("utf-8-sig")
    except (InputError, UnicodeDecodeError, ValueError):
        return problems
    resources = descriptor.get("resources")
    indices: dict[str, list[int]] = {}
    for i, r in enumerate(resources if isinstance(resources, list) else []):
        if isinstance(r, dict) and isinstance(r.get("name"), str):
            indices.setdefault(r["name"], []).append(i)
    out = list(problems)
    for i in todo:
        for pointer in _pointers(out[i], indices, descriptor):
            if found := files.locate(text, path, pointer):
                out[i] = out[i].with_(line=found[0], column=found[1])
                break
    return out


def _pointers(
    p: Problem, indices: dict[str, list[int]], descriptor: dict[str, Any]
) -> list[jsontext.Pointer]:
    """Candidate places of a descriptor problem in the descriptor, best first."""
    m = _PROPERTY.search(p.message)
    parts = tuple(int(x) if x.isdigit() else x for x in m.group(1).split("/") if x) if m else ()
    found = indices.get(p.table or "")
    if not found:
        return [parts] if parts else []
    i = found[1] if p.code == "name-duplicate" and len(found) > 1 else found[0]
    res: jsontext.Pointer = ("resources", i)
    out: list[jsontext.Pointer] = []
    if p.code in _POINTS_AT:
        out.append(res + _POINTS_AT[p.code])
    if parts:
        out += [(*res, "schema", *parts), res + parts]
    schema = descriptor["resources"][i].get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if p.field is not None and isinstance(fields, list):
        names = [f.get("name") if isinstance(f, dict) else None for f in fields]
        if p.field in names:
            out.append((*res, "schema", "fields", names.index(p.field)))
    return [*out, res]
