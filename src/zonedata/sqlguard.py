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

SQL a package declares runs with more bounds (``guard(..., declared=True)``): no pragma,
its memory bounded (:func:`bounded_memory`), and the functions one call of which can take
long bounded (:func:`bound_costly`); a watchdog interrupts a query at its deadline
(:class:`BoundedConnection`) even when its steps are few and slow.

Only the standard library (``ctypes`` to ask SQLite how much memory it holds) and the
limits are used.
"""

from __future__ import annotations

import contextlib
import ctypes
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from zonedata.limits import Limits, current_limits, env_of

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


#: functions whose result depends on the machine (the SQLite library's version and build,
#: the database file's layout) or is a pointer: refused too, so that a release verifies
#: on any machine and no address leaks
_MACHINE = frozenset(
    {
        "sqlite_version",
        "sqlite_source_id",
        "sqlite_compileoption_used",
        "sqlite_compileoption_get",
        "sqlite_offset",
        "fts3_tokenizer",
        "load_extension",
    }
)


def _authorize(
    action: int, arg1: str | None, arg2: str | None, db: str | None, _: str | None
) -> int:
    """Only reads and the few pragmas verify runs; nothing that writes or attaches, and
    no function whose result is not a function of the data (random, the clock, the
    machine)."""
    if action not in _ALLOWED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _UNSTABLE | _MACHINE:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() not in _PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _authorize_declared(
    action: int, arg1: str | None, arg2: str | None, db: str | None, name: str | None
) -> int:
    """:func:`_authorize`, and no pragma at all (nor a pragma's table-valued function):
    for SQL a package declares."""
    if action == sqlite3.SQLITE_PRAGMA:
        return sqlite3.SQLITE_DENY
    return _authorize(action, arg1, arg2, db, name)


class BoundedConnection(sqlite3.Connection):
    """A connection whose every ``execute`` gets a fresh budget of steps and seconds.

    The progress handler counts the virtual machine's steps of the query last started
    and the time since; past either bound it stops the query
    (``sqlite3.OperationalError: interrupted``). The progress handler runs only every
    :data:`PROGRESS_STEPS` steps, and never inside one step (one call of a function):
    a watchdog thread also interrupts the query at its deadline (``interrupt``, which
    SQLite checks at every loop), so thousands of slow calls between two checks do not
    outlast it either.
    """

    max_steps: int = 0
    max_seconds: float = 0.0
    _steps: int = 0
    _deadline: float = 0.0
    _watchdog: threading.Timer | None = None

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self._steps, self._deadline = 0, time.monotonic() + self.max_seconds
        self._watch()
        return super().execute(sql, parameters)

    def progress(self) -> int:
        self._steps += PROGRESS_STEPS
        return int(self._steps > self.max_steps or time.monotonic() > self._deadline)

    def close(self) -> None:
        self._stop_watching()
        super().close()

    def _watch(self) -> None:
        """A watchdog for the query now started (none before the bounds are set)."""
        self._stop_watching()
        if self.max_seconds > 0:
            deadline = self._deadline
            timer = threading.Timer(self.max_seconds, self._alarm, (deadline,))
            timer.daemon = True
            self._watchdog = timer
            timer.start()

    def _stop_watching(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _alarm(self, deadline: float) -> None:
        if deadline == self._deadline:  # (still the query it watches)
            with contextlib.suppress(sqlite3.Error):
                self.interrupt()


def guard(con: sqlite3.Connection, limits: Limits | None = None, *, declared: bool = False) -> None:
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

    ``declared``: ``con`` runs SQL a package declares (derived tables, documents' queries):
    no pragma at all, temporary tables and sorts in memory (where
    :func:`bounded_memory` bounds them, not on disk), and the functions whose cost grows
    with the product of their arguments' lengths bounded (:func:`bound_costly`).
    """
    bounds = limits or current_limits()
    con.execute("PRAGMA trusted_schema = OFF")
    con.execute("PRAGMA query_only = ON")
    con.execute("PRAGMA cell_size_check = ON")
    value_bytes = min(bounds.max_value_bytes, 1 << 30)
    con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, value_bytes)
    con.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    if declared:
        con.execute("PRAGMA temp_store = MEMORY")
        bound_costly(con, value_bytes)
    bound_work(con, bounds)
    con.set_authorizer(_authorize_declared if declared else _authorize)


