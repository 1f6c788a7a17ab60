"""``docs/data-dictionary.md``: every table and field of the descriptor, for any package.

Generated from ``datapackage.json`` alone (tables, fields, types, units, constraints,
keys, the file conventions the package declares in ``zonedata:conventions``, the
descriptor's ``sources``, and the derived tables it declares in ``zonedata:derived``:
their schema, description and SQL file), with the release's SQLite types from
:func:`zonedata.descriptor.fieldtypes.sqlite_type`. What a package says about its own
data beyond its descriptor (a list of the documents its facts come from, say) is a
document it declares itself (``zonedata:docs``).
"""

from __future__ import annotations

from typing import Any

from zonedata.descriptor.fieldtypes import SQLITE_REAL_DIGITS, sqlite_type
from zonedata.descriptor.package import DescriptorError, Field, Package, Table
from zonedata.docs import GENERATED_NOTE, md_code, md_escape
from zonedata.validate.derived_checks import Declaration, declarations


def render(package: Package) -> bytes:
    return render_text(package).encode("utf-8")


def render_text(package: Package) -> str:
    d = package.descriptor
    out: list[str] = ["# Data dictionary", ""]
    out += [
        GENERATED_NOTE.format(inputs="datapackage.json"),
        "",
    ]
    title = str(d.get("title") or package.name)
    licenses = ", ".join(
        str(lic.get("name") or lic.get("title"))
        for lic in d.get("licenses") or []
        if isinstance(lic, dict)
    )
    meta = f"**{md_escape(title)}**: package {md_code(package.name)}"
    if package.version:
        meta += f", version {md_escape(package.version)}"
    if licenses:
        meta += f", data license {md_escape(licenses)}"
    out += [meta + ".", ""]
    if d.get("description"):
        out += [md_escape(str(d["description"])), ""]

    out += ["## Contents", ""]
    out += ["| Table | Title | File | Fields |", "| --- | --- | --- | --- |"]
    for t in package.tables:
        out.append(
            f"| [{md_code(t.name)}](#{_anchor(t.name)}) | {md_escape(t.title)} "
            f"| {md_code(t.path)} | {len(t.fields)} |"
        )
    derived = _declarations(package)
    for x in derived:
        out.append(
            f"| [{md_code(x.name)}](#{_anchor(x.name)}) | {md_escape(x.table.title)} "
            f"| {md_code(x.table.path)} (releases only) | {len(x.table.fields)} |"
        )
    out += [""]
    out += _conventions(package)
    referenced_by = _referenced_by(package)
    for t in package.tables:
        out += _table_section(t, referenced_by.get(t.name, []))
    if derived:
        out += _derived_intro()
    for x in derived:
        out += _table_section(x.table, [], x)
    out += _sources(d)
    return "\n".join(out).rstrip("\n") + "\n"


#: what each convention a package may declare (``zonedata:conventions``) promises
CONVENTION_TEXT = {
    "lf": "Lines end with LF.",
    "no-bom": "Files have no byte order mark.",
    "sorted": "Rows are sorted by primary key.",
}


def _conventions(package: Package) -> list[str]:
    declared = sorted(set().union(*(t.conventions for t in package.tables)))
    files = " ".join(CONVENTION_TEXT[c] for c in declared if c in CONVENTION_TEXT)
    return [
        "## Conventions",
        "",
        "- Each table's file has a header row that names the fields in the order listed "
        f"below.{' ' + files if files else ''}",
        "- An empty cell is a missing value; a required field is never empty.",
        "- *number* fields hold exact decimals as printed in the source, in the field's unit; "
        "*at most N decimals* is the scale of the exact decimal type the field has in releases.",
        "- *partial date* fields are ISO 8601 strings at the precision the source gives: "
        "`YYYY`, `YYYY-MM` or `YYYY-MM-DD`. A day or month is never invented.",
        "- *boolean* fields hold `true` or `false`.",
        "- Patterns are regular expressions that must match the whole value.",
        f"- In a release's SQLite database, {_sqlite_types()}.",
        "",
    ]


def _sqlite_types() -> str:
    """The declared SQLite type of each field type, as :func:`sqlite_type` gives it."""

    kinds = {
        "integer": Field(name="x", type="integer"),
        "number": Field(name="x", type="number", decimals=2),
        "boolean": Field(name="x", type="boolean"),
        "string": Field(name="x", type="string"),
        "partial date": Field(name="x", type="string", partial_date=True),
    }
    by_type: dict[str, list[str]] = {}
    for label, f in kinds.items():
        by_type.setdefault(sqlite_type(f), []).append(f"*{label}*")
    parts = [f"{' and '.join(labels)} fields are `{t}`" for t, labels in by_type.items()]
    return (
        "; ".join(parts)
        + f" (booleans as 0 or 1; each `REAL` reads back as the figure's exact digits, as the release "
        f"refuses a figure of more than {SQLITE_REAL_DIGITS} significant digits); tables `_tables` and "
        "`_fields` describe the tables and fields"
    )


