"""Descriptor JSON, read strictly and located.

Python's ``json`` reads more than JSON (RFC 8259): ``NaN`` and ``Infinity``, numbers such as
``1e999`` that become infinite, and objects with a repeated key, where the last value wins
without a word. A descriptor from a stranger may use any of them to mean something other
than what a reader sees (``"minimum": NaN`` compares false with everything, so it checks
nothing; a second ``"resources"`` hides the first). :func:`loads` refuses all three, with
the line and column of the first one. :func:`locate` finds the line of a value by its path
(``("resources", 3, "path")``), so that descriptor problems can point into the file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from zonedata.errors import JsonTextError

Pointer = tuple[str | int, ...]

_SURROGATE = re.compile("[\ud800-\udfff]")
_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([\[\]{}:,])|([^\s\[\]{}:,"]+))', re.S)


class _Refused(ValueError):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def _constant(name: str) -> Any:
    raise _Refused("constant", f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("infinite", f"the number {text[:40]} is too large for a double")
    return value


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused("duplicate", f"the key {key[:80]!r} appears twice in one object")
        out[key] = value
    return out


def loads(text: str) -> Any:
    """Parse strict JSON, or raise :class:`JsonTextError` (a ``ValueError``) with a position.

    ``json.JSONDecodeError`` and ``RecursionError`` pass through unchanged.
    """
    try:
        value = json.loads(
            text, parse_constant=_constant, parse_float=_finite, object_pairs_hook=_unique
        )
    except _Refused as e:
        offset = _offending(text, e.kind)
        line, column = position(text, offset) if offset is not None else (None, None)
        raise JsonTextError(e.detail, line, column) from None
    if "\\u" in text and _SURROGATE.search(json.dumps(value, ensure_ascii=False)):
        # JSON allows "\ud800" alone; the text it makes cannot be written as UTF-8
        offset = _offending(text, "surrogate")
        line, column = position(text, offset) if offset is not None else (None, None)
        raise JsonTextError(
            "a string holds half of a UTF-16 surrogate pair (\\ud800 to \\udfff alone), "
            "which is no character",
            line,
            column,
        )
    return value


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels in ``value`` (a scalar:
    0 levels), found without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict | list):
            if depth > limit:
                return True
            children = v.values() if isinstance(v, dict) else v
            stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of character ``offset``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def locate(text: str, pointer: Sequence[str | int]) -> tuple[int, int] | None:
    """The line and column where the value at ``pointer`` starts, or None if it is absent."""
    want = tuple(pointer)
    for path, offset, kind, _raw in _walk(text):
        if kind != "key" and path == want:
            return position(text, offset)
    return None


@dataclass
class _Frame:
    is_object: bool
    key: str | int | None = None
    expecting_key: bool = True
    keys: set[str] | None = None


def _walk(text: str) -> Iterator[tuple[Pointer, int, str, str]]:
    """(path, offset, kind, raw token) for each key (kind "key") and value, in text order.

    A tolerant tokenizer: it assumes text that ``json.loads`` has parsed or nearly parsed,
    and never raises.
    """
    stack: list[_Frame] = []
    pos, end = 0, len(text)

    def path() -> Pointer:
        return tuple(f.key for f in stack if f.key is not None)

    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None:
            return
        pos = m.end()
        string, punct, bare = m.group(1), m.group(2), m.group(3)
        start = m.start(1) if string else m.start(2) if punct else m.start(3)
        top = stack[-1] if stack else None
        if string is not None and top is not None and top.is_object and top.expecting_key:
            try:
                top.key = json.loads(string)
            except ValueError:
                top.key = string
            top.expecting_key = False
            yield path(), start, "key", string
        elif string is not None or bare is not None:
            yield path(), start, "value", string or bare
        elif punct in "[{":
            yield path(), start, "object" if punct == "{" else "array", punct
            stack.append(_Frame(is_object=punct == "{", key=None if punct == "{" else 0))
        elif punct in "]}":
            if stack:
                stack.pop()
        elif punct == "," and top is not None:
            if top.is_object:
                top.expecting_key = True
            elif isinstance(top.key, int):
                top.key += 1


def _offending(text: str, kind: str) -> int | None:
    """The offset of the first constant, infinite number or repeated key in ``text``."""
    seen: dict[Pointer, set[str]] = {}
    for path, offset, token_kind, raw in _walk(text):
        if kind == "surrogate" and raw.startswith('"') and _SURROGATE.search(_string(raw)):
            return offset
        if token_kind == "key":
            keys = seen.setdefault(path[:-1], set())
            if kind == "duplicate" and path[-1] in keys:
                return offset
            keys.add(str(path[-1]))
        elif token_kind in ("object", "array"):
            seen.pop(path, None)  # a new container at this path (an array's next item)
        elif token_kind == "value" and not raw.startswith('"'):
            if kind == "constant" and raw in ("NaN", "Infinity", "-Infinity"):
                return offset
            if kind == "infinite" and _is_infinite(raw):
                return offset
    return None


def _is_infinite(raw: str) -> bool:
    try:
        return not math.isfinite(float(raw))
    except ValueError:
        return False


def _string(raw: str) -> str:
    try:
        value = json.loads(raw)
    except ValueError:
        return ""
    return value if isinstance(value, str) else ""
