"""``docs/validation.md``: what ``zonedata validate`` checks, generated from the rule registry.

The table of rule codes comes from :data:`zonedata.problems.RULES`, where each
code is declared once with its layer, default severity, title and rationale.
"""

from __future__ import annotations

from zonedata.docs import GENERATED_NOTE, md_code, md_escape
from zonedata.problems import FRICTIONLESS_CODES, RULES, Rule

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
        "Facts agree with each other: currency conversions match their reference rates, "
        "growth rates and dates are plausible, rank claims fit the values they rank, every "
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


#: What each semantic rule relies on, so that on another data package it runs only where
#: the tables carry it (a rule whose tables or fields are absent does nothing).
RELIES_ON: dict[str, str] = {
    "usd-cny-mismatch": "a table with a `billion CNY` and a `billion USD` number field (the "
    "fields' `unit`) and a foreign key to a table of `CNY/USD` rates",
    "usd-cny-implausible": "a table with a `billion CNY` and a `billion USD` number field "
    "(`unit`) and a `year` or `target_year` field",
    "ecb-cross-rate-mismatch": "a table with `CNY/USD`, `CNY/EUR` and `USD/EUR` number fields "
    "(`unit`)",
    "growth-out-of-range": "`number` fields with unit `percent` whose name contains `growth`",
    "growth-unexpected": "as growth-out-of-range",
    "rank-contradicts-values": "the tables `city_gdp_ranks`/`province_gdp_ranks` with "
    "`rank_min`/`rank_max`, and `city_gdp`/`province_gdp`/`cities`",
    "rank-interval": "`rank_min` and `rank_max` fields in the rank tables",
    "date-in-future": "`date` fields and string fields with `partialDate`, in a package "
    "that declares zonedata's field properties (`partialDate` or `decimals` on some field)",
    "date-order": "the tables `zone_dates` (with `event`, `date`, `preferred`) and `zones`",
    "batch-order": "the tables `zone_dates` and `zones` with a `batch` field",
    "zone-without-city": "the tables `zones` and `zone_cities` (`zone_id`)",
    "source-unused": "a table named `sources` that other tables refer to by foreign key",
    "preferred-count": "a boolean `preferred` field beside a foreign key to `sources`",
    "source-disagreement": "as preferred-count, with number fields",
    "formula-cell": "string fields, in a package that declares zonedata's field properties "
    "(`partialDate` or `decimals` on some field): another package's text is not held to "
    "zonedata's CSV-injection convention",
}


def render(package: object = None) -> bytes:
    """The rule reference as UTF-8 Markdown (``package`` is unused)."""
    return render_text(RULES).encode("utf-8")


def render_text(rules: dict[str, Rule]) -> str:
    out = ["# Validation rules", ""]
    out += [GENERATED_NOTE.format(inputs="the rule registry in zonedata/problems.py"), ""]
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
        f"All {len(rules)} rule codes, layer by layer in the order they run.",
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
        "warning (a failure under `--strict`).",
        "- A resource without a schema that frictionless takes for a document rather than a "
        "table (Markdown, a JSON document, a PDF...) has only its file checked (declared "
        "`bytes` and `hash`), as frictionless does.",
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
        "by frictionless too. Before frictionless opens a file it is checked as zonedata's "
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
    out += [
        "",
        "### Semantic rules on other packages",
        "",
        "The semantic rules were written for zonedata's tables; on another package each runs "
        "only where the tables carry what it relies on, and does nothing elsewhere.",
        "",
        "| Code | Runs where the package has |",
        "| --- | --- |",
    ]
    for code, rule in rules.items():
        if rule.layer == "semantic":
            out.append(f"| {md_code(code)} | {RELIES_ON.get(code, 'zonedata tables only')} |")
    return out
