"""Sign-in: argon2 hashes only, throttling stored in the database, disabled users, first admin, demo users, SSO."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, text

from cem_core.auth import throttle
from cem_core.auth.bootstrap import create_first_admin, ensure_configured_admin, needs_setup
from cem_core.auth.session import SessionPolicy, expired
from cem_core.auth.signin import authenticate
from cem_core.auth.sso import role_from_claims, user_from_claims
from cem_core.auth.start_token import start_token
from cem_core.auth.users import UserError, create_user, get_user, list_users, set_password, update_user
from cem_core.db import make_engine, write_transaction
from cem_core.db.models import AuditEntry, Base
from cem_core.reference import ensure_base

PASSWORD = "Correct-Horse-42"


def _dump(engine: Engine) -> str:
    """Every text value in every table: the place a clear password must not be."""
    parts = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def _audit(engine: Engine) -> list[tuple]:
    a = AuditEntry.__table__.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(a.actor, a.action, a.target, a.detail).order_by(a.id))]


def test_password_is_stored_as_argon2_hash_and_never_in_clear(engine: Engine) -> None:
    create_user(engine, username="Alice", role="analyst", password=PASSWORD, actor="test")
    assert authenticate(engine, username="alice", password="wrong-password-1").user is None
    signed = authenticate(engine, username=" ALICE ", password=PASSWORD)
    assert signed.user is not None and signed.user.role == "analyst" and signed.user.username == "alice"
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users WHERE username = 'alice'")).scalar_one()
    assert stored.startswith("$argon2id$")
    dump = _dump(engine)
    assert PASSWORD not in dump and "wrong-password-1" not in dump
    actions = [a[1] for a in _audit(engine)]
    assert actions == ["user_create", "sign_in_failed", "sign_in"]
    assert get_user(engine, username="alice").last_sign_in_at is not None


def test_password_typed_as_username_is_not_recorded(engine: Engine) -> None:
    authenticate(engine, username=PASSWORD, password="x")
    assert PASSWORD.lower() not in _dump(engine).lower()
    assert _audit(engine)[-1][:3] == ("(unknown)", "sign_in_failed", "(unknown)")


def test_wrong_password_is_throttled_across_engines(engine: Engine) -> None:
    create_user(engine, username="bob", role="executive", password=PASSWORD, actor="test")
    t0 = dt.datetime(2026, 1, 1, 9, 0)
    for i in range(throttle.MAX_FAILURES):
        result = authenticate(engine, username="bob", password=f"guess-{i}", now=t0 + dt.timedelta(seconds=i))
        assert result.reason == "access.bad_credentials"
    # A new engine = another process or rerun: the lock is in the database, and even the right password waits.
    other = make_engine(engine.url.render_as_string(hide_password=False))
    locked = authenticate(other, username="bob", password=PASSWORD, now=t0 + dt.timedelta(minutes=1))
    assert locked.user is None and locked.reason == "access.throttled" and locked.wait_seconds > 0
    assert _audit(other)[-1][1] == "sign_in_throttled"
    later = t0 + throttle.WINDOW + dt.timedelta(seconds=1)
    assert authenticate(other, username="bob", password=PASSWORD, now=later).user is not None
    other.dispose()


def test_unknown_usernames_are_throttled_too(engine: Engine) -> None:
    t0 = dt.datetime(2026, 1, 1, 9, 0)
    for i in range(throttle.MAX_FAILURES):
        authenticate(engine, username="nobody", password="x", now=t0 + dt.timedelta(seconds=i))
    assert authenticate(engine, username="nobody", password="x", now=t0 + dt.timedelta(minutes=1)).reason == \
        "access.throttled"


def test_disabled_user_cannot_sign_in(engine: Engine) -> None:
    create_user(engine, username="admin1", role="admin", password=PASSWORD, actor="test")
    create_user(engine, username="carol", role="uploader", password=PASSWORD, actor="test")
    update_user(engine, username="carol", disabled=True, actor="admin1")
    result = authenticate(engine, username="carol", password=PASSWORD)
    assert result.user is None and result.reason == "access.disabled"
    update_user(engine, username="carol", disabled=False, actor="admin1")
    assert authenticate(engine, username="carol", password=PASSWORD).user is not None
    assert [a[1] for a in _audit(engine)][2:4] == ["user_disable", "sign_in_failed"]


def test_user_changes_are_validated_and_audited(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        ensure_base(conn)
    create_user(engine, username="root", role="admin", password=PASSWORD, actor="setup")
    with pytest.raises(UserError) as err:
        create_user(engine, username="dora", role="dept_lead", password=PASSWORD, actor="root")
    assert err.value.key == "access.dept_lead_needs_department"
    with pytest.raises(UserError) as err:
        create_user(engine, username="dora", role="analyst", password="short", actor="root")
    assert err.value.key == "access.pw_too_short"
    with pytest.raises(UserError):
        create_user(engine, username="dora", role="dept_lead", password=PASSWORD, departments=("nope",), actor="root")
    with engine.connect() as conn:
        dept = conn.execute(text("SELECT code FROM departments ORDER BY code")).scalars().first()
    dora = create_user(engine, username="dora", role="dept_lead", password=PASSWORD, departments=(dept,), actor="root")
    assert dora.as_user().scope == (dept,)
    update_user(engine, username="dora", role="analyst", actor="root")
    assert get_user(engine, username="dora").departments == ()
    set_password(engine, username="dora", password="Another-Pass-99", actor="root")
    assert authenticate(engine, username="dora", password="Another-Pass-99").user is not None
    with pytest.raises(UserError) as err:  # the last enabled admin stays
        update_user(engine, username="root", disabled=True, actor="root")
    assert err.value.key == "access.last_admin"
    assert get_user(engine, username="root").disabled is False
    actions = [a[1] for a in _audit(engine)]
    assert actions[:4] == ["user_create", "user_create", "user_update", "user_password_reset"]
    assert "Another-Pass-99" not in _dump(engine)


def test_first_admin_from_environment(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    assert needs_setup(engine)
    monkeypatch.setenv("CEM_ADMIN_USER", "boss")
    monkeypatch.setenv("CEM_ADMIN_PASSWORD", PASSWORD)
    assert not needs_setup(engine)
    assert ensure_configured_admin(engine) is True
    assert ensure_configured_admin(engine) is False  # once
    assert authenticate(engine, username="boss", password=PASSWORD).user.role == "admin"


def test_setup_creates_one_admin_only(engine: Engine) -> None:
    with pytest.raises(UserError) as err:  # only with this server's start token
        create_first_admin(engine, username="first", password=PASSWORD, token="guess")
    assert err.value.key == "trust_access.bad_token" and needs_setup(engine)
    create_first_admin(engine, username="first", password=PASSWORD, token=start_token())
    assert not needs_setup(engine)
    with pytest.raises(UserError):
        create_first_admin(engine, username="second", password=PASSWORD, token=start_token())
    assert [u.username for u in list_users(engine)] == ["first"]


def test_session_expiry() -> None:
    limits = SessionPolicy(idle_seconds=60, max_seconds=3600)
    assert expired(signed_in_at=None, last_seen=None, now=0, limits=limits)
    assert not expired(signed_in_at=0, last_seen=30, now=80, limits=limits)
    assert expired(signed_in_at=0, last_seen=10, now=80, limits=limits)  # idle
    assert expired(signed_in_at=0, last_seen=3590, now=3601, limits=limits)  # absolute


def test_sso_roles_from_table_or_claim(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    assert role_from_claims({"groups": ["staff", "analyst"]}, "groups") == "analyst"
    assert role_from_claims({"groups": "dept_lead"}, "groups") is None
    assert user_from_claims(engine, {"email": "eve@corp.example", "groups": ["analyst"]}) is None  # no claim set
    create_user(engine, username="Pat@Corp.example", role="executive", actor="admin")  # admin-maintained, no password
    assert user_from_claims(engine, {"email": "pat@corp.example"}).role == "executive"
    assert authenticate(engine, username="pat@corp.example", password="").user is None
    monkeypatch.setenv("CEM_SSO_ROLE_CLAIM", "groups")
    eve = user_from_claims(engine, {"email": "eve@corp.example", "name": "Eve", "groups": ["analyst"]})
    assert eve is not None and eve.role == "analyst"
    update_user(engine, username="eve@corp.example", disabled=True, actor="admin")
    assert user_from_claims(engine, {"email": "eve@corp.example", "groups": ["analyst"]}) is None


def test_concurrent_sign_ins_hash_at_most_one_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each argon2 verification holds 64 MiB: many sessions signing in at once run as many at a time as
    there are cores (the rest wait), so the server's memory does not grow with the number of sign-ins."""
    import threading

    from cem_core.auth import passwords

    stored = passwords.hash_password(PASSWORD)
    real, lock, inside, peak = passwords._hasher, threading.Lock(), [0], [0]

    class Counting:  # the real hasher, counting the verifications running at the same moment
        def verify(self, hashed: str, password: str) -> bool:
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            try:
                return real.verify(hashed, password)
            finally:
                with lock:
                    inside[0] -= 1

        def check_needs_rehash(self, hashed: str) -> bool:
            return real.check_needs_rehash(hashed)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    slots = passwords.CONCURRENT
    results: list[tuple[bool, bool]] = []
    threads = [threading.Thread(target=lambda: results.append(passwords.verify(stored, PASSWORD)))
               for _ in range(3 * slots + 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [(True, False)] * len(threads)
    assert 1 <= peak[0] <= slots
