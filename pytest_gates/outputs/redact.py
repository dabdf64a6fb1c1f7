"""Secrets out of the output folder: the values of secret-looking environment variables are
masked as ``***`` in every document a run writes, as CI systems mask them in logs.

A variable is secret-looking when its name contains ``TOKEN``, ``SECRET``, ``PASSWORD`` or
``KEY`` (any case) and its value has at least :data:`MIN_SECRET` characters. Documents are
masked before they are written and before any digest is taken of them, so the digests cover
the bytes on disk and ``verify`` still holds. Masking is deterministic: longer values first,
then by value, so that one value inside another is masked the same way on every run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Final, TypeVar

from pytest_gates.outputs.documents import Document

#: What a secret's value becomes.
MASK: Final = "***"
#: Parts of a variable's name that make its value a secret.
SECRET_NAME_PARTS: Final = ("TOKEN", "SECRET", "PASSWORD", "KEY")
#: The shortest value masked: a shorter one would mask ordinary words.
MIN_SECRET: Final = 4

#: Digests and commit ids are never masked: a short secret may occur in one by chance.
_DIGEST: Final = re.compile(r"(sha256:)?[0-9a-f]{40,64}")

D = TypeVar("D", bound=Document)


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values to mask, longest first (then in order), from ``environ`` or the process's."""
    env = os.environ if environ is None else environ
    values = {
        value
        for name, value in env.items()
        if len(value) >= MIN_SECRET and any(part in name.upper() for part in SECRET_NAME_PARTS)
    }
    return tuple(sorted(values, key=lambda value: (-len(value), value)))


def redact_text(text: str, secrets: tuple[str, ...] | None = None) -> str:
    """``text`` with every secret value replaced by :data:`MASK`."""
    for value in secret_values() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, MASK)
    return text


def redact_data(data: Any, secrets: tuple[str, ...] | None = None) -> Any:
    """JSON data with every secret value masked in its strings (keys included); a string that
    is a digest or a commit id is left as it is."""
    masked = secret_values() if secrets is None else secrets
    if not masked:
        return data
    if isinstance(data, str):
        return data if _DIGEST.fullmatch(data) else redact_text(data, masked)
    if isinstance(data, list):
        return [redact_data(item, masked) for item in data]
    if isinstance(data, dict):
        return {redact_text(str(k), masked): redact_data(v, masked) for k, v in data.items()}
    return data


def redact_document(document: D) -> D:
    """``document`` with every secret value masked (the same document when there is none)."""
    secrets = secret_values()
    if not secrets:
        return document
    data = document.model_dump(mode="json", by_alias=True, exclude_unset=True)
    masked = redact_data(data, secrets)
    if masked == data:
        return document
    return type(document).model_validate(masked)
