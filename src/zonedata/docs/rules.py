"""``docs/validation.md``: what ``zonedata validate`` checks, generated from the rule registry.

The table of rule codes comes from :data:`zonedata.problems.RULES`, where each
code is declared once with its layer, default severity, title and rationale; the
reference of the rule kinds a package declares, from :data:`zonedata.validate.kinds.KINDS`.
"""

from __future__ import annotations

import json

from zonedata.docs import GENERATED_NOTE, md_code, md_escape
from zonedata.problems import FRICTIONLESS_CODES, RULES, Rule
from zonedata.validate.declarations import PROPERTY
from zonedata.validate.kinds import KINDS
from zonedata.validate.kindspec import KindSpec

#: the layers in the order they run, and what each checks
LAYERS: tuple[tuple[str, str], ...] = (
    (
        "descriptor",
        "`datapackage.json` is found, parses as JSON, follows the Data Package profile and "
        "names only local files inside the package. Without a readable descriptor nothing "
        "else runs, and each later layer checks only what the earlier ones could read.",
    ),
    (
        "file",
        "Each table's CSV file exists and is well formed: UTF-8 without byte order mark, no "
        "NUL byte, a header that names the schema's fields in order, rows of the right "
        "length, closed quotes, LF line endings, rows sorted by primary key; declared bytes "
        "and hash match. Other formats are read by frictionless (see Other data packages).",
    ),
    (
        "schema",
        "Each cell matches its field: type, partial dates, decimals, required, minimum and "
        "maximum, enum, pattern, length, uniqueness; primary keys are unique and foreign "
        "keys resolve.",
    ),
    (
        "semantic",
        "Facts agree with each other, by the rules the package declares in its "
        "`zonedata:rules` (see Declared rules below): conversions match their reference "
        "rates, values and dates are plausible, rank claims fit the values they rank, every "
        "group of rows has exactly one preferred row, sources that disagree are flagged. "
        "Skipped with `--no-semantic`.",
    ),
    (
        "release",
        "Checked by `zonedata verify` on a built release, not by `zonedata validate`: every "
        "file listed by the release descriptor and `SHA256SUMS` is present, a regular file "
        "inside the release, with its recorded size and SHA-256; nothing else is there; each "
        "Parquet and JSON file matches its table schema. Then the semantic rules run on the "
        "released tables.",
    ),
)


def render(package: object = None) -> bytes:
    """The rule reference as UTF-8 Markdown (``package`` is unused)."""
    return render_text(RULES).encode("utf-8")


def render_text(rules: dict[str, Rule]) -> str:
    out = ["# Validation rules", ""]
    inputs = "the rule registries in zonedata/problems.py and zonedata/validate/kinds.py"
    out += [GENERATED_NOTE.format(inputs=inputs), ""]
    out += [
        "`zonedata validate` checks the package in four layers and reports each problem with "
        "a stable rule code, its severity, the file, line and column, and a message. The "
        "codes below are stable: scripts, CI filters and `--format json` consumers may rely "
        "on them.",
        "",
        "## Layers",
        "",
        "| Layer | Rules | What it checks |",
        "| --- | --- | --- |",
    ]
    known = [name for name, _ in LAYERS]
    layers = list(LAYERS) + [
        (layer, "") for layer in sorted({r.layer for r in rules.values()}) if layer not in known
    ]
    for layer, what in layers:
        n = sum(1 for r in rules.values() if r.layer == layer)
        out.append(f"| {layer} | {n} | {what} |")
    out += [
        "",
        "## Severities and exit codes",
        "",
        "- **error**: the package is invalid; `zonedata validate` exits 1.",
        "- **warning**: something a person should look at (a source disagreement, an "
        "uncited source, unsorted rows); the exit code stays 0 unless `--strict` is given, "
        "which makes warnings fail too (exit 1).",
        "- Exit code 2 means the input could not be read at all (no descriptor, malformed "
        "JSON) or the command was used wrongly.",
        "",
        "## Rules",
        "",
        f"All {len(rules)} rule codes of the toolkit and of the bundled package's declared "
        "rules, layer by layer in the order they run. Another package's declared rules "
        "report the codes it declares.",
        "",
        "| Code | Layer | Severity | Title | Rationale |",
        "| --- | --- | --- | --- | --- |",
    ]
    order = {name: i for i, (name, _) in enumerate(layers)}
    ranked = sorted(enumerate(rules.values()), key=lambda p: (order[p[1].layer], p[0]))
    for _, rule in ranked:
        out.append(
            f"| {md_code(rule.code)} | {rule.layer} | {rule.severity} "
            f"| {md_escape(rule.title)} | {md_escape(rule.rationale)} |"
        )
    out += declared_rules()
    out += _other_packages(rules)
    return "\n".join(out).rstrip("\n") + "\n"