def _declarations(package: Package) -> list[Declaration]:
    """The derived tables the package declares (none if the declarations are malformed:
    validation reports them)."""
    try:
        return declarations(package.descriptor)
    except DescriptorError:
        return []


def _derived_intro() -> list[str]:
    return [
        "## Derived tables",
        "",
        "The tables below are not files of the package: the descriptor declares them "
        "(`zonedata:derived`) and `zonedata release` derives them from the tables above, "
        "each by the SQL file named with it, whose comments give its rules in words, never "
        "by hand. It checks them against their schema as validation checks every table. "
        "They are in every release as Parquet, JSON and CSV files and in its SQLite database.",
        "",
    ]


def _table_section(
    t: Table,
    referenced_by: list[tuple[str, tuple[str, ...]]],
    derivation: Declaration | None = None,
) -> list[str]:
    out = [f"## {t.name}", ""]
    where = "in releases" if derivation else "file"
    out.append(f"**{md_escape(t.title or t.name)}**, {where} {md_code(t.path)}.")
    out.append("")
    if t.description:
        out += [md_escape(t.description), ""]
    if derivation:
        out += [f"Derived by {md_code(derivation.sql_path)}; its comments give the rules.", ""]
    pk = ", ".join(md_code(f) for f in t.primary_key) or "none"
    out.append(f"- Primary key: {pk}")
    if t.foreign_keys:
        out.append("- Foreign keys:")
        for fk in t.foreign_keys:
            src = ", ".join(md_code(f) for f in fk.fields)
            dst = ", ".join(md_code(f) for f in fk.reference_fields)
            out.append(f"  - {src} → [{md_code(fk.resource)}](#{_anchor(fk.resource)}) {dst}")
    else:
        out.append("- Foreign keys: none")
    if referenced_by:
        refs = ", ".join(
            f"[{md_code(name)}](#{_anchor(name)}) ({', '.join(md_code(f) for f in fields)})"
            for name, fields in referenced_by
        )
        out.append(f"- Referenced by: {refs}")
    out += ["", "| Field | Title | Type | Unit | Constraints | Description |"]
    out.append("| --- | --- | --- | --- | --- | --- |")
    for f in t.fields:
        cells = [
            md_code(f.name),
            md_escape(f.title),
            _type(f),
            md_escape(f.unit) if f.unit else "",
            _constraints(f),
            md_escape(f.description),
        ]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    return out


def _type(f: Field) -> str:
    if f.partial_date:
        return "partial date"
    return md_escape(f.type)


def _constraints(f: Field) -> str:
    parts: list[str] = ["required" if f.required else "optional"]
    if f.unique:
        parts.append("unique")
    if f.minimum is not None:
        parts.append(f"minimum {_value(f.minimum)}")
    if f.maximum is not None:
        parts.append(f"maximum {_value(f.maximum)}")
    if f.min_length is not None and f.max_length is not None:
        parts.append(f"length {f.min_length} to {f.max_length}")
    elif f.min_length is not None:
        parts.append(f"length at least {f.min_length}")
    elif f.max_length is not None:
        parts.append(f"length at most {f.max_length}")
    if f.decimals is not None:
        parts.append(f"at most {f.decimals} decimals")
    if f.enum is not None:
        parts.append("one of " + ", ".join(md_code(str(_value(v))) for v in f.enum))
    if f.pattern is not None:
        parts.append(f"pattern {md_code(f.pattern)}")
    return "; ".join(parts)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _referenced_by(package: Package) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    refs: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for t in package.tables:
        for fk in t.foreign_keys:
            if fk.resource != t.name:
                refs.setdefault(fk.resource, []).append((t.name, fk.fields))
    return refs


def _anchor(name: str) -> str:
    """GitHub's heading anchor for ``## name`` (table names are snake_case identifiers)."""
    return "".join(ch for ch in name.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")


def _sources(descriptor: dict[str, Any]) -> list[str]:
    """The descriptor's own ``sources`` (Frictionless: title, path, email), if it has any."""
    items = [x for x in descriptor.get("sources") or [] if isinstance(x, dict)]
    if not items:
        return []
    out = ["## Sources", ""]
    for x in items:
        title = md_escape(str(x.get("title") or x.get("path") or "untitled"))
        path = str(x.get("path") or "")
        link = path.startswith(("https://", "http://")) and not any(c in path for c in " <>|")
        out.append(
            f"- {title}" + (f": <{path}>" if link else f" ({md_escape(path)})" if path else "")
        )
    out.append("")
    return out
