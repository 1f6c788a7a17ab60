"""Run zonedata on hostile inputs in a child process bounded in time and memory.

Every hostile-input test goes through :func:`run_cli` or :func:`run_python`: the child
gets an address-space limit (``RLIMIT_AS``) and a wall-clock timeout, so a regression that
hangs (a FIFO, an endless download) or inflates a bomb fails the test instead of hanging
or exhausting CI. :func:`snapshot` records a folder's files, so a test can assert that
nothing was written outside the folder a command may write to and that no source file
changed.

A child is forked from a zygote that has imported pandas and pyarrow once
(tests/zygote.py): it gets the same folder, environment, limits and command line as a new
interpreter would, without the second each spends importing them. ``ZONEDATA_TEST_CHILD=exec``
starts every child as a new interpreter instead.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.zygote import Zygote

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


#: RLIMIT_AS counts reserved address space, not memory used: pyarrow's default
#: allocator (mimalloc) reserves about 1 GiB up front and glibc 64 MiB per thread
#: arena, so a legitimate run could abort under the limit (as "terminate called without
#: an active exception"). With the system allocator and two arenas, loading a table
#: reserves about 370 MiB, and the limit measures what the code under test allocates.
BASE_ENV = {
    "PYTHONFAULTHANDLER": "1",
    "MALLOC_ARENA_MAX": "2",
    "ARROW_DEFAULT_MEMORY_POOL": "system",
}
#: set to "exec" to start every child as a new interpreter instead of forking it from
#: the zygote (tests/zygote.py), which has imported pandas and pyarrow once
CHILD_ENV = "ZONEDATA_TEST_CHILD"
_zygote = Zygote(BASE_ENV)
atexit.register(_zygote.close)  # (and its CPU time is counted with the test process's)


def _exec(argv: list[str], req: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """The child as a new interpreter (``ZONEDATA_TEST_CHILD=exec``)."""
    memory, timeout = req["memory"], req["timeout"]
    try:
        return subprocess.run(
            argv,
            cwd=req["cwd"],
            env=req["env"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=lambda: _limits(memory),
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{argv[2:]!r} did not finish within {timeout} s") from e


def _fork(argv: list[str], req: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """The child forked from the zygote, its output through two files."""
    with tempfile.TemporaryDirectory(prefix="zonedata-child-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        answer = _zygote.run({**req, "stdout": str(out), "stderr": str(err)})
        if answer["timeout"]:
            raise AssertionError(f"{argv[2:]!r} did not finish within {req['timeout']} s")
        texts = [p.read_text(errors="replace") if p.exists() else "" for p in (out, err)]
        return subprocess.CompletedProcess(argv, answer["code"], *texts)


def _spawn(req: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """One bounded child: forked from the zygote, or exec-ed when the environment says so."""
    flag = "-m" if req["kind"] == "module" else "-c"
    argv = [sys.executable, flag, req["target"], *req["args"]]
    run = _exec if os.environ.get(CHILD_ENV) == "exec" else _fork
    return run(argv, req)


def _run(
    kind: str,
    target: str,
    args: Sequence[str],
    *,
    cwd: Path | None,
    timeout: float,
    memory: int,
    env: Mapping[str, str] | None,
) -> Outcome:
    full_env = {**os.environ, **BASE_ENV, **(env or {})}
    full_env.pop(CHILD_ENV, None)
    req = {
        "kind": kind, "target": target, "args": list(args), "env": full_env,
        "cwd": None if cwd is None else str(cwd), "memory": memory, "timeout": timeout,
    }  # fmt: skip
    for _ in range(2):
        r = _spawn(req)
        argv = r.args
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
    return _run("module", "zonedata", args, cwd=cwd, timeout=timeout, memory=memory, env=env)


def run_python(
    code: str,
    *,
    cwd: Path | None = None,
    timeout: float = TIMEOUT,
    memory: int = MEMORY,
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """Python ``code`` (for example a ``zonedata.load`` call) in a bounded child process."""
    return _run("code", code, [], cwd=cwd, timeout=timeout, memory=memory, env=env)


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
