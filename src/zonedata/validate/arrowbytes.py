"""The raw bytes of an Arrow string column, for checks vectorized over bytes with numpy; masks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def string_bytes(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The bytes of a ``string``/``large_string`` chunk, and each cell's start and end in them.

    Returns ``(data, starts, ends)`` (``uint8``; ``int64`` positions into ``data``, one per
    cell, missing cells included), without a copy of the data; ``None`` for another type,
    an empty chunk or one without a data buffer (every cell empty or missing).
    """
    large = pa.types.is_large_string(chunk.type)
    if not (large or pa.types.is_string(chunk.type)) or len(chunk) == 0:
        return None
    bufs = chunk.buffers()
    if bufs[2] is None:
        return None
    window = slice(chunk.offset, chunk.offset + len(chunk) + 1)
    width = np.int64 if large else np.int32
    offsets = np.frombuffer(bufs[1], dtype=width)[window].astype(np.int64, copy=False)
    lo, hi = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(bufs[2], dtype=np.uint8)[lo:hi]
    return data, offsets[:-1] - lo, offsets[1:] - lo


def bool_numpy(mask: pa.ChunkedArray | pa.Array | np.ndarray) -> np.ndarray:
    """A boolean Arrow mask (null as false) or numpy mask as a numpy ``bool`` array."""
    if isinstance(mask, np.ndarray):
        return mask.astype(bool)
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