# --- functions whose one call can take long ---------------------------------------------------

#: The most work one call of a function may do, as the product of its text's and its
#: pattern's lengths: SQLite's ``instr`` and ``replace`` compare the pattern at every
#: place of the text (``memcmp``, about 3 * 10^10 bytes a second: 2^34 is about 0.6 s);
#: ``LIKE``, ``GLOB`` and ``trim(X, Y)`` test it character by character (about 2 * 10^8
#: a second: 2^28 is about 1.3 s). One call is one step of the virtual machine, which
#: neither the progress handler nor an interrupt can stop, so past this it is refused
#: before it runs.
COSTLY: dict[str, tuple[int, int]] = {
    "instr": (2, 1 << 34),
    "replace": (3, 1 << 34),
    "like": (2, 1 << 28),
    "glob": (2, 1 << 28),
    "trim": (2, 1 << 28),
    "ltrim": (2, 1 << 28),
    "rtrim": (2, 1 << 28),
}
COSTLY_REFUSED = "too costly a call"


_Value = str | bytes | int | float | None


class CostlyCall(Exception):
    """A call of a :data:`COSTLY` function on arguments too long for it."""


def _length(value: object) -> int:
    if isinstance(value, str | bytes):
        return len(value)
    return 0 if value is None else len(str(value))


def bound_costly(con: sqlite3.Connection, value_bytes: int) -> None:
    """Replace ``con``'s :data:`COSTLY` functions with bounded ones: a call whose text's
    and pattern's lengths multiply past the function's bound raises :class:`CostlyCall`
    (the query fails, :func:`sql_error`); any other call gives what SQLite's own function
    gives, computed by it on a side connection (``like(Y, X[, E])`` with its escape too),
    or for text by Python's search, whose time grows with the text's length only."""
    side = sqlite3.connect(":memory:", isolation_level=None)
    side.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, value_bytes)

    def bounded(name: str, arity: int, budget: int) -> Callable[..., _Value]:
        sql = f"SELECT {name}({', '.join('?' * arity)})"
        # like(pattern, text), glob(pattern, text); instr, replace and trim take the text first
        first, second = (1, 0) if name in ("like", "glob") else (0, 1)

        def call(*args: _Value) -> _Value:
            fast = _fast(name, args, value_bytes)
            if fast is not _SLOW:
                return fast
            if _length(args[first]) * _length(args[second]) > budget:
                raise CostlyCall(name)
            value: _Value = side.execute(sql, args).fetchone()[0]
            return value

        return call

    for name, (arity, budget) in COSTLY.items():
        con.create_function(name, arity, bounded(name, arity, budget), deterministic=True)
    con.create_function("like", 3, bounded("like", 3, COSTLY["like"][1]), deterministic=True)


_SLOW: Any = object()


def _fast(name: str, args: tuple[_Value, ...], value_bytes: int) -> _Value:
    """``instr`` and ``replace`` of text by Python's search (linear in the text), as
    SQLite's give them; :data:`_SLOW` for the other calls."""
    if name == "instr" and len(args) == 2:
        text, pattern = args
        if isinstance(text, str) and isinstance(pattern, str):
            return text.find(pattern) + 1
        if isinstance(text, bytes) and isinstance(pattern, bytes):
            return text.find(pattern) + 1
    if name == "replace" and len(args) == 3:
        text, old, new = args
        if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
            if not old:
                return text
            grown = len(text)
            if len(new) > len(old):
                grown += text.count(old) * (len(new) - len(old))
            if grown <= value_bytes:  # (characters: at most as many as its bytes)
                result = text.replace(old, new)
                # (UTF-8: at most 4 bytes a character)
                if 4 * grown <= value_bytes or len(result.encode()) <= value_bytes:
                    return result
            raise CostlyCall(name)  # (SQLite: "string or blob too big")
    slow: _Value = _SLOW
    return slow


# --- memory -----------------------------------------------------------------------------------


