"""The page registry: every page once, with the permission it needs. ``app.py`` builds ``st.navigation``
from the pages the signed-in user may use, and each page also calls ``context.require`` itself.

To add a page: one ``PageSpec`` line here, one thin script in ``pages/``, its strings in
``cem_core/i18n/messages``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cem_core.auth.roles import User
from cem_core.config import PROJECT_ROOT


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the project root
    title_key: str
    icon: str
    permission: str
    section_key: str
    uses_filters: bool = True  # show the shared sidebar filters on this page
    default: bool = False

    @property
    def abspath(self) -> str:
        return str(PROJECT_ROOT / self.path)

    @property
    def url_path(self) -> str:
        return self.path.removeprefix("pages/").removesuffix(".py")


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "nav.overview", ":material/dashboard:", "view_overview", "nav.section.insights",
             default=True),
    PageSpec("pages/upload.py", "nav.upload", ":material/upload_file:", "upload", "nav.section.capture",
             uses_filters=False),
    PageSpec("pages/imports.py", "nav.imports", ":material/history:", "view_imports", "nav.section.capture",
             uses_filters=False),
    PageSpec("pages/analysis.py", "nav.analysis", ":material/analytics:", "view_analysis", "nav.section.insights"),
    PageSpec("pages/journey.py", "nav.journey", ":material/route:", "view_analysis", "nav.section.insights"),
    PageSpec("pages/text.py", "nav.text", ":material/forum:", "view_analysis", "nav.section.insights"),
    PageSpec("pages/data.py", "nav.data", ":material/database:", "manage_data", "nav.section.admin",
             uses_filters=False),
    PageSpec("pages/users.py", "nav.users", ":material/group:", "manage_users", "nav.section.admin",
             uses_filters=False),
    PageSpec("pages/audit.py", "nav.audit", ":material/policy:", "view_audit", "nav.section.admin",
             uses_filters=False),
    PageSpec("pages/text_settings.py", "nav.text_settings", ":material/spellcheck:", "manage_data",
             "nav.section.admin", uses_filters=False),
    PageSpec("pages/privacy.py", "nav.privacy", ":material/person_remove:", "delete_customer", "nav.section.admin",
             uses_filters=False),
)


def allowed_pages(user: User) -> list[PageSpec]:
    return [p for p in PAGES if user.can(p.permission)]
