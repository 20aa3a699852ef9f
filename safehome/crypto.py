"""Field encryption for confidential locations and addresses.

AES-256-GCM with a random 96-bit nonce per value. The column's purpose
(for example ``"site.location"``) is the associated data, so a ciphertext
copied into another column fails to open.

A token names the key that sealed it: version 0x02, a 4-byte key id, the
nonce, the ciphertext. The id is the start of a SHA-256 of the key, so it
needs no configuring and tells nothing about the key. Values are sealed with
the current key (``SAFEHOME_DATA_KEY``) and opened with the key their id
names, so old keys (``SAFEHOME_OLD_DATA_KEYS``) keep values readable until
``rotate-data-key`` has re-sealed them. Version 0x01 tokens, from before key
ids, name no key: each installed key is tried. ``create_app`` installs the
keys once.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_V1 = b"\x01"  # version + 12-byte nonce + ciphertext
_V2 = b"\x02"  # version + 4-byte key id + 12-byte nonce + ciphertext
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12

_current_id: bytes | None = None
_keys: dict[bytes, AESGCM] = {}  # key id -> cipher, the current key first


class SealError(RuntimeError):
    """A key is missing or malformed, or a value does not open with the installed keys."""


def decode_key(key_b64: str, name: str) -> bytes:
    """The 32 bytes of a data key given as urlsafe base64; ``name`` says which setting, for the error."""
    try:
        key = base64.urlsafe_b64decode(key_b64.encode())
    except (ValueError, TypeError) as exc:
        raise SealError(f"{name} is not valid base64") from exc
    if len(key) != 32:
        raise SealError(f"{name} must decode to 32 bytes")
    return key


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"safehome data key id\x00" + key).digest()[:_KEY_ID_BYTES]


def install_key(current_b64: str, old_b64: Iterable[str] = ()) -> None:
    """Set the process-wide data keys: the current one seals, it and the old ones open."""
    global _current_id, _keys
    named = [(current_b64, "SAFEHOME_DATA_KEY")]
    named += [(key, f"SAFEHOME_OLD_DATA_KEYS key {position}") for position, key in enumerate(old_b64, 1)]
    keys: dict[bytes, AESGCM] = {}
    for key_b64, name in named:
        key = decode_key(key_b64, name)
        key_id = _key_id(key)
        if key_id in keys:
            raise SealError(f"{name} repeats a key given before it")
        keys[key_id] = AESGCM(key)
    _current_id, _keys = next(iter(keys)), keys


def current_header() -> bytes:
    """The first bytes of every token sealed under the current key."""
    if _current_id is None:
        raise SealError("no data key installed")
    return _V2 + _current_id


def current_key_id() -> str:
    """The current key's id, in hex (safe to show: it is not the key)."""
    return current_header()[1:].hex()


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

    @property
    def under_current_key(self) -> bool:
        return self.token.startswith(current_header())


def seal(value, purpose: str) -> Sealed:
    """Encrypt a JSON-serialisable value for the column named by ``purpose``, under the current key."""
    header = current_header()
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    token = header + nonce + _keys[_current_id].encrypt(nonce, plain, purpose.encode())
    return Sealed(token, purpose)


def unseal(value: Sealed | None):
    """Decrypt a sealed value. Call only from service code that audits views."""
    if value is None:
        return None
    token = value.token
    if token[:1] == _V2:
        key_id, rest = token[1:1 + _KEY_ID_BYTES], token[1 + _KEY_ID_BYTES:]
        if key_id not in _keys:
            raise SealError(f"sealed value is under key id {key_id.hex()}, which is not installed "
                            "(SAFEHOME_DATA_KEY or SAFEHOME_OLD_DATA_KEYS)")
        ciphers = [_keys[key_id]]
    elif token[:1] == _V1:
        rest, ciphers = token[1:], list(_keys.values())
    else:
        raise SealError("unknown sealed format")
    if not ciphers:
        raise SealError("no data key installed")
    nonce, body = rest[:_NONCE_BYTES], rest[_NONCE_BYTES:]
    for cipher in ciphers:
        try:
            return json.loads(cipher.decrypt(nonce, body, value.purpose.encode()))
        except InvalidTag:
            continue
    raise SealError("sealed value does not open with any installed key")


def reseal(value: Sealed) -> Sealed:
    """The same value sealed again under the current key (for rotation)."""
    return seal(unseal(value), value.purpose)
