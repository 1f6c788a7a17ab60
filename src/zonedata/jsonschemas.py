"""The one way zonedata checks a declaration against its JSON Schema.

JSON Schema's ``pattern`` is an ECMA-262 regular expression, in which ``$`` matches only at
the end of the text; Python's ``re``, which jsonschema uses, also lets ``$`` match before a
final line break, so ``"rep\\n"`` passed ``^[a-z0-9-]+$``. :func:`validator` gives a
Draft 2020-12 validator whose ``pattern`` keeps ECMA's meaning: a value ending in a line
break does not match a pattern anchored with ``$``.

jsonschema is imported when a validator is made (frictionless installs it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any


def validator(schema_text: str) -> Any:
    """A Draft 2020-12 validator of the schema in ``schema_text`` (see the module)."""
    import jsonschema
    from jsonschema import validators

    base = jsonschema.Draft202012Validator
    checked = validators.extend(base, {"pattern": _pattern})
    return checked(json.loads(schema_text))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    import jsonschema

    if not validator.is_type(instance, "string"):
        return
    found = re.search(pattern, instance)
    if found is None or (pattern.endswith("$") and found.end() != len(instance)):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")
