"""Render a validation report as text, JSON or GitHub workflow commands."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING

from zonedata.problems import Problem

if TYPE_CHECKING:
    from zonedata.validate.engine import Report

FORMATS = ("text", "json", "github")
#: version of the JSON report format, described by report.schema.json
JSON_FORMAT_VERSION = 1


def counted(n: int, noun: str, *, grouped: bool = False) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: ``1 table``, ``0 rows``; ``grouped``
    writes thousands with commas (``1,024 rows``)."""
    return (f"{n:,}" if grouped else str(n)) + f" {noun}{'s' * (n != 1)}"


def _summary(report: Report, shown: int) -> str:
    e, w = len(report.errors), len(report.warnings)
    files = len({p.path for p in report.problems if p.path})
    s = (
        f"{counted(e, 'error')}, {counted(w, 'warning')} in {counted(files, 'file')}"
        f" ({counted(report.tables, 'table')}, {counted(report.rows, 'row')} checked)"
    )
    if shown < len(report.problems):
        s += f"; {len(report.problems) - shown} more not shown (--max-errors)"
    return s


def _where(p: Problem) -> str:
    if p.line is None:
        return "-"
    return f"{p.line}:{p.column}" if p.column else f"{p.line}"


def render_text(report: Report, problems: list[Problem]) -> str:
    groups: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        groups[p.path or report.package].append(p)
    out: list[str] = []
    for path, items in groups.items():
        out.append(path)
        for p in items:
            field = f" [{p.field}]" if p.field else ""
            out.append(f"  {_where(p):>8}  {p.severity:<7}  {p.code}{field}: {p.message}")
        out.append("")
    verdict = "valid" if report.valid() else "invalid"
    out.append(f"{report.package}: {verdict}: {_summary(report, len(problems))}")
    return "\n".join(out)


def render_json(report: Report, problems: list[Problem]) -> str:
    doc = {
        "version": JSON_FORMAT_VERSION,
        "package": report.package,
        "valid": report.valid(),
        "summary": {
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            "tables": report.tables,
            "rows": report.rows,
            "shown": len(problems),
        },
        "problems": [p.to_dict() for p in problems],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def escape_data(s: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped, so it stays one command."""
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    """A workflow command's property value: as :func:`escape_data`, and ``:`` and ``,``."""
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def plain_line(s: str) -> str:
    """A line printed among workflow commands that is not one: escaped as a message, and
    never starting with ``::`` (which the runner would read as a command)."""
    line = escape_data(s)
    return " " + line if line.lstrip().startswith("::") else line


def render_github(report: Report, problems: list[Problem]) -> str:
    out = []
    for p in problems:
        props = []
        path = p.path or report.package
        props.append(f"file={escape_property(path)}")
        if p.line:
            props.append(f"line={p.line}")
        if p.column:
            props.append(f"col={p.column}")
        props.append(f"title={escape_property(p.code)}")
        severity = p.severity if p.severity in ("error", "warning", "notice") else "warning"
        out.append(f"::{severity} {','.join(props)}::{escape_data(p.message)}")
    out.append(
        plain_line(
            f"{report.package}: {'valid' if report.valid() else 'invalid'}: "
            f"{_summary(report, len(problems))}"
        )
    )
    return "\n".join(out)


def render(report: Report, fmt: str = "text", *, max_problems: int | None = None) -> str:
    """Render ``report``; ``max_problems`` caps the problems shown (errors first)."""
    problems = (
        sorted(report.problems, key=lambda p: p.severity != "error")
        if max_problems is not None
        else report.problems
    )
    if max_problems is not None:
        problems = problems[:max_problems]
    if fmt == "json":
        return render_json(report, problems)
    if fmt == "github":
        return render_github(report, problems)
    return render_text(report, problems)
