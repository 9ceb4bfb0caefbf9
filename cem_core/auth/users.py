"""User records: keyword-only create/read/update functions over ``users`` and ``user_departments``.

Every change is written to the audit log in the same transaction (who changed whom, which fields;
never a password). Errors are ``UserError`` carrying an i18n key, so pages show them translated.
A demo account may neither create nor change accounts, roles or passwords (``refuse_demo_actor``): a
visitor trying the demo must not be able to leave a lasting way in. The demo names are reserved.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select

from cem_core import audit
from cem_core.auth.demo_accounts import is_demo_username
from cem_core.auth.passwords import hash_password, weakness
from cem_core.auth.roles import ROLES, User
from cem_core.db import write_transaction
from cem_core.db.models import AppUser, Department, UserDepartment

_users = AppUser.__table__
_links = UserDepartment.__table__
_depts = Department.__table__
_USERNAME = re.compile(r"^[\w.@+-]{2,128}$")


class UserError(ValueError):
    """A refused change; ``key`` is an i18n message key, ``kwargs`` its values."""

    def __init__(self, key: str, **kwargs: object) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    role: str
    departments: tuple[str, ...]
    disabled: bool
    is_demo: bool
    has_password: bool
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None

    def as_user(self) -> User:
        return User(self.username, self.role, self.departments if self.role == "dept_lead" else (),
                    self.display_name or self.username)

    @property
    def can_sign_in(self) -> bool:
        """Disabled users cannot; nor can a department lead left without a department (no scope to show)."""
        return not self.disabled and not (self.role == "dept_lead" and not self.departments)


def normalise_username(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw or "").strip().lower()


def refuse_demo_actor(actor: str) -> None:
    """Account changes are never made by a demo account, whichever page or command asks."""
    if is_demo_username(actor):
        raise UserError("trust_access.demo_cannot_manage_users")


def _departments_of(conn: Connection, user_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    ids = list(user_ids)
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        stmt = (select(_links.c.user_id, _depts.c.code).join(_depts, _depts.c.id == _links.c.department_id)
                .where(_links.c.user_id.in_(ids)).order_by(_depts.c.code))
        for user_id, code in conn.execute(stmt):
            out[user_id].append(code)
    return {k: tuple(v) for k, v in out.items()}


def _records(conn: Connection, where=None) -> list[UserRecord]:
    stmt = select(_users).order_by(_users.c.username)
    if where is not None:
        stmt = stmt.where(where)
    rows = conn.execute(stmt).mappings().all()
    depts = _departments_of(conn, [r["id"] for r in rows])
    return [UserRecord(id=r["id"], username=r["username"], display_name=r["display_name"], role=r["role"],
                       departments=depts[r["id"]], disabled=bool(r["disabled"]), is_demo=bool(r["is_demo"]),
                       has_password=r["password_hash"] is not None, created_at=r["created_at"],
                       last_sign_in_at=r["last_sign_in_at"]) for r in rows]


def get_user(target: Engine | Connection, *, username: str) -> UserRecord | None:
    name = normalise_username(username)
    if isinstance(target, Connection):
        found = _records(target, _users.c.username == name)
    else:
        with target.connect() as conn:
            found = _records(conn, _users.c.username == name)
    return found[0] if found else None


def list_users(engine: Engine) -> list[UserRecord]:
    with engine.connect() as conn:
        return _records(conn)


def count_users(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(_users)).scalar_one())


def password_hash(conn: Connection, *, username: str) -> str | None:
    return conn.execute(select(_users.c.password_hash).where(
        _users.c.username == normalise_username(username))).scalar()


def _department_ids(conn: Connection, codes: Iterable[str]) -> list[int]:
    codes = sorted(set(codes))
    found = dict(conn.execute(select(_depts.c.code, _depts.c.id).where(_depts.c.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise UserError("access.unknown_department", codes=", ".join(missing))
    return [found[c] for c in codes]


def _check_role(role: str, departments: tuple[str, ...]) -> None:
    if role not in ROLES:
        raise UserError("access.unknown_role", role=role)
    if role == "dept_lead" and not departments:
        raise UserError("access.dept_lead_needs_department")


def _set_departments(conn: Connection, user_id: int, role: str, departments: tuple[str, ...]) -> None:
    conn.execute(_links.delete().where(_links.c.user_id == user_id))
    if role == "dept_lead":
        ids = _department_ids(conn, departments)
        conn.execute(_links.insert(), [{"user_id": user_id, "department_id": d} for d in ids])


def insert_user(conn: Connection, *, username: str, role: str, actor: str, password: str | None = None,
                display_name: str = "", departments: tuple[str, ...] = ()) -> UserRecord:
    """Create a user inside the caller's transaction (see ``create_user``)."""
    refuse_demo_actor(actor)
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise UserError("access.bad_username")
    if is_demo_username(name):
        raise UserError("trust_access.reserved_username", username=name)
    _check_role(role, departments)
    if password is not None and (why := weakness(password, name)):
        raise UserError(why)
    if conn.execute(select(_users.c.id).where(_users.c.username == name)).first():
        raise UserError("access.user_exists", username=name)
    user_id = conn.execute(_users.insert().values(
        username=name, display_name=display_name.strip(), role=role, disabled=False, is_demo=False,
        password_hash=hash_password(password) if password is not None else None,
        created_at=dt.datetime.now(), created_by=actor).returning(_users.c.id)).scalar_one()
    _set_departments(conn, user_id, role, departments)
    audit.record(conn, actor, "user_create", target=name,
                 detail={"role": role, "departments": list(departments), "password": password is not None})
    return _records(conn, _users.c.id == user_id)[0]