def _memory_used() -> Callable[[], int] | None:
    """SQLite's ``sqlite3_memory_used`` (the bytes its heap holds now, in the whole
    process), if the library that Python's ``sqlite3`` uses exports it."""
    try:
        import _sqlite3

        function = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    except (ImportError, OSError, AttributeError):
        return None
    function.restype, function.argtypes = ctypes.c_int64, []
    return lambda: int(function())


_MEMORY_USED = _memory_used()
#: bytes an in-memory database takes besides each page (about 300): to estimate its size
#: where ``sqlite3_memory_used`` cannot be called
_PAGE_OVERHEAD = 512
#: room for what the process's other connections may allocate meanwhile
_HEAP_SLACK = 16 << 20


def _held(con: sqlite3.Connection) -> int:
    if _MEMORY_USED is not None:
        return _MEMORY_USED()
    held = 0
    con.set_authorizer(None)
    try:
        for _, schema, _ in con.execute("PRAGMA database_list").fetchall():
            q = schema.replace('"', '""')
            pages = con.execute(f'PRAGMA "{q}".page_count').fetchone()[0]
            size = con.execute(f'PRAGMA "{q}".page_size').fetchone()[0]
            held += pages * (size + _PAGE_OVERHEAD)
    finally:
        con.set_authorizer(_authorize_declared)
    return held


_heap_lock = threading.Lock()


@contextlib.contextmanager
def bounded_memory(con: sqlite3.Connection, limits: Limits) -> Iterator[None]:
    """While the block runs, SQLite may take at most ``max_sql_memory_bytes`` more memory
    than it holds now (its database, in memory): past it, its allocations fail and the
    query fails with ``MemoryError`` (or ``sqlite3.Error`` "out of memory"), which
    :func:`sql_error` reports. ``con`` is a connection :func:`guard` guarded for declared
    SQL (its temporary tables and sorts in memory).

    The bound is SQLite's hard heap limit, which holds for the whole process: it is set
    for the block and put back after, one block at a time (a lock).
    """
    with _heap_lock:
        side = sqlite3.connect(":memory:")
        try:
            before = int(side.execute("PRAGMA hard_heap_limit").fetchone()[0])
            cap = _held(con) + _HEAP_SLACK + limits.max_sql_memory_bytes
            side.execute(f"PRAGMA hard_heap_limit = {min(cap, before) if before else cap}")
            try:
                yield
            finally:
                side.execute(f"PRAGMA hard_heap_limit = {before}")
        finally:
            side.close()


def is_memory_error(e: BaseException) -> bool:
    """Whether ``e`` is SQLite (or Python) running out of memory."""
    return isinstance(e, MemoryError) or (
        isinstance(e, sqlite3.Error) and "out of memory" in str(e)
    )


# --- bounding the work -------------------------------------------------------------------------


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
    or ``None`` if it fails when run (on other rows, it may not): its first step runs,
    bounded in memory too (:func:`bounded_memory`)."""
    with bounded_memory(con, current_limits()):
        try:
            cursor = con.execute(sql)
        except (sqlite3.Error, ValueError, MemoryError):
            return None
        try:
            return [str(c[0]) for c in cursor.description or ()]
        finally:
            cursor.close()


def sql_error(e: BaseException) -> str:
    """What a refused or failing query did wrong, in a message's words."""
    text = str(e)
    limits = current_limits()
    if is_memory_error(e):
        return (
            f"the query needs more memory than the {limits.max_sql_memory_bytes:,} bytes "
            f"a query may take ({env_of('max_sql_memory_bytes')})"
        )
    if "not authorized" in text:
        return (
            "the query is not authorized: only one SELECT that reads is allowed (no write, "
            "ATTACH, PRAGMA or recursive query, nor a function whose result is not a function "
            "of the data: random, the clock, the SQLite version)"
        )
    if "interrupted" in text:
        return (
            f"the query was stopped after {limits.max_sql_steps:,} steps or "
            f"{limits.max_sql_seconds:g} s of work ({env_of('max_sql_seconds')})"
        )
    if "user-defined function raised exception" in text:
        return (
            "the query calls instr, replace, trim, ltrim, rtrim, LIKE or GLOB on a text and "
            "a pattern too long together: one call may not take seconds (the product of "
            "their lengths is bounded), nor give a value longer than "
            f"{limits.max_value_bytes:,} bytes"
        )
    return f"the query fails: {text[:300]}"
