"""Run zonedata on hostile inputs in a child process bounded in time and memory.

Every hostile-input test goes through :func:`run_cli` or :func:`run_python`: the child
gets an address-space limit (``RLIMIT_AS``) and a wall-clock timeout, so a regression that
hangs (a FIFO, an endless download) or inflates a bomb fails the test instead of hanging
or exhausting CI. :func:`snapshot` records a folder's files, so a test can assert that
nothing was written outside the folder a command may write to and that no source file
changed.
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: default limits of a hostile run: generous for the real package (it validates in about
#: 1 s, loads a table from a URL reserving up to about 1.2 GiB of address space), far
#: below what an unbounded read would take. Cases whose point is a bomb set 1 GiB.
TIMEOUT = 60.0
MEMORY = 2 << 30
TEARDOWN_ABORT = "terminate called without an active exception"


@dataclass(frozen=True)
class Outcome:
    """What a bounded child process did."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def assert_clean_failure(self, code: int = 2) -> None:
        """Exit ``code``, a message, and no Python traceback."""
        assert self.code == code, (self.code, self.output)
        assert "Traceback" not in self.output, self.output
        assert "internal error" not in self.output, self.output


def _limits(memory: int) -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _run(
    argv: Sequence[str],
    *,
    cwd: Path | None,
    timeout: float,
    memory: int,
    env: Mapping[str, str] | None,
) -> Outcome:
    # RLIMIT_AS counts reserved address space, not memory used: pyarrow's default
    # allocator (mimalloc) reserves about 1 GiB up front and glibc 64 MiB per thread
    # arena, so a legitimate run could abort under the limit (as "terminate called without
    # an active exception"). With the system allocator and two arenas, loading a table
    # reserves about 370 MiB, and the limit measures what the code under test allocates.
    base = {
        "PYTHONFAULTHANDLER": "1",
        "MALLOC_ARENA_MAX": "2",
        "ARROW_DEFAULT_MEMORY_POOL": "system",
    }
    full_env = {**os.environ, **base, **(env or {})}
    for _ in range(2):
        try:
            r = subprocess.run(
                list(argv),
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                preexec_fn=lambda: _limits(memory),
            )
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"{argv[2:]!r} did not finish within {timeout} s") from e
        # A known rare abort of the interpreter's teardown under RLIMIT_AS, after the
        # command has done its work and printed its result (a C++ thread of pyarrow's,
        # seen about once in a few hundred children on a loaded machine): run it once
        # more. A second abort, a hang or a lack of memory still fails the test.
        if not (r.returncode == -6 and TEARDOWN_ABORT in r.stderr):
            break
    if r.returncode < 0 or "MemoryError" in r.stderr:
        raise AssertionError(
            f"{argv[2:]!r} ran out of memory or was killed (exit {r.returncode}): "
            f"stdout {r.stdout[-500:]!r}, stderr {r.stderr[-1500:]}"
        )
    return Outcome(r.returncode, r.stdout, r.stderr)


def run_cli(
    *args: str,
    cwd: Path | None = None,
    timeout: float = TIMEOUT,
    memory: int = MEMORY,
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """``zonedata ARGS`` in a bounded child process."""
    return _run(
        [sys.executable, "-m", "zonedata", *args], cwd=cwd, timeout=timeout, memory=memory, env=env
    )


def run_python(
    code: str,
    *,
    cwd: Path | None = None,
    timeout: float = TIMEOUT,
    memory: int = MEMORY,
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """Python ``code`` (for example a ``zonedata.load`` call) in a bounded child process."""
    return _run([sys.executable, "-c", code], cwd=cwd, timeout=timeout, memory=memory, env=env)


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry below ``folder``: relative path -> SHA-256 of a file, or its kind."""
    out: dict[str, str] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink():
                out[rel] = "symlink:" + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = "special"
    return out