def _other_packages(rules: dict[str, Rule]) -> list[str]:
    """How another data package is read, frictionless' error types, the semantic rules."""
    out = [
        "",
        "## Other data packages",
        "",
        "`zonedata validate path/to/datapackage.json` reads any Frictionless data package "
        "(Data Package v1 or v2) and gives the verdict `frictionless validate` gives: the "
        "differential test (tests/test_differential.py) checks both on a corpus of small "
        "packages, one per feature, valid and broken.",
        "",
        "- A resource's `schema` or `dialect` given as a path is read (a JSON file inside the "
        "package folder, at most 16 MiB) and used as if it were inline.",
        "- A resource without a schema is checked against the schema frictionless infers from "
        "its first 100 rows, as `frictionless validate` does, with a `schema-inferred` "
        "warning (a failure under `--strict`); `zonedata release` describes the table with "
        "that same schema (one inference, `zonedata.descriptor.resolve`).",
        "- A resource without a schema that frictionless takes for a document rather than a "
        "table (Markdown, a JSON document, a PDF...) has only its file checked (declared "
        "`bytes` and `hash`), as frictionless does; a release leaves it out, with a note.",
        "- A one-field `primaryKey` or foreign key written as a string (v1) is a list of one.",
        "- Declared `bytes` and `hash` (md5, sha1, sha256, sha512) are checked on the file as "
        "it is on disk (compressed, if it is).",
        "- CSV, plain or gzip-compressed (`.csv.gz` or `compression: gz`) or in several parts "
        "(`path` a list, concatenated; a later part that repeats the header has it dropped, "
        "as frictionless does), in UTF-8, with at most a `delimiter` in its dialect and fields "
        "of the types string, integer, number, boolean, date (default format), year and any, "
        "takes zonedata's own fast path. Gzip is decompressed to at most the file limit and "
        "the expansion ratio (`ZONEDATA_MAX_EXPANSION_RATIO`, 100) times the compressed size.",
        "- Everything else is read and checked by frictionless, resource by resource, and its "
        "errors are reported with the codes below: JSON, JSONL/NDJSON, XLSX and ODS (install "
        "`zonedata[formats]`), zip, inline `data`, other encodings, dialects with `header: "
        "false`, `quoteChar`, `doubleQuote`, `escapeChar`, `skipInitialSpace`, "
        "`commentChar`..., field options (`format`, `decimalChar`, `groupChar`, "
        "`bareNumber: false`) and the types datetime, time, yearmonth, duration, geopoint, "
        "geojson, object and array. A table with a foreign key to such a resource is read "
        "by frictionless too. Once frictionless finds such a table valid, it reads it once "
        "more into the cells its release writes (integers, numbers, dates and booleans in "
        "their canonical text): the declared rules (`zonedata:rules`) check those cells, at "
        "the row frictionless numbers (the line, in a CSV file), and the release writes "
        "them; a cell the release's types cannot hold is `value-out-of-range` or "
        "`number-not-finite`, as on the fast path. Before frictionless opens a file it is "
        "checked as zonedata's "
        "own reads are: a regular file within the size limit, and a zip container (XLSX, "
        "ODS, zip) or gzip file that expands within the limits.",
        "- A format no reader supports is `unsupported-format`, naming it (frictionless "
        "would take such a file for a non-tabular one and check nothing); a CSV resource "
        "whose file is a known binary format (zip, gzip, XLS, Parquet...) is "
        "`unsupported-format` too, never a NUL byte.",
        "- Where the two differ on purpose: a resource with a schema is a table even when "
        "it does not say `tabular-data-resource` (frictionless takes an untyped `.json` "
        "file for a document and checks none of its rows); zonedata reports a wrong hash "
        "beside a wrong byte count; warnings frictionless does not have (`bom`, "
        "`crlf-line-endings`, `rows-unsorted`) fail only under `--strict`.",
        "",
        "### Frictionless error types",
        "",
        "The zonedata code each frictionless error type is reported as. A `constraint-error` "
        "is reported by its constraint: `required` as `required-missing`, `minimum` and "
        "`exclusiveMinimum` as `constraint-minimum`, `maximum` and `exclusiveMaximum` as "
        "`constraint-maximum`, `enum`, `pattern` as `constraint-enum`, `constraint-pattern`, "
        "`minLength` and `maxLength` as `constraint-length`, `unique` as `constraint-unique`.",
        "",
        "| frictionless error type | zonedata code | Severity |",
        "| --- | --- | --- |",
    ]
    for kind, code in sorted(FRICTIONLESS_CODES.items()):
        out.append(f"| {md_code(kind)} | {md_code(code)} | {rules[code].severity} |")
    return out