def create_user(engine: Engine, *, username: str, role: str, actor: str, password: str | None = None,
                display_name: str = "", departments: tuple[str, ...] = ()) -> UserRecord:
    """A new user; ``password=None`` makes an SSO-only account that cannot sign in with a password."""
    with write_transaction(engine) as conn:
        return insert_user(conn, username=username, role=role, actor=actor, password=password,
                           display_name=display_name, departments=departments)


def _enabled_admins(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_users).where(
        _users.c.role == "admin", _users.c.disabled.is_(False))).scalar_one())


def update_user(engine: Engine, *, username: str, actor: str, role: str | None = None,
                departments: tuple[str, ...] | None = None, display_name: str | None = None,
                disabled: bool | None = None) -> UserRecord:
    """Change role, departments, display name or the disabled flag; the last enabled admin stays an admin."""
    refuse_demo_actor(actor)
    with write_transaction(engine) as conn:
        current = get_user(conn, username=username)
        if current is None:
            raise UserError("access.no_such_user")
        new_role = current.role if role is None else role
        new_depts = current.departments if departments is None else tuple(departments)
        _check_role(new_role, new_depts if new_role == "dept_lead" else ())
        changes: dict[str, object] = {}
        values: dict[str, object] = {}
        if new_role != current.role:
            changes["role"] = [current.role, new_role]
            values["role"] = new_role
        if departments is not None and tuple(sorted(new_depts)) != current.departments:
            changes["departments"] = [list(current.departments), sorted(new_depts)]
        if display_name is not None and display_name.strip() != current.display_name:
            changes["display_name"] = True
            values["display_name"] = display_name.strip()
        if disabled is not None and disabled != current.disabled:
            changes["disabled"] = disabled
            values["disabled"] = disabled
        if not changes:
            return current
        if values:
            conn.execute(_users.update().where(_users.c.id == current.id).values(**values))
        if "role" in changes or "departments" in changes:
            _set_departments(conn, current.id, new_role, new_depts)
        if current.role == "admin" and not current.disabled and _enabled_admins(conn) == 0:
            raise UserError("access.last_admin")
        action = "user_disable" if changes.get("disabled") is True else (
            "user_enable" if changes.get("disabled") is False else "user_update")
        audit.record(conn, actor, action, target=current.username, detail=changes)
        return _records(conn, _users.c.id == current.id)[0]


def set_password(engine: Engine, *, username: str, password: str, actor: str) -> None:
    """Replace a user's password (admin reset or own change); only its argon2 hash is stored."""
    refuse_demo_actor(actor)
    name = normalise_username(username)
    if why := weakness(password, name):
        raise UserError(why)
    with write_transaction(engine) as conn:
        done = conn.execute(_users.update().where(_users.c.username == name).values(
            password_hash=hash_password(password))).rowcount
        if not done:
            raise UserError("access.no_such_user")
        audit.record(conn, actor, "user_password_reset", target=name)


def touch_sign_in(conn: Connection, *, username: str, new_hash: str | None = None) -> None:
    values: dict[str, object] = {"last_sign_in_at": dt.datetime.now()}
    if new_hash is not None:
        values["password_hash"] = new_hash
    conn.execute(_users.update().where(_users.c.username == normalise_username(username)).values(**values))
