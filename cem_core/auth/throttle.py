"""Throttling of failed sign-ins, stored in ``login_attempts`` so it survives reruns, restarts and processes.

Rule: after ``MAX_FAILURES`` failed attempts for one username within ``WINDOW`` (and since its last
success), further attempts are refused without checking the password until the oldest of those
failures is ``WINDOW`` old. Refused attempts are audited but not counted, so an attacker cannot extend
a lock indefinitely by hammering, and the real user gets back in after at most ``WINDOW``.
Attempts are written through ``journal`` (never waiting for an import), so the count includes attempts
still in its queue.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, select

from cem_core.auth import journal
from cem_core.db.models import LoginAttempt

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
KEEP = dt.timedelta(days=1)  # older attempts no longer matter to any lock and are pruned

_attempts = LoginAttempt.__table__


def attempt(*, key: str, success: bool, at: dt.datetime) -> dict[str, object]:
    """One attempt's row (``key`` = the normalised username, or a keyed hash of an unknown one)."""
    return {"username": key, "at": at, "success": success}


def prune(conn: Connection, *, key: str, at: dt.datetime) -> None:
    """Drop attempts of ``key`` too old to matter to any lock."""
    conn.execute(_attempts.delete().where(_attempts.c.username == key, _attempts.c.at < at - KEEP))


def locked_for(engine: Engine, *, key: str, now: dt.datetime) -> dt.timedelta:
    """How long ``key`` is still locked out (zero when it may try)."""
    c = _attempts.c
    with engine.connect() as conn:
        stored = conn.execute(select(c.at, c.success, c.id).where(c.username == key, c.at > now - WINDOW)).all()
    queued = journal.queued_attempts(engine, key=key, since=now - WINDOW)
    # Queued attempts are newer than stored ones of the same time: order by (time, stored first, id).
    recent = sorted([(at, 0, i, ok) for at, ok, i in stored] + [(at, 1, i, ok) for at, ok, i in queued], reverse=True)
    failures: list[dt.datetime] = []
    for at, _queued, _id, success in recent:
        if success:
            break
        failures.append(at)
    if len(failures) < MAX_FAILURES:
        return dt.timedelta(0)
    return max(dt.timedelta(0), failures[MAX_FAILURES - 1] + WINDOW - now)
