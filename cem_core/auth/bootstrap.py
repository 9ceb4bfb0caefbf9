"""Where the first users come from: the configured first admin, a one-time setup, or demo users.

There is no fixed default password. Demo users (one per role, with passwords shown on the sign-in
screen) exist only while the database holds demo data, and are deleted when the demo data goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, exists, func, select

from cem_core import audit
from cem_core.auth.users import UserError, count_users, insert_user, normalise_username
from cem_core.config import get_setting
from cem_core.db import write_transaction
from cem_core.db.models import AppUser, Department, ImportBatch, Touchpoint

_users = AppUser.__table__


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str


DEMO_USERS = tuple(DemoUser(f"demo_{role}", f"demo-{role}-pass", role)
                   for role in ("admin", "analyst", "executive", "uploader", "dept_lead"))


def demo_mode(engine: Engine) -> bool:
    """Demo mode = the database holds demo data."""
    with engine.connect() as conn:
        return bool(conn.execute(select(exists().where(ImportBatch.__table__.c.is_demo.is_(True)))).scalar())


def configured_admin() -> tuple[str, str] | None:
    name, password = get_setting("admin_user").strip(), get_setting("admin_password")
    return (name, password) if name and password else None


def ensure_configured_admin(engine: Engine) -> bool:
    """Create the admin from ``CEM_ADMIN_USER``/``CEM_ADMIN_PASSWORD`` when no real user exists yet."""
    configured = configured_admin()
    if configured is None:
        return False
    with write_transaction(engine) as conn:
        real = conn.execute(select(func.count()).select_from(_users).where(_users.c.is_demo.is_(False))).scalar_one()
        if real or conn.execute(select(_users.c.id).where(
                _users.c.username == normalise_username(configured[0]))).first():
            return False
        insert_user(conn, username=configured[0], password=configured[1], role="admin", actor="config",
                    display_name=configured[0])
    return True


def needs_setup(engine: Engine) -> bool:
    """The one-time setup screen shows only while no user exists at all and none is configured."""
    return configured_admin() is None and count_users(engine) == 0


def create_first_admin(engine: Engine, *, username: str, password: str, display_name: str = "") -> None:
    """The setup screen's admin; refused if anyone created a user in the meantime (two browsers racing)."""
    with write_transaction(engine) as conn:
        if conn.execute(select(func.count()).select_from(_users)).scalar_one():
            raise UserError("access.setup_done")
        insert_user(conn, username=username, password=password, role="admin", actor="setup",
                    display_name=display_name or username)


def _demo_department(engine: Engine) -> str | None:
    """The department owning the most touchpoints: the demo department lead's scope."""
    d, tp = Department.__table__, Touchpoint.__table__
    with engine.connect() as conn:
        return conn.execute(select(d.c.code).join(tp, tp.c.department_id == d.c.id).group_by(d.c.code)
                            .order_by(func.count().desc(), d.c.code).limit(1)).scalar()


def sync_demo_users(engine: Engine) -> None:
    """Demo users exist exactly while demo data does."""
    with engine.connect() as conn:
        present = set(conn.execute(select(_users.c.username).where(_users.c.is_demo.is_(True))).scalars())
    if demo_mode(engine):
        missing = [u for u in DEMO_USERS if u.username not in present]
        if not missing:
            return
        dept = _demo_department(engine)
        with write_transaction(engine) as conn:
            for u in missing:
                if u.role == "dept_lead" and dept is None:
                    continue
                if conn.execute(select(_users.c.id).where(_users.c.username == u.username)).first():
                    continue  # created by a concurrent session
                insert_user(conn, username=u.username, password=u.password, role=u.role, actor="demo",
                            display_name=f"Demo {u.role}", departments=(dept,) if u.role == "dept_lead" else (),
                            is_demo=True)
    elif present:
        with write_transaction(engine) as conn:
            removed = conn.execute(_users.delete().where(_users.c.is_demo.is_(True))).rowcount
            audit.record(conn, "demo", "demo_users_removed", rows=removed)
