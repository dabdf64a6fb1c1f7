"""The errors of the trust layer: a key that cannot be used, a signed decision that is refused."""

from __future__ import annotations

from typing import Final, final

from pytest_gates.errors import GatesError, InputFileError

#: How many hex digits of a key id a message shows: enough to find it, short enough to read.
SHORT_KEYID: Final = 12


def abbreviate(value: str) -> str:
    """``3f2a1b2c3d4e...`` for a key id or commit, ``sha256:3f2a1b2c3d4e...`` for a digest."""
    prefix, _, rest = value.rpartition(":")
    head = f"{prefix}:" if prefix else ""
    return head + (rest if len(rest) <= SHORT_KEYID else rest[:SHORT_KEYID] + "...")


def short_keyid(keyid: str) -> str:
    """A key id as messages show it; an empty id (DSSE allows one) reads ``(no key id)``."""
    return abbreviate(keyid) if keyid else "(no key id)"


@final
class KeyFileError(GatesError):
    """A key file or a PEM text is missing, unreadable, not PEM, or not the expected Ed25519 key.

    The message reads ``<source>: <what was expected>, found <what was there>``.
    """

    def __init__(self, source: str, message: str) -> None:
        #: The file, or ``$VARIABLE`` for a key held in an environment variable.
        self.source = source
        #: What was wrong, without the source.
        self.reason = message
        super().__init__(f"{source}: {message}")


@final
class TrustFileError(InputFileError):
    """The trust file is invalid (``path``: the trust file)."""


@final
class Refusal(GatesError):
    """A signed decision (or an envelope) that does not prove what it claims.

    ``part`` names what failed (``envelope``, ``payloadType``, ``signature``, ``statement``,
    ``subject``, ``predicate``); the message reads ``<part>: <reason>``.
    """

    def __init__(self, part: str, reason: str) -> None:
        #: What failed, the first word of the message.
        self.part = part
        #: Why, in one line.
        self.reason = reason
        super().__init__(f"{part}: {reason}")
