"""The documents a package declares (``zonedata:docs``): their declaration, checked.

For the descriptor layer: the declaration's shape (the JSON Schema ``docs.schema.json`` of
:mod:`zonedata.descriptor.docs_declaration`), that its templates and SQL files can be
read, and that no document would be written over one of them. Each wrong thing is a
``docs-invalid`` error located at the property, as a malformed ``zonedata:site`` is a
``site-invalid`` one: whatever ``validate`` accepts, every later command reads back, and
``zonedata docs`` refuses the declaration with the same words. The templates and queries
run in ``zonedata docs`` only.
"""

from __future__ import annotations

from zonedata.descriptor.docs_declaration import PROPERTY, check_declaration
from zonedata.descriptor.package import Package
from zonedata.problems import Problem, make


def check_docs(package: Package, display: str) -> list[Problem]:
    """A ``docs-invalid`` problem per wrong thing in the declaration (none without one)."""
    if PROPERTY not in package.descriptor:
        return []
    _, wrong = check_declaration(package.descriptor, package.base_path)
    return [
        make("docs-invalid", f"{why}, at property '/{PROPERTY}'.", path=display) for why in wrong
    ]