def declared_rules() -> list[str]:
    """How a package declares its semantic rules, and every rule kind."""
    out = [
        "",
        "## Declared rules",
        "",
        f"The semantic rules are declared by the package, in the custom top-level property "
        f"`{PROPERTY}` of `datapackage.json` (Frictionless allows namespaced properties): "
        "an array of declarations, each an object with its rule `kind` (below), the problem "
        "`code` it reports (kebab-case), its `severity` (`error` or `warning`; default: the "
        "kind's), an optional `message` (the advice a problem ends with), an optional "
        "`description` for people, and the kind's parameters. The rules run in the order "
        "declared; to switch a rule off, remove its declaration.",
        "",
        f"A package without `{PROPERTY}` has no semantic rules: neither the formula rule "
        "(`no-formula`) nor any other runs by default, so another package's text is not "
        "held to conventions it did not choose. The formula rule is on exactly for the "
        "tables a `no-formula` declaration covers (all tables unless it lists them); there "
        "it checks every text-like cell (fields of type `string` other than partial dates, "
        "and of type `any`) and every field name. The bundled package declares it for all "
        "its tables.",
        "",
        "A wrong declaration (not an object, an unknown kind or property, a missing "
        "parameter, a value of the wrong type, a table or field that does not exist, a "
        "field of the wrong type) is a `rule-declaration` error at its line and column in "
        "`datapackage.json`; that declaration is skipped and the others run. The JSON Schema "
        "of the declarations ships with the toolkit as "
        "`zonedata/validate/rules.schema.json`.",
        "",
        "Parameters of type *field* name a field of the declaration's `table` (or of the "
        "table parameter named in their description); rounding tolerances come from the "
        "digits printed in each cell; partial dates (`partialDate` fields: `YYYY`, "
        "`YYYY-MM`, `YYYY-MM-DD`) are compared at the coarser precision of the two.",
        "",
        "An example in another domain, `examples/retail-prices` (grocery prices in EUR "
        "converted to USD), declares eight kinds: `converted`, `plausible-for-year`, "
        "`range` with a warning band, `one-flagged`, `alternatives-agree`, `cited`, "
        "`not-in-future` and `no-formula`; `tests/test_declared_rules.py` breaks a copy of "
        "it once per kind and checks that each is caught, with its declared code, at its "
        "line and field. This package's own rules are declared the same way in its "
        "`datapackage.json`.",
    ]
    for spec in KINDS.values():
        out += _kind(spec)
    return out


def _kind(spec: KindSpec) -> list[str]:
    out = [
        "",
        f"### {spec.name}",
        "",
        f"Catches: {spec.catches} Default severity: {spec.severity}.",
    ]
    if spec.advice:
        out[-1] += f' Default message: "{spec.advice}".'
    out += ["", "| Parameter | Type | Required | Meaning |", "| --- | --- | --- | --- |"]
    for p in spec.params:
        required = "yes" if p.required else "no"
        kinds = f" (of kind {', '.join(p.kinds)})" if p.kinds else ""
        out.append(f"| {md_code(p.name)} | {p.type} | {required} | {md_escape(p.doc)}{kinds} |")
    example = json.dumps(dict(spec.example), ensure_ascii=False)
    out += ["", "Example:", "", "```json", example, "```"]
    return out
