"""The ``zonedata`` command line.

Subcommands live in their own modules and are imported only when they run, so that
``zonedata --help`` stays fast: heavy libraries are imported inside command functions.
Exit codes: 0 success, 1 invalid data (or differences, for ``diff``), 2 usage or input error.
"""

from __future__ import annotations

import importlib
import sys

import click

from zonedata import __version__
from zonedata.limits import LimitError

#: name -> (module, attribute, one-line help shown by ``zonedata --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": (
        "zonedata.cli.validate_cmd",
        "validate",
        "Validate a data package: descriptor, files, schema, semantic rules.",
    ),
    "release": (
        "zonedata.cli.release_cmd",
        "release",
        "Build a typed, checksummed, reproducible release.",
    ),
    "verify": (
        "zonedata.cli.release_cmd",
        "verify",
        "Check a release folder or zip against its checksums and schemas.",
    ),
    "diff": ("zonedata.cli.release_cmd", "diff", "Compare two releases table by table."),
    "docs": (
        "zonedata.cli.docs_cmd",
        "docs",
        "Generate the documentation files (the toolkit's and the ones a package declares).",
    ),
    "site": (
        "zonedata.cli.site_cmd",
        "site",
        "Build the static data site (HTML, works from file://).",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n, (mod, _, _) in COMMANDS.items() if _module_exists(mod))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        if not _module_exists(module):
            return None
        cmd = getattr(importlib.import_module(module), attr)
        assert isinstance(cmd, click.Command)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table above, so that --help imports no subcommand module.
        rows = [(n, COMMANDS[n][2]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zonedata")
def cli() -> None:
    """Validate, release and inspect the zonedata open data package.

    zonedata holds sourced data on China's national AI pilot zones, the cities that
    host them and the industries they target. Run a command with --help for details.
    """


def main(argv: list[str] | None = None) -> None:
    """Console entry point: never lets a Python traceback reach the user."""
    try:
        cli.main(args=argv, prog_name="zonedata", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except LimitError as e:  # a limit's environment variable is set to something unusable
        click.echo(f"Error: {e}.", err=True)
        sys.exit(2)
    except Exception as e:  # a bug: report it in one line, not as a traceback
        click.echo(f"zonedata: internal error: {type(e).__name__}: {e}", err=True)
        click.echo("Please report this at the project's issue tracker.", err=True)
        sys.exit(2)
