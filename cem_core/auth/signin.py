"""Sign-in with a password or, for the demo, the start token: throttle check, hash verification, attempt
record and audit entry, all written through ``journal`` so a running import never makes anyone wait.
The throttle check and the attempt record are no longer one transaction: two attempts arriving in the
same instant can both pass the fifth failure, a bound that still stops guessing.

Failed sign-ins are audited with a reason but never with the password. A name that matches no user is
recorded as a keyed hash, because people sometimes type their password into the username field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from cem_core import audit
from cem_core.auth import journal, throttle
from cem_core.auth.bootstrap import demo_signin_open, demo_user
from cem_core.auth.passwords import hash_password, verify
from cem_core.auth.roles import User
from cem_core.auth.start_token import matches
from cem_core.auth.users import get_user, normalise_username, password_hash, touch_sign_in
from cem_core.privacy.hashing import hash_key, keyed_hash

UNKNOWN = "(unknown)"


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    reason: str | None = None  # i18n key when refused
    wait_seconds: int = 0


def authenticate(engine: Engine, *, username: str, password: str, now: dt.datetime | None = None) -> SignInResult:
    """Check a username and password; every outcome is recorded (attempt table and audit log) through
    ``journal``, so a running import never makes anyone wait here. Demo accounts have no password."""
    now = now or dt.datetime.now()
    name = normalise_username(username)
    record = get_user(engine, username=name) if name else None
    if record is not None and record.is_demo:
        record = None  # a demo row left by an older version: its published password must never work
    key = name if record else "#" + (keyed_hash(hash_key(engine), name or "-") or "")[:40]
    shown = name if record else UNKNOWN
    wait = throttle.locked_for(engine, key=key, now=now)
    if wait:
        journal.write(engine, audit=[audit.entry(shown, "sign_in_throttled", target=shown)])
        return SignInResult(None, "access.throttled", int(wait.total_seconds()) + 1)
    with engine.connect() as conn:
        stored = password_hash(conn, username=name) if record else None
    ok, rehash = verify(stored, password)
    failed = throttle.attempt(key=key, success=False, at=now)
    if ok and record is not None and not record.can_sign_in:
        journal.write(engine, attempts=[failed],
                      audit=[audit.entry(shown, "sign_in_failed", target=shown, detail={"reason": "disabled"})])
        return SignInResult(None, "access.disabled")
    if not ok or record is None:
        reason = "unknown_user" if record is None else "wrong_password"
        journal.write(engine, attempts=[failed],
                      audit=[audit.entry(shown, "sign_in_failed", target=shown, detail={"reason": reason})])
        return SignInResult(None, "access.bad_credentials")
    new_hash = hash_password(password) if rehash else None

    def touch(conn: Connection) -> None:  # best effort: skipped while an import holds SQLite's writer
        touch_sign_in(conn, username=name, new_hash=new_hash)
        throttle.prune(conn, key=key, at=now)

    journal.write(engine, attempts=[throttle.attempt(key=key, success=True, at=now)],
                  audit=[audit.entry(name, "sign_in", target=name, detail={"method": "password"})], also=touch)
    return SignInResult(record.as_user())


def demo_sign_in(engine: Engine, *, token: str | None, role: str) -> SignInResult:
    """A demo session for ``role``: only with this server's start token and while demo sign-in is open
    (demo data present, no real import and no real user yet). Audited like any sign-in."""
    user = demo_user(engine, role) if matches(token) and demo_signin_open(engine) else None
    if user is None:
        journal.write(engine, audit=[audit.entry(UNKNOWN, "sign_in_failed", target="demo",
                                                 detail={"reason": "demo_closed_or_bad_token"})])
        return SignInResult(None, "trust_access.demo_refused")
    journal.write(engine, audit=[audit.entry(user.username, "sign_in", target=user.username,
                                             detail={"method": "demo"})])
    return SignInResult(user)
