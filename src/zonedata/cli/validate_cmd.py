"""``zonedata validate``."""

from __future__ import annotations

import sys

import click


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="Report format: text for people, json for tools "
    "(schema: zonedata/validate/report.schema.json), github for workflow annotations.",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Show at most N problems (errors first). The exit code still counts all.",
)
@click.option("--strict", is_flag=True, help="Treat warnings as failures (exit 1).")
@click.option(
    "--allow-remote", is_flag=True, help="Allow resources with http(s) URLs to be downloaded."
)
@click.option("--no-semantic", is_flag=True, help="Skip the semantic rules (layers 1-3 only).")
def validate(
    path: str | None,
    fmt: str,
    max_errors: int | None,
    strict: bool,
    allow_remote: bool,
    no_semantic: bool,
) -> None:
    """Validate a data package: descriptor, files, schema and semantic rules.

    PATH is a datapackage.json or the folder that holds it (default: the zonedata
    package itself). Problems are reported with their rule code, file, line and column.

    \b
    Exit codes:
      0  valid (warnings allowed unless --strict)
      1  invalid data
      2  usage error or unreadable input (no descriptor, malformed JSON)

    \b
    Examples:
      zonedata validate
      zonedata validate path/to/datapackage.json --format json
      zonedata validate --format github --max-errors 50
    """
    from zonedata.validate.engine import validate_package
    from zonedata.validate.render import render

    if path is not None and not path.strip():
        raise click.BadParameter("an empty path names no package", param_hint="PATH")
    report = validate_package(path, allow_remote=allow_remote, semantic=not no_semantic)
    click.echo(render(report, fmt, max_problems=max_errors))
    sys.exit(report.exit_code(strict=strict))
