"""``docs/validation.md``: what ``zonedata validate`` checks, generated from the rule registry.

The table of rule codes comes from :data:`zonedata.validate.problems.RULES`, where each
code is declared once with its layer, default severity, title and rationale.
"""

from __future__ import annotations

from zonedata.docs import GENERATED_NOTE, md_code, md_escape
from zonedata.validate.problems import RULES, Rule

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
        "length, closed quotes, LF line endings, rows sorted by primary key.",
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


def render(package: object = None) -> bytes:
    """The rule reference as UTF-8 Markdown (``package`` is unused)."""
    return render_text(RULES).encode("utf-8")


def render_text(rules: dict[str, Rule]) -> str:
    out = ["# Validation rules", ""]
    out += [GENERATED_NOTE.format(inputs="the rule registry in zonedata/validate/problems.py"), ""]
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
    return "\n".join(out).rstrip("\n") + "\n"
