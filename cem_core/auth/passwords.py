"""Password hashing with argon2id (argon2-cffi): a well-kept library, never our own crypto.

Only the encoded hash (algorithm, parameters, salt, digest) is stored. ``verify`` also reports whether
the stored hash should be upgraded, so raising the cost parameters later re-hashes on the next sign-in.

Each hash or verification takes 64 MiB and ~0.2 s of a core (argon2-cffi's defaults, RFC 9106's second
recommendation). Sessions run in threads of one server process and argon2 releases the GIL, so 30 people
signing in at the same moment held 30 x 64 MiB at once (bench/bench_load.py: the server's peak RSS grew by
64 MB per concurrent sign-in) while the two cores could only work on two of them anyway. ``_SLOTS`` lets as
many run at once as there are cores (``CONCURRENT``); the others wait their turn, which costs them no more time than
sharing the cores would, and the memory stays bounded whatever the number of sessions.
"""

from __future__ import annotations

import os
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
_hasher = PasswordHasher()
CONCURRENT = max(1, os.cpu_count() or 1)  # argon2 runs at once in this process
_SLOTS = threading.BoundedSemaphore(CONCURRENT)
# Verified when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


def hash_password(password: str) -> str:
    with _SLOTS:
        return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs_rehash). A missing hash (SSO-only user) never matches but costs the same time."""
    try:
        with _SLOTS:
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
