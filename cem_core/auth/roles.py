"""Roles and what each may do. Pages and exports ask ``user.can(permission)``, never the role name.

A department lead is scoped: ``User.departments`` restricts every query through ``Filters.departments``.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "analyst", "executive", "uploader", "dept_lead")

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"view_overview", "view_analysis", "upload", "view_imports", "manage_data", "export",
                        "unmask_pii", "manage_users", "view_audit", "delete_customer", "view_actions"}),
    "analyst": frozenset({"view_overview", "view_analysis", "export", "view_imports", "view_actions"}),
    "executive": frozenset({"view_overview", "view_actions"}),
    "uploader": frozenset({"view_overview", "upload", "view_imports"}),
    "dept_lead": frozenset({"view_overview", "view_analysis", "export", "view_actions"}),
}


@dataclass(frozen=True)
class User:
    """Who is using the app; frozen so it can be part of a cache key."""

    username: str
    role: str
    departments: tuple[str, ...] = ()
    display_name: str = ""

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    @property
    def scope(self) -> tuple[str, ...]:
        """Department codes this user's data is limited to; () means every department."""
        return self.departments if self.role == "dept_lead" else ()
