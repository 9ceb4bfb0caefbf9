"""The alerts page's navigation title with the signed-in user's unread count."""

from __future__ import annotations

from cem_core.alerts.inbox import unread_count
from cem_core.auth.roles import User
from cem_core.ui import cache
from cem_core.ui.context import T
from cem_core.ui.nav import PageSpec


def nav_title(spec: PageSpec, user: User) -> str:
    if spec.path != "pages/alerts.py":
        return T(spec.title_key)
    n = unread_count(cache.engine(), user)
    return T("nav.alerts_unread", n=n) if n else T(spec.title_key)
