"""Field encryption for confidential locations and addresses.

AES-256-GCM with a random 96-bit nonce per value. The column's purpose
(for example ``"site.location"``) is the associated data, so a ciphertext
copied into another column fails to open. The key comes from the
``SAFEHOME_DATA_KEY`` setting and is installed once by ``create_app``.
"""
from __future__ import annotations

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_aead: AESGCM | None = None


class SealError(RuntimeError):
    """The key is missing, or a value does not open with it."""


def install_key(key_b64: str) -> None:
    """Set the process-wide data key (32 bytes, urlsafe base64)."""
    global _aead
    try:
        key = base64.urlsafe_b64decode(key_b64.encode())
    except (ValueError, TypeError) as exc:
        raise SealError("SAFEHOME_DATA_KEY is not valid base64") from exc
    if len(key) != 32:
        raise SealError("SAFEHOME_DATA_KEY must decode to 32 bytes")
    _aead = AESGCM(key)


def _cipher() -> AESGCM:
    if _aead is None:
        raise SealError("no data key installed")
    return _aead


class Sealed:
    """An encrypted value as loaded from the database. Prints as a mask."""

    __slots__ = ("token", "purpose")

    def __init__(self, token: bytes, purpose: str):
        self.token = token
        self.purpose = purpose

    def __repr__(self) -> str:
        return "<sealed>"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)


def seal(value, purpose: str) -> Sealed:
    """Encrypt a JSON-serialisable value for the column named by ``purpose``."""
    nonce = os.urandom(12)
    plain = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    token = _VERSION + nonce + _cipher().encrypt(nonce, plain, purpose.encode())
    return Sealed(token, purpose)


def unseal(value: Sealed | None):
    """Decrypt a sealed value. Call only from service code that audits views."""
    if value is None:
        return None
    token = value.token
    if token[:1] != _VERSION:
        raise SealError("unknown sealed format")
    try:
        plain = _cipher().decrypt(token[1:13], token[13:], value.purpose.encode())
    except InvalidTag as exc:
        raise SealError("sealed value does not open with this key") from exc
    return json.loads(plain)
