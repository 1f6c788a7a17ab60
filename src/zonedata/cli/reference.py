"""``docs/cli.md``: the ``--help`` of the ``zonedata`` group and of every subcommand.

Help is rendered through Click itself (``Command.get_help``) at a fixed terminal width, so
the file is the same on every machine and says exactly what ``--help`` says. The group
lists only the subcommands whose modules are installed, and so does this file.
"""

from __future__ import annotations

import click

from zonedata.cli import cli
from zonedata.docs import GENERATED_NOTE, Target

#: the terminal width the help is rendered at (stable across machines)
WIDTH = 88
PROG = "zonedata"


#: ``docs/cli.md``, one of the files ``zonedata docs`` writes (the others are the docs
#: layer's :data:`zonedata.docs.TARGETS`; this one documents the CLI, the top layer)
TARGET = Target("cli", "cli.md", "the --help of every command", "zonedata.cli.reference:render")


def render(package: object = None) -> bytes:
    """The CLI reference as UTF-8 Markdown (``package`` is unused: the CLI documents itself)."""

    return render_text(cli).encode("utf-8")


def render_text(root: click.Command, prog: str = PROG) -> str:
    sections = list(_walk(root, prog, None))
    out = ["# Command-line reference", ""]
    out += [GENERATED_NOTE.format(inputs="the commands' own --help"), ""]
    out += [
        f"Every command of `{prog}` with its `--help`, as printed at a terminal "
        f"{WIDTH} columns wide. Exit codes are the same for every command: 0 success; "
        "1 a check failed (invalid data, releases that differ, stale documentation); "
        "2 usage or input error.",
        "",
    ]
    for path, _, cmd in sections:
        out.append(f"- [`{path}`](#{_anchor(path)}): {cmd.get_short_help_str(limit=200)}")
    out.append("")
    for path, help_text, _ in sections:
        out += [f"## `{path}`", "", "```text", help_text.rstrip(), "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _walk(
    cmd: click.Command, name: str, parent: click.Context | None
) -> list[tuple[str, str, click.Command]]:
    # as Command.make_context does, but without parsing arguments
    settings = {**cmd.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(cmd, info_name=name, parent=parent, **settings)
    path = ctx.command_path
    found = [(path, cmd.get_help(ctx), cmd)]
    if isinstance(cmd, click.Group):
        for sub_name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                found += _walk(sub, sub_name, ctx)
    return found


def _anchor(path: str) -> str:
    """GitHub's anchor for the heading ``## `path` ``: lower case, spaces to hyphens."""
    return "".join(ch for ch in path.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")
