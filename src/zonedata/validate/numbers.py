"""Numbers in text: which cells are numbers of a field's type, and their printed decimals.

One reading of a number's text, shared by the schema layer (``type-error``,
``decimals-exceeded``) and the semantic rules (the rounding tolerance of a printed
figure, half a unit in its last printed digit: see
:meth:`zonedata.validate.tabledata.TableData.decimals`).

The **printed decimals** of a number are the digits after its point less its exponent:
the power of ten of its last printed digit, negated. ``1.50`` has 2, ``12`` and ``12.``
0, ``1.5e3`` (1500, printed to the hundreds) -2, ``2.5E-3`` (0.0025) 4; ``NaN`` and the
infinities 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zonedata.validate.arrowbytes import bool_numpy, string_bytes

INTEGER_RE = r"^[+-]?\d+$"
#: anchored as a whole, so that RE2 matches it in one pass
NUMBER_RE = r"^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|INF|-INF|nan|inf|-inf)$"
#: a number's exponent (leading zeros aside); one of more than 9 digits is counted as 0:
#: such a number is not finite or is zero in any type a release writes, which the schema
#: layer reports (``value-out-of-range``), so its decimals do not matter
_EXPONENT_RE = r"[eE](?P<sign>[+-]?)0*(?P<digits>\d{1,9})$"


def _decimals(clean: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """The printed decimals of each number in ``clean`` (0 where null).

    ``clean`` holds only strings that match :data:`NUMBER_RE` (or null): ASCII, at most one
    point, at most one exponent, which follows the point; so the digits after the point
    are the characters between the point and the exponent (or the end), and the exponent
    is what follows the ``e``.
    """
    point = pc.find_substring(clean, ".")
    at = pc.max_element_wise(pc.find_substring(clean, "e"), pc.find_substring(clean, "E"))
    end = pc.if_else(pc.less(at, 0), pc.utf8_length(clean), at)
    after = pc.subtract(pc.subtract(end, point), 1)
    digits = pc.fill_null(pc.if_else(pc.less(point, 0), pa.scalar(0, after.type), after), 0)
    out = np.array(digits.to_numpy(zero_copy_only=False), dtype=np.int64)
    if bool_numpy(pc.greater_equal(at, 0)).any():
        found = pc.extract_regex(clean, _EXPONENT_RE)
        sign = pc.replace_substring(pc.struct_field(found, [0]), "+", "")
        digits = pc.struct_field(found, [1])
        exponent = pc.binary_join_element_wise(sign, digits, pa.scalar("", digits.type))
        out -= np.asarray(
            pc.fill_null(pc.cast(exponent, pa.int64()), 0).to_numpy(zero_copy_only=False),
            dtype=np.int64,
        )
    return out


@dataclass
class Numbers:
    """Which values of a column are numbers (of the column's type), as numpy arrays."""

    #: the value is not missing
    present: np.ndarray
    #: the value matches :data:`INTEGER_RE` or :data:`NUMBER_RE`
    ok: np.ndarray
    #: printed decimals (see the module's docstring); 0 where not ``ok``
    decimals: np.ndarray

    @property
    def all_ok(self) -> bool:
        """Every value that is present is a number."""
        return bool(np.array_equal(self.ok, self.present))


def numbers(col: pa.ChunkedArray | pa.Array, *, integer: bool) -> Numbers:
    """Check the values of ``col`` against :data:`INTEGER_RE` (``integer``) or
    :data:`NUMBER_RE`, and count their decimal places.

    Most numbers are plain: an optional sign and digits with at most one point among them.
    Those are recognised, and their decimals counted, by a few vectorized passes over the
    bytes (:func:`_plain_numbers`): a regular expression costs about as much per value as
    those passes do per column. Only the other values (exponents, NaN, infinities,
    mistakes) go through the regular expressions, as before.
    """
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    parts = [_plain_numbers(c) for c in chunks]
    n = len(col)
    if parts:
        plain = np.concatenate([p[0] for p in parts])
        decimals = np.concatenate([p[1] for p in parts])
    else:
        plain, decimals = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    present = bool_numpy(pc.is_valid(col))
    if integer:
        plain &= decimals < 0  # no point
    ok = plain.copy()
    decimals[~plain] = 0
    np.maximum(decimals, 0, out=decimals)
    rest = np.flatnonzero(present & ~plain)
    if len(rest):  # the values the byte test leaves to the regular expression
        values = col.take(pa.array(rest))
        matched = bool_numpy(pc.match_substring_regex(values, INTEGER_RE if integer else NUMBER_RE))
        ok[rest] = matched
        if not integer:
            clean = pc.if_else(pa.array(matched), values, pa.scalar(None, values.type))
            decimals[rest] = _decimals(clean)
    return Numbers(present, ok, decimals)


def _plain_numbers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which cells of one string chunk are plain numbers, and their digits after the point.

    Plain: an optional sign (``+`` or ``-``), then ASCII digits and at most one point, at
    least one digit; every such cell matches :data:`NUMBER_RE`, and :data:`INTEGER_RE` if
    it has no point. The second array gives, for plain cells, the number of digits after
    the point, -1 without a point. Missing cells are not plain; nor is any cell of a chunk
    that is not a (large) string array or whose missing cells hold bytes, which leaves the
    whole chunk to the regular expressions.
    """
    n = len(chunk)
    plain = np.zeros(n, dtype=bool)
    after = np.full(n, -1, dtype=np.int64)
    raw = string_bytes(chunk)
    if raw is None:
        return plain, after
    data, starts, ends = raw
    length = ends - starts
    valid = bool_numpy(chunk.is_valid()) if chunk.null_count else np.ones(n, dtype=bool)
    if length[~valid].any():
        return plain, after
    # bytes that may not appear: all but digits and points, and signs but at a cell's start
    digit = (data - np.uint8(ord("0"))) < 10
    point = data == ord(".")
    bad = ~(digit | point)
    nonempty = length > 0
    first = starts[nonempty]
    sign_first = (data[first] == ord("+")) | (data[first] == ord("-"))
    bad[first[sign_first]] = False
    signed = np.zeros(n, dtype=bool)
    signed[nonempty] = sign_first
    # the cell of each byte at position p: the first whose end lies beyond p
    has_bad = np.zeros(n, dtype=bool)
    has_bad[np.searchsorted(ends, np.flatnonzero(bad), side="right")] = True
    # each cell's first point, then whether any cell has another
    found = np.asarray(pc.fill_null(pc.find_substring(chunk, "."), -1), dtype=np.int64)
    has_point = found >= 0
    points = np.flatnonzero(point)
    two_points = np.zeros(n, dtype=bool)
    if len(points) != int(has_point.sum()):
        is_first = np.zeros(len(data), dtype=bool)
        is_first[(starts + found)[has_point]] = True
        two_points[np.searchsorted(ends, points[~is_first[points]], side="right")] = True
    digits = length - signed - has_point
    plain = valid & nonempty & ~has_bad & ~two_points & (digits > 0)
    after = np.where(has_point, length - found - 1, -1)
    return plain, after


def printed_decimals(text: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's printed decimals (``int64``) and whether the cell has none: it is
    missing or not a number (:data:`NUMBER_RE`)."""
    found = numbers(text, integer=False)
    return found.decimals, ~found.ok
