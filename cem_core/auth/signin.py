"""Password sign-in: throttle check, hash verification, audit entry and attempt record in one transaction.

Failed sign-ins are audited with a reason but never with the password. A name that matches no user is
recorded as a keyed hash, because people sometimes type their password into the username field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from cem_core import audit
from cem_core.auth import throttle
from cem_core.auth.passwords import hash_password, verify
from cem_core.auth.roles import User
from cem_core.auth.users import get_user, normalise_username, password_hash, touch_sign_in
from cem_core.db import write_transaction
from cem_core.privacy.hashing import hash_key, keyed_hash

UNKNOWN = "(unknown)"


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    reason: str | None = None  # i18n key when refused
    wait_seconds: int = 0


def authenticate(engine: Engine, *, username: str, password: str, now: dt.datetime | None = None) -> SignInResult:
    """Check a username and password; every outcome is recorded (attempt table and audit log)."""
    now = now or dt.datetime.now()
    name = normalise_username(username)
    record = get_user(engine, username=name) if name else None
    key = name if record else "#" + (keyed_hash(hash_key(engine), name or "-") or "")[:40]
    shown = name if record else UNKNOWN
    with write_transaction(engine) as conn:
        wait = throttle.locked_for(conn, key=key, now=now)
        if wait:
            audit.record(conn, shown, "sign_in_throttled", target=shown)
            return SignInResult(None, "access.throttled", int(wait.total_seconds()) + 1)
        ok, rehash = verify(password_hash(conn, username=name) if record else None, password)
        if ok and record is not None and not record.can_sign_in:
            throttle.record_attempt(conn, key=key, success=False, at=now)
            audit.record(conn, shown, "sign_in_failed", target=shown, detail={"reason": "disabled"})
            return SignInResult(None, "access.disabled")
        if not ok or record is None:
            throttle.record_attempt(conn, key=key, success=False, at=now)
            reason = "unknown_user" if record is None else "wrong_password"
            audit.record(conn, shown, "sign_in_failed", target=shown, detail={"reason": reason})
            return SignInResult(None, "access.bad_credentials")
        throttle.record_attempt(conn, key=key, success=True, at=now)
        touch_sign_in(conn, username=name, new_hash=hash_password(password) if rehash else None)
        audit.record(conn, name, "sign_in", target=name, detail={"method": "password"})
    return SignInResult(record.as_user())
