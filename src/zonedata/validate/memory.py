"""Where validation's Arrow memory comes from, and when Arrow hands it back.

Most of the memory of a large validation is Arrow's: the parsed text of every cell (the
table a release writes) and the checks' columns. Arrow's default pool (mimalloc in the
pyarrow wheels) keeps what it frees for reuse; after the CSV parse of a 1M-row file it
held about 95 MB beyond the 128 MB of cells, and the process's peak resident memory is
what ``zonedata validate`` is measured by (benchmarks/README.md, round 4). So:

- the parser allocates from jemalloc where pyarrow has it (:func:`parse_pool`), which
  after the same parse held about 23 MB beyond the cells; a user's own choice of pool
  (``ARROW_DEFAULT_MEMORY_POOL``) is kept;
- at the end of each layer and after each semantic rule, :func:`release_unused` asks the
  pools to return what they hold unused (a millisecond or less each time).

Neither changes what is computed, only where the bytes live.
"""

from __future__ import annotations

import functools
import os

import pyarrow as pa

#: the environment variable with which a user picks Arrow's default pool
POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"


@functools.cache
def parse_pool() -> pa.MemoryPool | None:
    """The pool the CSV parser allocates from: jemalloc where pyarrow was built with it and
    the user chose no pool, else ``None`` (Arrow's default pool)."""
    if os.environ.get(POOL_ENV):
        return None
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # (pyarrow built without jemalloc: Windows, some others)
        return None


def release_unused() -> None:
    """Ask Arrow's pools to return to the system the memory they hold but do not use."""
    pa.default_memory_pool().release_unused()
    pool = parse_pool()
    if pool is not None:
        pool.release_unused()
