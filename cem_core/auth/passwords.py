"""Password hashing with argon2id (argon2-cffi): a well-kept library, never our own crypto.

Only the encoded hash (algorithm, parameters, salt, digest) is stored. ``verify`` also reports whether
the stored hash should be upgraded, so raising the cost parameters later re-hashes on the next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs_rehash). A missing hash (SSO-only user) never matches but costs the same time."""
    try:
        _hasher.verify(stored_hash or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    if stored_hash is None:
        return False, False
    return True, _hasher.check_needs_rehash(stored_hash)


def weakness(password: str, username: str = "") -> str | None:
    """An i18n key saying why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "access.pw_too_short"
    if username and password.lower() == username.lower():
        return "access.pw_is_username"
    return None
