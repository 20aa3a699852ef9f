"""Password hashing with argon2id. The cost profile is a setting (cheap only in tests)."""
from __future__ import annotations

import argon2
from argon2 import profiles

_hasher = argon2.PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
# Verified against when the email is unknown, so a miss costs the same time as a hit.
_decoy_hash = _hasher.hash("decoy password that matches nothing")


def configure(profile_name: str) -> None:
    global _hasher, _decoy_hash
    _hasher = argon2.PasswordHasher.from_parameters(getattr(profiles, profile_name))
    _decoy_hash = _hasher.hash("decoy password that matches nothing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """True if the password matches; with no hash, burn the same time and say no."""
    try:
        return _hasher.verify(password_hash or _decoy_hash, password) and password_hash is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
