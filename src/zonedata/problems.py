"""Validation problems as values: a record per problem, and the registry of rule codes.

Every check reports :class:`Problem` records; renderers turn them into text, JSON or
GitHub annotations. Rule codes are stable, kebab-case identifiers: tests, CI filters and
users may rely on them. Each code is declared once in :data:`RULES` with its layer,
default severity, title and rationale (the documentation is generated from it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Severity = Literal["error", "warning"]
Layer = Literal["descriptor", "file", "schema", "semantic", "release"]


@dataclass(frozen=True)
class Rule:
    code: str
    layer: Layer
    severity: Severity
    title: str
    rationale: str


@dataclass(frozen=True)
class Problem:
    """One validation problem.

    ``line`` is the 1-based physical line in ``path`` (the header is line 1);
    ``field`` is the column's name and ``field_number`` its 1-based position;
    ``column`` is the 1-based character position of the cell in the line, filled in by
    :func:`zonedata.validate.locate.locate` for problems that have a line and a field.
    """

    code: str
    severity: Severity
    message: str
    table: str | None = None
    path: str | None = None
    line: int | None = None
    field: str | None = None
    field_number: int | None = None
    column: int | None = None
    value: str | None = None
    row: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_(self, **changes: Any) -> Problem:
        return replace(self, **changes)


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {r.code: r for r in rules}


RULES: dict[str, Rule] = _rules(
    # Layer 1: the descriptor
    Rule(
        "descriptor-missing",
        "descriptor",
        "error",
        "Descriptor not found",
        "There is no datapackage.json at the given path.",
    ),
    Rule(
        "descriptor-json",
        "descriptor",
        "error",
        "Descriptor is not valid JSON",
        "The descriptor must parse as a JSON object before anything else can be checked.",
    ),
    Rule(
        "descriptor-profile",
        "descriptor",
        "error",
        "Descriptor does not conform to the Data Package profile",
        "Tools other than zonedata read the descriptor; it must follow the Data Package standard.",
    ),
    Rule(
        "descriptor-not-regular",
        "descriptor",
        "error",
        "Descriptor is not a regular file",
        "A descriptor that is a FIFO, a device or a folder cannot be read safely: a FIFO would block "
        "validation forever and /dev/zero would fill memory. It is refused before it is read.",
    ),
    Rule(
        "descriptor-too-large",
        "descriptor",
        "error",
        "Descriptor too large",
        "A descriptor holds metadata only; one over 16 MiB is a mistake or an attack, and is refused "
        "before it is read.",
    ),
    Rule(
        "descriptor-ambiguous",
        "descriptor",
        "warning",
        "Two descriptors in one folder",
        "A folder's descriptor is its datapackage.json, else its datapackage.yaml, else its "
        "datapackage.yml: every command given the folder (validate, release, site...) reads "
        "that one and ignores the others, which then say something no command reads. The "
        "warning names the descriptor read; remove the others.",
    ),
    Rule(
        "resources-empty",
        "descriptor",
        "error",
        "Package has no resources",
        "A data package with no table holds no data; an empty resources list is almost always a "
        "descriptor that lost its content.",
    ),
    Rule(
        "name-unsafe",
        "descriptor",
        "error",
        "Resource name is not an identifier",
        "A name is Frictionless' identifier (lowercase letters, digits, '-', '_', '.' and '/'), at "
        "most 64 characters. It is never used as a path: releases and sites name files and pages "
        "by a safe stem made from it (zonedata.names.file_stem), so ../../x cannot leave a folder.",
    ),
    Rule(
        "convention-unknown",
        "descriptor",
        "error",
        "Unknown file convention",
        "zonedata:conventions (on the package or a resource) lists the file conventions the "
        "package holds itself to: lf, no-bom, sorted. Another name would silently check "
        "nothing.",
    ),
    Rule(
        "name-duplicate",
        "descriptor",
        "error",
        "Resource name used twice",
        "Resources are found by name (foreign keys, zonedata.load, release files); two resources of "
        "one name would overwrite each other's files in a release.",
    ),
    Rule(
        "name-reserved",
        "descriptor",
        "error",
        "Table name reserved by the release database",
        "A release's SQLite database holds every table under its own name beside its catalogue "
        "tables _tables and _fields, and SQLite reserves every name starting with sqlite_: a table "
        "with one of these names cannot be written to the database.",
    ),
    Rule(
        "field-name-twin",
        "descriptor",
        "error",
        "Field names differ only in case",
        "SQLite, and so the release's database, does not tell column names apart by case: a table "
        "with fields Name and name cannot be written to it, and spreadsheets confuse them too.",
    ),
    Rule(
        "field-name-formula",
        "descriptor",
        "warning",
        "Field name would run as a spreadsheet formula",
        "A field name heads its column in the CSV files a release publishes; one starting with =, +, "
        "-, @, a tab or a carriage return runs as a formula when the CSV is opened in a spreadsheet "
        "(CSV injection), as a cell would (formula-cell). Frictionless accepts such a name, so it is "
        "a warning (a failure under --strict); a package that declares the no-formula rule gets it "
        "as that rule's error.",
    ),
    Rule(
        "version-too-long",
        "descriptor",
        "error",
        "Version too long to name a release",
        "A release is named <name>-<version> (its folder, zip and database): a version that "
        "gives more than 64 characters of a file name (escaped, see version-unusable) would make "
        "file names longer than file systems allow.",
    ),
    Rule(
        "version-unusable",
        "descriptor",
        "warning",
        "Version cannot name a release",
        "A release's files are named after its version, which as it stands may hold only "
        "letters, digits, '.', '+', '_' and '-', starting with a letter or digit. Another version "
        "is still released, its files named by an escaped stem (1.0 beta gives <name>-1.0~20beta; "
        "two versions never share one) and its descriptor keeping the version as written; the "
        "warning says so, and zonedata release --version chooses another.",
    ),
    Rule(
        "foreign-key-invalid",
        "descriptor",
        "error",
        "Foreign key names a missing resource or field",
        "A foreign key must use fields of its own table and refer to an existing resource and its "
        "fields, with as many reference fields as fields; otherwise no reference can be checked and "
        "every reader that follows the key fails.",
    ),
    Rule(
        "path-unsafe",
        "descriptor",
        "error",
        "Resource path leaves the package",
        "A path that is absolute, contains '..' or resolves outside the package folder (for example "
        "through a symlink) could read files the package does not own.",
    ),
    Rule(
        "path-remote",
        "descriptor",
        "error",
        "Remote resource refused",
        "Remote URLs are fetched only with --allow-remote, so validation never touches the network by surprise.",
    ),
    Rule(
        "derived-invalid",
        "descriptor",
        "error",
        "Derived table declaration is malformed",
        "A table that zonedata release derives is declared in the descriptor's "
        "zonedata:derived list: a name, a plain relative sqlPath to an existing SQL file inside "
        "the package folder, and a valid table schema whose foreign keys refer to the package's "
        "tables. A malformed declaration would stop the release, so validation reports it first.",
    ),
    Rule(
        "derived-sql",
        "descriptor",
        "error",
        "Derived table's SQL does not compile",
        "validate compiles each derived table's SQL, without running it, on the tables the "
        "release's database will hold (created empty by the release's own statements, with "
        "their text in schema text), under the authorizer and limits release runs it under: "
        "SQL with a syntax error, a table or column that does not exist, more than one "
        "statement, a write, ATTACH, PRAGMA, recursive query or a function whose result is "
        "not a function of the data (random, the clock), or columns other than the declared "
        "schema's fields, would stop the release, so validation reports it at its "
        "declaration. What depends on the rows (their number and bytes, the work) is checked "
        "when release runs it (derived-refused).",
    ),
    Rule(
        "derived-refused",
        "release",
        "error",
        "Derived table's SQL refused",
        "Raised by zonedata release, not validate: a derived table's SQL is one SELECT on the "
        "release's own SQLite database, run read-only "
        "(no write, ATTACH or recursive query) and bounded in work, rows and bytes: SQL that "
        "breaks a bound stops the release instead of hanging it or filling memory.",
    ),
    Rule(
        "site-invalid",
        "descriptor",
        "error",
        "Site declaration is malformed",
        "A package declares its own site pages in zonedata:site (inline, or the path of a JSON "
        "file inside the package): a template folder, a home template, pages (a plain relative "
        ".html path, a template in the folder, each naming a table and every {field} in the path "
        "one of its fields), links and files (pictures and style sheets), none at a path the "
        "generic site writes itself (index.html, site.css, site.js, tables/, downloads/). A "
        "malformed declaration would stop zonedata site, so validation reports it at its "
        "property.",
    ),
    Rule(
        "docs-invalid",
        "descriptor",
        "error",
        "Document declaration is malformed",
        "The documents zonedata docs makes for a package besides its own are declared in the "
        "descriptor's zonedata:docs (an object, or the path of a JSON file beside the "
        "descriptor): a templates folder and, for each document, a name, a file in docs/, a "
        "template of that folder, a one-line summary and SQL files inside the package folder. "
        "A malformed declaration would stop zonedata docs, so validation reports it at its "
        "property, as it does a malformed zonedata:site.",
    ),
    # Layer 2: the files
    Rule("file-missing", "file", "error", "File not found", "A resource's file must exist."),
    Rule(
        "file-unreadable",
        "file",
        "error",
        "File cannot be read",
        "The file exists but cannot be opened.",
    ),
    Rule(
        "file-not-regular",
        "file",
        "error",
        "Resource is not a regular file",
        "A resource path that names a folder, a FIFO, a device or a socket is refused before it is read: "
        "a FIFO would block validation forever and a device such as /dev/zero would fill memory.",
    ),
    Rule(
        "file-too-large",
        "file",
        "error",
        "File over the size limit",
        "Validation holds a file in memory; a file over the limit (2 GiB unless ZONEDATA_MAX_FILE_BYTES "
        "says otherwise) is refused before it is read rather than exhausting the machine.",
    ),
    Rule("file-empty", "file", "error", "File is empty", "A table needs at least a header row."),
    Rule(
        "unsupported-format",
        "file",
        "error",
        "File format cannot be read",
        "A resource whose format (or compression) no reader here supports cannot be checked; "
        "the message names the format. CSV (plain, gzip, multipart) is read by zonedata; JSON, "
        "JSONL/NDJSON, XLSX, ODS and zip by frictionless (install zonedata[formats] for XLSX "
        "and ODS).",
    ),
    Rule(
        "byte-count",
        "file",
        "error",
        "File size differs from the declared bytes",
        "A resource's bytes property says how large its file is; a file of another size was "
        "truncated, appended to or replaced since the descriptor was written (frictionless: "
        "byte-count).",
    ),
    Rule(
        "hash-count",
        "file",
        "error",
        "File hash differs from the declared hash",
        "A resource's hash property (md5, sha1, sha256 or sha512; written algorithm:hex, or "
        "plain hex for md5) pins its file's content; another hash means other content "
        "(frictionless: hash-count). A hash of another algorithm is not checked.",
    ),
    Rule(
        "encoding-error",
        "file",
        "error",
        "File is not UTF-8",
        "The package's CSV files are UTF-8; a latin-1 or GBK file garbles Chinese names and figures.",
    ),
    Rule(
        "bom",
        "file",
        "warning",
        "Byte order mark",
        "Only for a package that declares the no-bom convention (zonedata:conventions): a "
        "BOM ends up in the first column's name in readers that do not expect one. zonedata and "
        "frictionless skip it, so it is a warning (a failure under --strict).",
    ),
    Rule(
        "nul-byte",
        "file",
        "error",
        "NUL byte",
        "A NUL byte is never valid in a text file and breaks many CSV readers.",
    ),
    Rule(
        "crlf-line-endings",
        "file",
        "warning",
        "CRLF line endings",
        "Only for a package that declares the lf convention (zonedata:conventions): CRLF "
        "makes noisy diffs. zonedata and frictionless read CRLF, so it is a warning.",
    ),
    Rule(
        "rows-disagree",
        "file",
        "error",
        "Rows read differently",
        "The file layer and the CSV parser must read the same rows, so that no row is dropped "
        "silently and every problem points at its line.",
    ),
    Rule(
        "header-mismatch",
        "file",
        "error",
        "Header does not match the schema",
        "The header must name the schema's fields in the schema's order, so that every reader maps "
        "columns the same way.",
    ),
    Rule(
        "missing-column",
        "file",
        "error",
        "Column missing",
        "A field of the schema has no column in the file.",
    ),
    Rule(
        "extra-column",
        "file",
        "error",
        "Extra column",
        "The file has a column that the schema does not describe.",
    ),
    Rule(
        "row-length",
        "file",
        "error",
        "Row has the wrong number of cells",
        "Every row must have as many cells as the header; a ragged row shifts values into the wrong columns.",
    ),
    Rule(
        "row-too-long",
        "file",
        "error",
        "Row longer than 16 MiB",
        "The CSV parser reads a file in blocks of 16 MiB and a row must fit in one; a row that long "
        "is a broken or hostile file (Python's csv module refuses a cell over 128 KiB).",
    ),
    Rule(
        "quote-unclosed",
        "file",
        "error",
        "Unclosed quote",
        "A quoted cell is never closed, so the rest of the file would be read as one cell.",
    ),
    Rule(
        "quote-misplaced",
        "file",
        "error",
        "Quote in the middle of a cell",
        "RFC 4180 allows a quote only at the start of a cell (opening it), doubled inside a quoted cell, "
        'or closing the cell just before a delimiter or the end of the line. Anywhere else (Bei"jing, '
        'or "Bei"jing"") readers repair the cell each their own way: Python, Arrow and '
        'frictionless read "Bei"jing"" as Beijing"", a spreadsheet may not.',
    ),
    Rule(
        "bare-cr",
        "file",
        "error",
        "Carriage return without line feed",
        "A CR outside quotes that is not part of CRLF (CR-only line endings, or a stray CR in a cell) ends "
        "a record for some CSV readers (Arrow, spreadsheets) and not for others, so they would disagree "
        "on the rows; the file is refused at the first one.",
    ),
    Rule(
        "header-too-long",
        "file",
        "error",
        "Header too long",
        "A header record over 64 KiB is not a header (a real one is a few hundred bytes); it is refused "
        "before it is parsed.",
    ),
    Rule(
        "rows-unsorted",
        "file",
        "warning",
        "Rows not sorted by primary key",
        "Only for a package that declares the sorted convention (zonedata:conventions): rows "
        "kept sorted by primary key keep diffs small and readable.",
    ),
    Rule(
        "blank-row",
        "file",
        "error",
        "Blank row",
        "A row whose cells are all empty (or an empty line between rows) holds no record; "
        "frictionless reports it as blank-row, and a reader may take it for the end of the table.",
    ),
    # Layer 3: the schema
    Rule(
        "schema-inferred",
        "descriptor",
        "warning",
        "Schema inferred",
        "A resource without a schema is checked against the schema frictionless infers from its "
        "first rows, as frictionless validate does, and a release describes it with that schema; "
        "the types are a guess, so --strict fails it. Declare the schema.",
    ),
    Rule(
        "type-error",
        "schema",
        "error",
        "Value does not match the field type",
        "Each cell must parse as its field's type (integer, number, boolean, date).",
    ),
    Rule(
        "number-not-finite",
        "schema",
        "error",
        "Number is not finite",
        "NaN and infinities are Table Schema numbers, but a release cannot hold them: JSON has no such "
        "numbers and an exact decimal no such values. A figure that is not known is left empty.",
    ),
    Rule(
        "value-out-of-range",
        "schema",
        "error",
        "Value out of its release type's range",
        "Every value must fit the type it is released as: integers in 64 bits, figures in 18 digits "
        "at the field's scale, dates from year 1 (what Python, Parquet readers and spreadsheets hold). "
        "Validation reports such a cell so that a valid package always releases and loads.",
    ),
    Rule(
        "date-invalid",
        "schema",
        "error",
        "Not a valid date",
        "Dates are ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD where the field allows partial dates) and must exist "
        "in the calendar.",
    ),
    Rule(
        "decimals-exceeded",
        "schema",
        "error",
        "Too many decimal places",
        "Figures are stored as printed, in a unit whose exact decimal type has a fixed scale; more decimals "
        "than the field allows would be rounded away in releases.",
    ),
    Rule(
        "required-missing",
        "schema",
        "error",
        "Required value missing",
        "The field is required but the cell is empty.",
    ),
    Rule(
        "constraint-minimum",
        "schema",
        "error",
        "Value below minimum",
        "The field's minimum constraint.",
    ),
    Rule(
        "constraint-maximum",
        "schema",
        "error",
        "Value above maximum",
        "The field's maximum constraint.",
    ),
    Rule(
        "constraint-enum",
        "schema",
        "error",
        "Value not allowed",
        "The field only takes the values its enum lists.",
    ),
    Rule(
        "constraint-pattern",
        "schema",
        "error",
        "Value does not match the pattern",
        "The field's pattern (identifiers, dates, addresses) must match the whole value.",
    ),
    Rule(
        "constraint-length",
        "schema",
        "error",
        "Value has the wrong length",
        "The field's minLength/maxLength constraint.",
    ),
    Rule(
        "constraint-unique", "schema", "error", "Value not unique", "The field's unique constraint."
    ),
    Rule(
        "primary-key-missing",
        "schema",
        "error",
        "Primary key missing",
        "A row whose primary key cells are all empty is identified by nothing: a release's "
        "database, a diff and a join cannot find it. Frictionless reports it as a primary-key "
        "error.",
    ),
    Rule(
        "primary-key-duplicate",
        "schema",
        "error",
        "Duplicate primary key",
        "Each row is identified by its primary key; a duplicate makes joins and diffs ambiguous.",
    ),
    Rule(
        "foreign-key-dangling",
        "schema",
        "error",
        "Foreign key does not resolve",
        "A reference to another table must name a row that exists there.",
    ),
    # Layer 4: semantic rules
    Rule(
        "usd-cny-mismatch",
        "semantic",
        "error",
        "USD figure does not match its reference rate",
        "A figure given in both currencies must agree with the rate it was converted at, within the rounding "
        "of the printed figures (half a unit in the last printed digit of each).",
    ),
    Rule(
        "usd-cny-implausible",
        "semantic",
        "error",
        "USD figure implies an implausible rate",
        "A conversion with no reference rate must imply a USD/CNY rate within the plausible band for its year "
        "(the year's and the next year's USD/CNY range, widened by 3%).",
    ),
    Rule(
        "ecb-cross-rate-mismatch",
        "semantic",
        "error",
        "Cross rate does not match its components",
        "An ECB cross rate must equal CNY per EUR divided by USD per EUR, to the last printed digit of the quotient.",
    ),
    Rule(
        "growth-out-of-range",
        "semantic",
        "error",
        "Growth rate outside the hard range",
        "City GDP growth outside -20% to +30% is almost certainly a typo (or a percent typed as a fraction).",
    ),
    Rule(
        "growth-unexpected",
        "semantic",
        "warning",
        "Growth rate outside the expected range",
        "City GDP growth outside 0% to 15% is possible but unusual for the years covered; check the source.",
    ),
    Rule(
        "rank-contradicts-values",
        "semantic",
        "error",
        "Rank claim contradicts the values",
        "A rank claim must be consistent with the ordering of the preferred values it ranks: with G entities "
        "strictly greater, a subject ranks G+1 at best. The other bound is not checked, because the tables "
        "hold only some provinces and cities.",
    ),
    Rule(
        "rank-interval",
        "semantic",
        "error",
        "Rank interval reversed",
        "rank_min must not exceed rank_max.",
    ),
    Rule(
        "date-in-future",
        "semantic",
        "error",
        "Date in the future",
        "Facts are about the past; a future date is a typo. Compared at the value's own precision.",
    ),
    Rule(
        "date-order",
        "semantic",
        "error",
        "Dates out of order",
        "For a zone, approval comes no later than announcement, launch or inauguration (compared at the "
        "coarser precision of the two dates).",
    ),
    Rule(
        "batch-order",
        "semantic",
        "error",
        "Batches out of date order",
        "Within a programme, every zone of a later batch is approved no earlier than the zones of an earlier batch.",
    ),
    Rule(
        "zone-without-city",
        "semantic",
        "error",
        "Zone has no host city",
        "Every zone is hosted by at least one city.",
    ),
    Rule(
        "source-unused",
        "semantic",
        "warning",
        "Source not cited",
        "Every listed source should be cited by some row; an uncited source is dead weight or a missing citation.",
    ),
    Rule(
        "preferred-count",
        "semantic",
        "error",
        "Not exactly one preferred row",
        "Where several sources give the same figure, exactly one row is preferred so that users can pick it.",
    ),
    Rule(
        "source-disagreement",
        "semantic",
        "warning",
        "Sources disagree",
        "Two sources giving the same figure differ by more than the documented tolerance (GDP: 0.5%, "
        "growth: 0.1 percentage points); both are kept, and the warning names them.",
    ),
    Rule(
        "formula-cell",
        "semantic",
        "error",
        "Cell would run as a spreadsheet formula",
        "A text cell starting with =, +, - or @ runs as a formula when the CSV is opened in a spreadsheet "
        "(CSV injection). Following OWASP's guidance, a cell starting with a tab or a carriage return is "
        "refused too, and so is one where other whitespace (spaces, no-break or ideographic spaces) comes "
        "before =, +, - or @.",
    ),
    # Releases: `zonedata verify` (and the release reader of `zonedata diff` and `load`)
    Rule(
        "release-missing",
        "release",
        "error",
        "Release file missing",
        "A file that the release descriptor or SHA256SUMS lists is not in the release.",
    ),
    Rule(
        "release-truncated",
        "release",
        "error",
        "Release file truncated",
        "The file is shorter than the size the release descriptor records: an interrupted copy "
        "or download.",
    ),
    Rule(
        "release-size",
        "release",
        "error",
        "Release file has the wrong size",
        "The file is longer than the size the release descriptor records (or than the reader's "
        "cap); it is not read past that size.",
    ),
    Rule(
        "release-altered",
        "release",
        "error",
        "Release file altered",
        "The file's SHA-256 differs from the one the release descriptor or SHA256SUMS records, "
        "or its bytes in the zip fail their CRC: it was changed after the release was built.",
    ),
    Rule(
        "release-extra",
        "release",
        "error",
        "File not part of the release",
        "Every file of a release is listed in its descriptor or SHA256SUMS; anything else was "
        "added later.",
    ),
    Rule(
        "release-unreadable",
        "release",
        "error",
        "Release file cannot be read",
        "The file exists but cannot be opened, or is not a readable Parquet file.",
    ),
    Rule(
        "release-unsafe",
        "release",
        "error",
        "Release file refused",
        "Only regular files inside the release are read: a FIFO, a device, a folder or a "
        "symlink whose target leaves the release folder is refused unread, so that verifying "
        "or loading a hostile release can neither hang nor read files it does not own.",
    ),
    Rule(
        "release-checksums",
        "release",
        "error",
        "SHA256SUMS is malformed or incomplete",
        "SHA256SUMS lets anyone check a release with sha256sum --check: each line must be "
        "'<sha256>  <file>', once per file of the release.",
    ),
    Rule(
        "release-descriptor",
        "release",
        "error",
        "Release descriptor problem",
        "The release descriptor must describe every table with safe names (plain identifiers) "
        "and safe paths (plain relative names inside the release), a Parquet and a JSON file.",
    ),
    Rule(
        "release-schema",
        "release",
        "error",
        "Parquet file does not match its schema",
        "Each Parquet file has exactly the Arrow types, nullability and column metadata its "
        "table schema gives, so that every reader gets the same types.",
    ),
    Rule(
        "release-json",
        "release",
        "error",
        "JSON file does not match",
        "Each JSON file holds the same rows as its Parquet twin, with JSON types that fit the "
        "table schema.",
    ),
    Rule(
        "release-csv",
        "release",
        "error",
        "CSV file does not match",
        "Each CSV file (the canonical bytes) has the schema's header and holds the same rows "
        "as its Parquet twin, with cells that fit the table schema.",
    ),
    Rule(
        "release-sqlite",
        "release",
        "error",
        "SQLite database does not match",
        "The release's database opens read-only, passes integrity_check and "
        "foreign_key_check, and holds exactly the release's tables, with their declared "
        "types, keys and rows, and _fields rows equal to the descriptor's fields.",
    ),
    Rule(
        "release-derived",
        "release",
        "error",
        "Derived table is not what its SQL gives",
        "A derived table's resource carries the SQL it was derived by; run again on the "
        "release's other tables, read-only and bounded as the database is read, it gives "
        "exactly the table's cells.",
    ),
    # Meta
    Rule(
        "frictionless-error",
        "file",
        "error",
        "Other frictionless error",
        "An error frictionless reports that no zonedata rule corresponds to (its own type is "
        "named in the message); frictionless' default checks do not raise it.",
    ),
    Rule(
        "rule-declaration",
        "descriptor",
        "error",
        "Rule declaration is wrong",
        "A declaration in the descriptor's zonedata:rules names an unknown rule kind or property, lacks a "
        "parameter, gives one of the wrong type, or names a table or field that does not exist (or a field "
        "of the wrong type), or reports a code that another declaration uses for another rule (one code "
        "is one rule: the same kind, parameter and severity) or that is zonedata's own outside the "
        "semantic layer. The declaration is skipped; the others run. zonedata:rules itself must be an "
        "array: null declares nothing silently, so it is reported too.",
    ),
    Rule(
        "internal-error",
        "descriptor",
        "error",
        "Internal error",
        "A check failed unexpectedly; the message says which. Please report it.",
    ),
)


#: Each frictionless error type and the zonedata rule code it is reported as, for the
#: resources frictionless reads (see :mod:`zonedata.validate.foreign`). A
#: ``constraint-error`` is reported by its constraint (``required``: required-missing,
#: ``minimum``/``maximum``, ``enum``, ``pattern``, ``minLength``/``maxLength``: the
#: matching constraint-* code, ``unique``: constraint-unique).
FRICTIONLESS_CODES: dict[str, str] = {
    # the descriptor
    "package-error": "descriptor-profile",
    "resource-error": "descriptor-profile",
    "schema-error": "descriptor-profile",
    "field-error": "descriptor-profile",
    "dialect-error": "descriptor-profile",
    "control-error": "descriptor-profile",
    "checklist-error": "descriptor-profile",
    "check-error": "descriptor-profile",
    "detector-error": "descriptor-profile",
    "metadata-error": "descriptor-profile",
    # frictionless' own machinery (catalogs, inquiries, pipelines, reports): not raised
    # by validating a data package, listed so that every type has a code
    "catalog-error": "frictionless-error",
    "dataset-error": "frictionless-error",
    "inquiry-error": "frictionless-error",
    "inquiry-task-error": "frictionless-error",
    "pipeline-error": "frictionless-error",
    "report-error": "frictionless-error",
    "report-task-error": "frictionless-error",
    "stats-error": "frictionless-error",
    "step-error": "frictionless-error",
    # the file
    "byte-count": "byte-count",
    "hash-count": "hash-count",
    "encoding-error": "encoding-error",
    "format-error": "unsupported-format",
    "compression-error": "unsupported-format",
    "scheme-error": "file-unreadable",
    "source-error": "file-unreadable",
    "file-error": "file-unreadable",
    # the header
    "blank-header": "file-empty",
    "header-error": "header-mismatch",
    "label-error": "header-mismatch",
    "blank-label": "header-mismatch",
    "duplicate-label": "header-mismatch",
    "incorrect-label": "header-mismatch",
    "unmatched-header": "header-mismatch",
    "extra-label": "extra-column",
    "missing-label": "missing-column",
    # rows and cells
    "blank-row": "blank-row",
    "extra-cell": "row-length",
    "missing-cell": "row-length",
    "type-error": "type-error",
    "constraint-error": "type-error",
    "unique-error": "constraint-unique",
    "primary-key": "primary-key-duplicate",
    "foreign-key": "foreign-key-dangling",
    # raised only by checks frictionless does not run by default
    "row-constraint": "frictionless-error",
    "ascii-value": "frictionless-error",
    "deviated-cell": "frictionless-error",
    "deviated-value": "frictionless-error",
    "duplicate-row": "frictionless-error",
    "field-count": "frictionless-error",
    "forbidden-value": "frictionless-error",
    "required-value": "frictionless-error",
    "row-count": "frictionless-error",
    "sequential-value": "frictionless-error",
    "table-dimensions": "frictionless-error",
    "truncated-value": "frictionless-error",
    "cell-error": "frictionless-error",
    "row-error": "frictionless-error",
    "table-error": "frictionless-error",
    "data-error": "frictionless-error",
    "error": "frictionless-error",
}


def make(code: str, message: str, **kw: Any) -> Problem:
    """Create a problem with the rule's default severity."""
    rule = RULES[code]
    return Problem(code=code, severity=kw.pop("severity", rule.severity), message=message, **kw)
