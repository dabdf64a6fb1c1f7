"""The form of every JSON Schema pytest-gates generates: its dialect, and its committed text."""

from __future__ import annotations

import json
from typing import Any, Final

#: The JSON Schema dialect of every generated schema.
SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


def dumps(schema: dict[str, Any]) -> str:
    """A schema as committed: sorted keys, two-space indent, a final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
