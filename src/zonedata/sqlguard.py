"""SQL on a database that is not ours, or from a package: read-only, bounded, compiled first.

:func:`guard` makes a connection read-only and bounded: no function with side effects in
a view, trigger or generated column, only reads and a few pragmas (an authorizer: no
write, ``ATTACH``, recursive query, nor a function whose result is not a function of the
data), no extension, no value longer than ``max_value_bytes``, and a query stopped after
``max_sql_steps`` steps or ``max_sql_seconds`` (:class:`zonedata.limits.Limits`).
``verify`` reads a release's database through it, ``release`` runs a package's derived
tables' SQL through it, and ``validate`` compiles that SQL through it
(:func:`compile_problem`, :func:`query_columns`) on the release's tables created empty
(:mod:`zonedata.descriptor.sqlite_schema`): SQL that does not compile is reported where it is
declared instead of stopping the release.

Only the standard library and the limits are used.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from zonedata.limits import Limits, current_limits

#: Verify: SQLite virtual-machine steps between two checks of the work and time a query
#: on a stranger's database has taken (its bounds are :class:`zonedata.limits.Limits`'
#: ``max_sql_steps`` and ``max_sql_seconds``; ``max_value_bytes`` bounds a value).
PROGRESS_STEPS = 10_000
#: The default bounds, as progress checks and bytes (for messages; the bounds in force are
#: :func:`zonedata.limits.current_limits`').
MAX_PROGRESS_CHECKS = Limits().max_sql_steps // PROGRESS_STEPS
MAX_VALUE_BYTES = Limits().max_value_bytes


_ALLOWED = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_PRAGMA}
)
_PRAGMAS = frozenset(
    {"integrity_check", "foreign_key_check", "table_xinfo", "table_info", "foreign_key_list"}
)


#: functions whose result is not a function of the data (chance, the clock, the
#: connection's history): refused, so that the same release gives the same bytes
_UNSTABLE = frozenset(
    {
        "random",
        "randomblob",
        "changes",
        "total_changes",
        "last_insert_rowid",
        "date",
        "time",
        "datetime",
        "julianday",
        "strftime",
        "unixepoch",
        "timediff",
        "current_date",
        "current_time",
        "current_timestamp",
    }
)


def _authorize(
    action: int, arg1: str | None, arg2: str | None, db: str | None, _: str | None
) -> int:
    """Only reads and the few pragmas verify runs; nothing that writes or attaches, and
    no function whose result is not a function of the data (random, the clock)."""
    if action not in _ALLOWED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _UNSTABLE:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() not in _PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


class BoundedConnection(sqlite3.Connection):
    """A connection whose every ``execute`` gets a fresh budget of steps and seconds.

    The progress handler counts the virtual machine's steps of the query last started
    and the time since; past either bound it stops the query
    (``sqlite3.OperationalError: interrupted``).
    """

    max_steps: int = 0
    max_seconds: float = 0.0
    _steps: int = 0
    _deadline: float = 0.0

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self._steps, self._deadline = 0, time.monotonic() + self.max_seconds
        return super().execute(sql, parameters)

    def progress(self) -> int:
        self._steps += PROGRESS_STEPS
        return int(self._steps > self.max_steps or time.monotonic() > self._deadline)


def guard(con: sqlite3.Connection, limits: Limits | None = None) -> None:
    """Make ``con`` read-only and bounded, for queries on a database that is not ours.

    No function with side effects in a view, trigger or generated column
    (``trusted_schema = OFF``), only reads and a few pragmas (an authorizer: no write,
    ``ATTACH`` or recursive query), no extension, no value longer than
    ``max_value_bytes``, and a query stopped after ``max_sql_steps`` steps or
    ``max_sql_seconds`` (:class:`zonedata.limits.Limits`): each query afresh on a
    :class:`BoundedConnection`, all of a plain connection's queries together (from this
    call) otherwise. ``verify`` reads a release's database so, ``release`` runs a
    package's derived-table SQL so (:mod:`zonedata.release.derived`), and ``validate``
    compiles that SQL so (:func:`compile_problem`).
    """
    bounds = limits or current_limits()
    con.execute("PRAGMA trusted_schema = OFF")
    con.execute("PRAGMA query_only = ON")
    con.execute("PRAGMA cell_size_check = ON")
    con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, min(bounds.max_value_bytes, 1 << 30))
    con.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    bound_work(con, bounds)
    con.set_authorizer(_authorize)


def bound_work(con: sqlite3.Connection, bounds: Limits) -> None:
    """Stop ``con``'s queries after ``max_sql_steps`` steps or ``max_sql_seconds``: each
    query afresh on a :class:`BoundedConnection`, all of a plain connection's queries
    together (from this call) otherwise."""
    if isinstance(con, BoundedConnection):
        con.max_steps, con.max_seconds = bounds.max_sql_steps, bounds.max_sql_seconds
        con.set_progress_handler(con.progress, PROGRESS_STEPS)
    else:
        con.set_progress_handler(_budget(bounds), PROGRESS_STEPS)


def _budget(bounds: Limits) -> Callable[[], int]:
    """A progress handler: stop once ``max_sql_steps`` steps or ``max_sql_seconds`` have
    gone by, counted from now."""
    steps, deadline = [0], time.monotonic() + bounds.max_sql_seconds

    def progress() -> int:
        steps[0] += PROGRESS_STEPS
        return int(steps[0] > bounds.max_sql_steps or time.monotonic() > deadline)

    return progress


# --- compiling a query without running it ----------------------------------------------------


def _stop() -> int:
    return 1


def compile_problem(con: sqlite3.Connection, sql: str) -> str | None:
    """Why ``sql`` does not compile on the guarded ``con`` as one statement, or ``None``.

    The statement is prepared (its syntax, its tables and columns, and the authorizer's
    verdict on every action and function it uses) and stopped at its first step: none of
    it runs. The bounds on work are put back afterwards (:func:`bound_work`).
    """
    con.set_progress_handler(_stop, 1)
    try:
        con.execute(sql).close()
    except sqlite3.OperationalError as e:
        if str(e) != "interrupted":  # (interrupted at its first step: it compiled)
            return sql_error(e)
    except (sqlite3.Error, ValueError) as e:  # two statements, a NUL, not authorized...
        return sql_error(e)
    finally:
        bound_work(con, current_limits())
    return None


def query_columns(con: sqlite3.Connection, sql: str) -> list[str] | None:
    """The names of the columns ``sql`` returns on ``con`` (whose tables are empty, say),
    or ``None`` if it fails when run (on other rows, it may not)."""
    try:
        cursor = con.execute(sql)
    except (sqlite3.Error, ValueError):
        return None
    try:
        return [str(c[0]) for c in cursor.description or ()]
    finally:
        cursor.close()


def sql_error(e: Exception) -> str:
    """What a refused or failing query did wrong, in a message's words."""
    text = str(e)
    if "not authorized" in text:
        return (
            "the query is not authorized: only one SELECT that reads is allowed (no write, "
            "ATTACH, PRAGMA or recursive query, nor a function whose result is not a function "
            "of the data: random, the clock)"
        )
    if "interrupted" in text:
        steps = MAX_PROGRESS_CHECKS * PROGRESS_STEPS
        return f"the query was stopped after {steps:,} steps of work"
    return f"the query fails: {text[:300]}"
