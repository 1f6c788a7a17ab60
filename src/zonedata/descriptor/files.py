"""Which file is a package's descriptor, and how its text is read (JSON or YAML).

A folder's descriptor is its ``datapackage.json``, else its ``datapackage.yaml`` or
``datapackage.yml`` (the names the Frictionless specs give): every command given the
folder reads that one, and ``validate`` warns about the others beside it
(:func:`others_beside`, rule ``descriptor-ambiguous``). A ``.yaml``/``.yml`` file is
read by :mod:`zonedata.descriptor.yamltext`, anything else as strict JSON by
:mod:`zonedata.descriptor.jsontext`; both give the same values and locate a JSON pointer in
the text the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zonedata.descriptor import jsontext, yamltext

#: The descriptor names looked for in a folder, in order.
DESCRIPTOR_NAMES = ("datapackage.json", "datapackage.yaml", "datapackage.yml")


def descriptor_in(path: Path) -> Path:
    """``path`` itself, or for a folder the descriptor it holds (``datapackage.json`` if none)."""
    if not path.is_dir():
        return path
    for name in DESCRIPTOR_NAMES:
        if (path / name).is_file():
            return path / name
    return path / DESCRIPTOR_NAMES[0]


def others_beside(path: Path) -> list[Path]:
    """The descriptors beside ``path`` (a descriptor named like one of
    :data:`DESCRIPTOR_NAMES`) that are regular files: commands given their folder read
    :func:`descriptor_in` of it, one of them or ``path``, and never the others."""
    if path.name not in DESCRIPTOR_NAMES:
        return []
    return [
        path.parent / name
        for name in DESCRIPTOR_NAMES
        if name != path.name and (path.parent / name).is_file()
    ]


def is_yaml(path: str | Path) -> bool:
    """Whether the descriptor at ``path`` is read as YAML (by its extension)."""
    return str(path).lower().endswith((".yaml", ".yml"))


def text_format(path: str | Path) -> str:
    """``"YAML"`` or ``"JSON"``: the format the descriptor at ``path`` is read in."""
    return "YAML" if is_yaml(path) else "JSON"


def parse(text: str, path: str | Path) -> Any:
    """The descriptor's value (JsonTextError, or for JSON json.JSONDecodeError, if unreadable)."""
    return yamltext.loads(text) if is_yaml(path) else jsontext.loads(text)


def locate(text: str, path: str | Path, pointer: Sequence[str | int]) -> tuple[int, int] | None:
    """The 1-based line and column of the value at ``pointer`` in the descriptor's text."""
    return yamltext.locate(text, pointer) if is_yaml(path) else jsontext.locate(text, pointer)
