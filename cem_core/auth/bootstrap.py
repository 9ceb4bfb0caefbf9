"""Where the first users come from: the configured first admin, a one-time setup, or the demo accounts.

There is no fixed password anywhere. Until a real administrator exists, the way in is this server's
start token (``start_token``), printed to its terminal: it opens the one-time setup screen and, while
the database holds demo data, the demo accounts (``demo_accounts``: no password, no row in ``users``).
The first real import or the first real user ends demo sign-ins for good: both leave rows that nothing
deletes (import batches stay, marked undone, when undone; users are disabled, never deleted), so
``demo_signin_open`` is a read of lasting facts, not a flag a write could miss.
"""

from __future__ import annotations

from sqlalchemy import Engine, exists, func, select

from cem_core.auth.demo_accounts import DEMO_ROLES, demo_username
from cem_core.auth.roles import User
from cem_core.auth.start_token import matches
from cem_core.auth.users import UserError, insert_user, normalise_username
from cem_core.config import get_setting
from cem_core.db import write_transaction
from cem_core.db.models import AppUser, Department, ImportBatch, Touchpoint

_users = AppUser.__table__
_batches = ImportBatch.__table__
REAL_IMPORT_STATUSES = ("running", "done", "undone")  # rejected and failed imports wrote no rows


def demo_mode(engine: Engine) -> bool:
    """Demo mode = the database holds demo data."""
    with engine.connect() as conn:
        return bool(conn.execute(select(exists().where(_batches.c.is_demo.is_(True)))).scalar())


def is_real_deployment(engine: Engine) -> bool:
    """A real user exists, or a real import ran (even if later undone): demo sign-ins are over for good."""
    real_user = exists().where(_users.c.is_demo.is_(False))
    real_import = exists().where(_batches.c.is_demo.is_(False), _batches.c.status.in_(REAL_IMPORT_STATUSES))
    with engine.connect() as conn:
        return bool(conn.execute(select(real_user | real_import)).scalar())


def demo_signin_open(engine: Engine) -> bool:
    """Demo accounts may be used: demo data is present and this is not yet a real deployment."""
    return demo_mode(engine) and not is_real_deployment(engine)


def _demo_department(engine: Engine) -> str | None:
    """The department owning the most touchpoints: the demo department lead's scope."""
    d, tp = Department.__table__, Touchpoint.__table__
    with engine.connect() as conn:
        return conn.execute(select(d.c.code).join(tp, tp.c.department_id == d.c.id).group_by(d.c.code)
                            .order_by(func.count().desc(), d.c.code).limit(1)).scalar()


def demo_roles(engine: Engine) -> tuple[str, ...]:
    """The roles a demo session can take (a department lead needs a department to be scoped to)."""
    has_dept = _demo_department(engine) is not None
    return tuple(r for r in DEMO_ROLES if r != "dept_lead" or has_dept)


def demo_user(engine: Engine, role: str) -> User | None:
    """The demo account of ``role``; its display name is translated where shown (``access.role.*``)."""
    if role not in demo_roles(engine):
        return None
    dept = _demo_department(engine) if role == "dept_lead" else None
    return User(demo_username(role), role, (dept,) if dept else (), "")


def configured_admin() -> tuple[str, str] | None:
    name, password = get_setting("admin_user").strip(), get_setting("admin_password")
    return (name, password) if name and password else None


def _real_users(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(_users).where(_users.c.is_demo.is_(False)))
                   .scalar_one())


def ensure_configured_admin(engine: Engine) -> bool:
    """Create the admin from ``CEM_ADMIN_USER``/``CEM_ADMIN_PASSWORD`` when no real user exists yet.
    Checked with a read first: the sign-in screen calls this on every run and must not wait for an import."""
    configured = configured_admin()
    if configured is None or _real_users(engine):
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
    """The one-time setup screen shows only while no real user exists and none is configured."""
    return configured_admin() is None and _real_users(engine) == 0


def create_first_admin(engine: Engine, *, username: str, password: str, token: str | None,
                       display_name: str = "") -> None:
    """The setup screen's admin: needs this server's start token (so nobody who merely reaches the server
    can claim it), and is refused if anyone created a real user in the meantime (two browsers racing)."""
    if not matches(token):
        raise UserError("trust_access.bad_token")
    with write_transaction(engine) as conn:
        if conn.execute(select(func.count()).select_from(_users).where(_users.c.is_demo.is_(False))).scalar_one():
            raise UserError("access.setup_done")
        insert_user(conn, username=username, password=password, role="admin", actor="setup",
                    display_name=display_name or username)
