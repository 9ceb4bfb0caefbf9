"""Single sign-on (OIDC via ``st.login``): which app user an identity provider's claims become.

The role comes from the users table first (an admin pre-creates the person by email and sets role and
departments), else from a configured claim (``CEM_SSO_ROLE_CLAIM``, e.g. ``roles`` or ``groups``) whose
value names a role. A department lead needs departments, which only the users table can give.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from cem_core import audit
from cem_core.auth import journal
from cem_core.auth.roles import ROLES, User
from cem_core.auth.users import create_user, get_user, normalise_username, touch_sign_in
from cem_core.config import get_setting


def role_from_claims(claims: Mapping[str, object], claim: str) -> str | None:
    """The first role named in ``claims[claim]`` (a string or a list); department lead is never taken."""
    if not claim:
        return None
    value = claims.get(claim)
    values = value if isinstance(value, list | tuple) else [value]
    return next((str(v) for v in values if str(v) in ROLES and v != "dept_lead"), None)


def user_from_claims(engine: Engine, claims: Mapping[str, object]) -> User | None:
    """The app user for a signed-in identity, or None when they have no access here (audited)."""
    email = normalise_username(str(claims.get("email") or ""))
    if not email:
        return None
    record = get_user(engine, username=email)
    if record is None:
        role = role_from_claims(claims, get_setting("sso_role_claim"))
        if role is None:
            audit.record(engine, email, "sign_in_failed", target=email, detail={"reason": "sso_no_role"})
            return None
        record = create_user(engine, username=email, role=role, actor="sso",
                             display_name=str(claims.get("name") or ""))
    if not record.can_sign_in:
        audit.record(engine, email, "sign_in_failed", target=email, detail={"reason": "disabled"})
        return None
    journal.write(engine, audit=[audit.entry(email, "sign_in", target=email, detail={"method": "sso"})],
                  also=lambda conn: touch_sign_in(conn, username=email))  # never waits for an import
    return record.as_user()
