"""Throttling of failed sign-ins, stored in ``login_attempts`` so it survives reruns, restarts and processes.

Rule: after ``MAX_FAILURES`` failed attempts for one username within ``WINDOW`` (and since its last
success), further attempts are refused without checking the password until the oldest of those
failures is ``WINDOW`` old. Refused attempts are audited but not counted, so an attacker cannot extend
a lock indefinitely by hammering, and the real user gets back in after at most ``WINDOW``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select

from cem_core.db.models import LoginAttempt

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
KEEP = dt.timedelta(days=1)  # older attempts no longer matter to any lock and are pruned

_attempts = LoginAttempt.__table__


def record_attempt(conn: Connection, *, key: str, success: bool, at: dt.datetime) -> None:
    """Store one attempt (``key`` = the normalised username, or a keyed hash of an unknown one)."""
    conn.execute(_attempts.insert().values(username=key, at=at, success=success))
    conn.execute(_attempts.delete().where(_attempts.c.username == key, _attempts.c.at < at - KEEP))


def locked_for(conn: Connection, *, key: str, now: dt.datetime) -> dt.timedelta:
    """How long ``key`` is still locked out (zero when it may try)."""
    c = _attempts.c
    recent = conn.execute(select(c.at, c.success).where(c.username == key, c.at > now - WINDOW)
                          .order_by(c.at.desc(), c.id.desc())).all()
    failures: list[dt.datetime] = []
    for at, success in recent:
        if success:
            break
        failures.append(at)
    if len(failures) < MAX_FAILURES:
        return dt.timedelta(0)
    return max(dt.timedelta(0), failures[MAX_FAILURES - 1] + WINDOW - now)
