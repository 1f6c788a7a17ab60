"""YAML descriptors (``datapackage.yaml``), read into the same values as strict JSON.

The Frictionless specs and frictionless-py accept a descriptor written in YAML. It is
read with PyYAML's safe loader, narrowed to what JSON can hold, so that every later step
sees the same dictionary it would get from a ``datapackage.json``:

- no aliases or anchors (``*a`` can expand a small file into gigabytes: refused), no
  merge keys (``<<``: they hide keys without a duplicate-key error);
- dates and times stay text (``2020-01-01`` is the string, as in JSON);
- keys are strings; numbers are finite (no ``.inf`` or ``.nan``);
- a problem is a :class:`zonedata.errors.JsonTextError` with its line and column, and
  :func:`locate` places a JSON pointer in the text as ``jsontext.locate`` does for JSON.

Only PyYAML (installed with frictionless) and the standard library are used.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from zonedata.errors import JsonTextError


@functools.cache
def _loader_class() -> Any:
    """The safe loader (libyaml's where PyYAML has it: many times faster) without implicit
    timestamps and refusing a key given twice in one mapping."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = key_node.value
                if key_node.tag == "tag:yaml.org,2002:merge":
                    mark = key_node.start_mark
                    raise JsonTextError(
                        "merge keys (<<) are not read: write the keys out",
                        mark.line + 1,
                        mark.column + 1,
                    )
                if key in seen:
                    mark = key_node.start_mark
                    raise JsonTextError(
                        f"the key {str(key)[:80]!r} appears twice in one mapping",
                        mark.line + 1,
                        mark.column + 1,
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _refuse_aliases(text: str, loader: Any) -> None:
    """An alias (``*name``) can expand a small file into gigabytes: refused, located."""
    import yaml

    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
            raise JsonTextError("aliases (*name) are not read: write the value out", line, column)


def loads(text: str) -> Any:
    """The value of a YAML document, as strict JSON would give it; JsonTextError if not."""
    import yaml

    loader = _loader_class()
    try:
        _refuse_aliases(text, loader)
        value = yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise JsonTextError(f"{e.problem or e}", line, column) from None
    except yaml.YAMLError as e:
        raise JsonTextError(str(e)) from None
    _check_json_like(value)
    return value


def _check_json_like(value: Any) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for k in v:
                if not isinstance(k, str):
                    raise JsonTextError(f"the key {k!r} is not a string")
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, float) and not math.isfinite(v):
            raise JsonTextError(f"the number {v} is not finite")
        elif v is not None and not isinstance(v, str | int | float | bool):
            raise JsonTextError(f"a value of type {type(v).__name__} has no JSON equivalent")


def locate(text: str, pointer: Sequence[str | int]) -> tuple[int, int] | None:
    """The 1-based line and column of the value at ``pointer``, or None."""
    node = _composed(text)
    for key in pointer:
        node = _child(node, key)
    if node is None:
        return None
    return node.start_mark.line + 1, node.start_mark.column + 1


@functools.lru_cache(maxsize=1)
def _composed(text: str) -> Any:
    """The text's node tree, composed once however many problems are placed in it."""
    import yaml

    loader = _loader_class()
    try:
        _refuse_aliases(text, loader)
        return yaml.compose(text, Loader=loader)
    except (yaml.YAMLError, JsonTextError, RecursionError):
        return None


def _child(node: Any, key: str | int) -> Any:
    import yaml

    if node is None:
        return None
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]
    return None
