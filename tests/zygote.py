"""A zygote for the hostile-input harness: one process that has imported the heavy libraries
forks each bounded child, so a child does not spend a second importing pandas and pyarrow.

:func:`main` runs in a process of its own (started by :class:`Zygote`). It reads one
request a line (JSON) on its standard input, forks, and answers one line on its standard
output when the child has ended or was killed at its deadline. The child becomes what
``python -m zonedata ARGS`` or ``python -c CODE`` would be: its own working folder,
environment, address-space limit (``RLIMIT_AS``, set after the fork and counting the
libraries already loaded, as an ``exec``-ed child that imports them does), standard input
from /dev/null, standard output and error to files, ``sys.argv``, and the interpreter's
own handling of ``SystemExit``, tracebacks and shutdown. Our own package is not preloaded:
each child imports it afresh, after its environment is set.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import runpy
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

#: third-party modules every child of the hostile tests imports (about 1 s of a child's
#: start); none of them reads a zonedata setting from the environment at import time. A
#: child that asserts a module is *not* imported (frictionless, pandera) must not find it
#: here, or the assertion would fail (or pass for the wrong reason)
PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.compute",
    "pyarrow.csv",
    "pyarrow.parquet",
    "click",
)


# --- the zygote's side ------------------------------------------------------------------


def _become(req: dict[str, Any]) -> None:
    """In the forked child: take the request's folder, environment, files and limits."""
    os.setsid()  # a group of its own: the deadline kills the child and what it started
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        new = os.open(path, flags, 0o600)
        os.dup2(new, fd)
        os.close(new)
    if req["cwd"] is not None:
        os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    import tempfile

    tempfile.tempdir = None  # TMPDIR is read again
    memory = req["memory"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _execute(req: dict[str, Any]) -> None:
    """Run the request as the interpreter would run its command line."""
    if req["kind"] == "module":
        sys.argv = ["-m", *req["args"]]
        sys.path[0] = os.getcwd()
        runpy.run_module(req["target"], run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["-c", *req["args"]]
        sys.path[0] = ""
        main = sys.modules["__main__"]
        exec(compile(req["target"], "<string>", "exec"), main.__dict__)


def _ends_within(pid: int, timeout: float) -> bool:
    """Whether the child ends within ``timeout`` seconds (it is left to be reaped)."""
    if hasattr(os, "pidfd_open"):  # Linux: sleep until it ends
        fd = os.pidfd_open(pid)
        try:
            return bool(select.select([fd], [], [], timeout)[0])
        finally:
            os.close(fd)
    deadline = time.monotonic() + timeout  # elsewhere (macOS): look every 10 ms
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.01)
    return False


def _wait(pid: int, timeout: float) -> dict[str, Any]:
    """The child's exit code (negative: killed by that signal), or a timeout."""
    if not _ends_within(pid, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)  # the child and whatever it started
        os.waitpid(pid, 0)
        return {"timeout": True}
    _, status = os.waitpid(pid, 0)
    return {"timeout": False, "code": os.waitstatus_to_exitcode(status)}


def main() -> None:
    """Serve requests until standard input closes; a forked child runs one and exits."""
    for name in PRELOAD:
        __import__(name)
    requests = sys.stdin.buffer
    answers = sys.stdout.buffer
    while line := requests.readline():
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become(req)
            _execute(req)
            return  # the interpreter shuts down as after a command line: exit 0
        answers.write(json.dumps(_wait(pid, req["timeout"])).encode() + b"\n")
        answers.flush()


# --- the test process's side ------------------------------------------------------------


class Zygote:
    """The test process's handle on one zygote, started on first use."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = dict(env)
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            root = str(Path(__file__).resolve().parent.parent)
            code = (
                f"import sys; sys.path.insert(0, {root!r}); from tests.zygote import main; main()"
            )
            self._proc = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, **self._env},
                cwd=root,
            )
        return self._proc

    def run(self, req: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its answer (the zygote enforces the deadline)."""
        with self._lock:
            proc = self._start()
            stdin: IO[bytes] = proc.stdin  # type: ignore[assignment]
            stdout: IO[bytes] = proc.stdout  # type: ignore[assignment]
            stdin.write(json.dumps(req).encode() + b"\n")
            stdin.flush()
            ready, _, _ = select.select([stdout], [], [], req["timeout"] + 60)
            line = stdout.readline() if ready else b""
            if not line:
                proc.kill()
                raise AssertionError(f"the test zygote stopped answering (exit {proc.wait()})")
            answer: dict[str, Any] = json.loads(line)
            return answer

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(timeout=10)
