"""Every bound zonedata puts on what it reads: one default and one variable each.

``validate``, ``release``, the release reader (``verify``, ``load``, ``diff``) and
``site`` all ask :func:`current_limits` (or take a :class:`Limits` built by
:meth:`Limits.from_env`), so a file that one command reads is never refused by another
for its size. Each bound is a field of :class:`Limits` with its default, the environment
variable that changes it and what it bounds; ``docs/security.md`` prints the table
(:func:`limits_table`), generated from the same fields.

Only the standard library is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from zonedata.errors import ZonedataError

_MiB = 1 << 20


class LimitError(ZonedataError, ValueError):
    """A limit is set (by its environment variable or an argument) to an unusable value."""


def _bound(default: Any, env: str, doc: str) -> Any:
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True)
class Limits:
    """The bounds on hostile input; build with :meth:`from_env`, never by hand in code."""

    max_file_bytes: int = _bound(
        2 << 30,
        "ZONEDATA_MAX_FILE_BYTES",
        "bytes of one data or release file (a zip member, a download, a decompressed CSV)",
    )
    max_descriptor_bytes: int = _bound(
        16 * _MiB,
        "ZONEDATA_MAX_DESCRIPTOR_BYTES",
        "bytes of a datapackage.json, SHA256SUMS or derived table's SQL file",
    )
    max_json_depth: int = _bound(
        64, "ZONEDATA_MAX_JSON_DEPTH", "nesting of objects and arrays in a descriptor"
    )
    max_expansion_ratio: int = _bound(
        100,
        "ZONEDATA_MAX_EXPANSION_RATIO",
        "inflated / compressed size of a gzip or zip member (beyond its first MiB)",
    )
    max_rows: int = _bound(20_000_000, "ZONEDATA_MAX_ROWS", "rows of one Parquet file")
    max_parquet_footer_bytes: int = _bound(
        16 * _MiB, "ZONEDATA_MAX_PARQUET_FOOTER_BYTES", "bytes of a Parquet file's metadata"
    )
    max_zip_entries: int = _bound(10_000, "ZONEDATA_MAX_ZIP_ENTRIES", "entries of a release zip")
    download_deadline: float = _bound(
        300.0, "ZONEDATA_DOWNLOAD_DEADLINE", "seconds one download may take, in all"
    )
    max_redirects: int = _bound(5, "ZONEDATA_MAX_REDIRECTS", "redirects followed per download")
    allow_redirect_hosts: frozenset[str] = _bound(
        frozenset(),
        "ZONEDATA_ALLOW_REDIRECT_HOSTS",
        "hosts (comma-separated) a download may be redirected to, besides its own",
    )
    max_sql_steps: int = _bound(
        1_000_000_000,
        "ZONEDATA_MAX_SQL_STEPS",
        "SQLite virtual-machine steps of one query on a release database",
    )
    max_sql_seconds: float = _bound(
        60.0, "ZONEDATA_MAX_SQL_SECONDS", "seconds of one query on a release database"
    )
    max_value_bytes: int = _bound(
        64 * _MiB, "ZONEDATA_MAX_VALUE_BYTES", "bytes of one value read from a release database"
    )
    max_sql_memory_bytes: int = _bound(
        512 * _MiB,
        "ZONEDATA_MAX_SQL_MEMORY_BYTES",
        "bytes of memory SQLite may take for one query a package declares, besides its database",
    )
    max_rule_declarations: int = _bound(
        1000,
        "ZONEDATA_MAX_RULE_DECLARATIONS",
        "semantic rule declarations in a descriptor's zonedata:rules",
    )
    max_derived_rows: int = _bound(
        1_000_000, "ZONEDATA_MAX_DERIVED_ROWS", "rows of one table a release derives by SQL"
    )
    max_derived_bytes: int = _bound(
        256 * _MiB,
        "ZONEDATA_MAX_DERIVED_BYTES",
        "bytes of the cells of one table a release derives by SQL",
    )
    max_render_seconds: float = _bound(
        60.0,
        "ZONEDATA_MAX_RENDER_SECONDS",
        "seconds a template may take to render one site page or declared document",
    )
    max_render_chars: int = _bound(
        50_000_000,
        "ZONEDATA_MAX_RENDER_CHARS",
        "characters of one site page or declared document, and of any text its template makes",
    )
    max_template_items: int = _bound(
        1_000_000,
        "ZONEDATA_MAX_TEMPLATE_ITEMS",
        "a width, count or repeat a template asks for (`*`, `center`, a `format` field), "
        "and items of a list it makes (`*`, `+`, `append`, `extend`)",
    )
    child_seconds: float = _bound(
        300.0,
        "ZONEDATA_CHILD_SECONDS",
        "seconds the Data Package profile check may take in its child process",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Limits:
        """Keyword arguments first (None means unset), then the variables, then defaults.

        Raises :class:`LimitError` for a value that is not a positive number (or, for
        the hosts, not a list of host names).
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            given = overrides.pop(f.name, None)
            raw = given if given is not None else env.get(f.metadata["env"], "")
            if given is None and not str(raw).strip():
                continue
            values[f.name] = _parse(f.name, f.metadata["env"], f.default, raw, given is None)
        if overrides:
            raise TypeError(f"unknown limit(s): {', '.join(sorted(overrides))}")
        return cls(**values)

    def but(self, **changes: Any) -> Limits:
        """A copy with some bounds changed (checked like :meth:`from_env`'s)."""
        checked = {
            name: _parse(name, env_of(name), getattr(self, name), value, False)
            for name, value in changes.items()
        }
        return replace(self, **checked)


def _parse(name: str, env: str, default: Any, raw: Any, from_env: bool) -> Any:
    where = f"{env}={raw!r}" if from_env else f"{name}={raw!r}"
    if isinstance(default, frozenset):
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        return frozenset(str(h).strip().lower() for h in items if str(h).strip())
    kind = float if isinstance(default, float) else int
    try:
        value = kind(str(raw).strip().replace("_", "")) if isinstance(raw, str) else kind(raw)
    except (TypeError, ValueError):
        raise LimitError(
            f"{where} is not a {'number' if kind is float else 'whole number'}"
        ) from None
    if not value > 0 or value != value or value == float("inf"):
        raise LimitError(f"{where} must be a positive, finite number")
    return value


def env_of(name: str) -> str:
    """The environment variable of the bound ``name``."""
    for f in fields(Limits):
        if f.name == name:
            return str(f.metadata["env"])
    raise KeyError(name)


def current_limits() -> Limits:
    """The limits in force: the defaults, changed by the environment variables."""
    return Limits.from_env()


def limits_table(rows: Iterable[str] | None = None) -> str:
    """The Markdown table of every bound (docs/security.md), from :class:`Limits` itself."""
    wanted = set(rows) if rows is not None else None
    out = ["| bound | default | variable |", "|---|---|---|"]
    for f in fields(Limits):
        if wanted is None or f.name in wanted:
            out.append(f"| {f.metadata['doc']} | {_shown(f.default)} | `{f.metadata['env']}` |")
    return "\n".join(out) + "\n"


def _shown(value: Any) -> str:
    if isinstance(value, frozenset):
        return "none"
    if isinstance(value, int) and value >= _MiB and value % _MiB == 0:
        mib = value // _MiB
        return f"{mib // 1024} GiB" if mib % 1024 == 0 else f"{mib} MiB"
    if isinstance(value, float):
        return f"{value:g} s"
    return f"{value:,}"
