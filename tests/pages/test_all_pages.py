"""Every page launches under AppTest on a seeded real database without an exception."""

from __future__ import annotations

import pytest

from cem_core.analyze.overview import build_overview, ces_ci, csat_ci
from cem_core.analyze.queries import Filters
from cem_core.auth.roles import User
from cem_core.db import make_engine
from cem_core.ui.nav import PAGES
from tests.pages_harness import open_page

ADMIN = User("admin", "admin", display_name="Admin")


@pytest.fixture(autouse=True)
def _app(seeded_app: str) -> None:
    """Every test here runs the app on the shared demo database."""


@pytest.mark.parametrize("page", [p.path for p in PAGES])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders(page: str, lang: str) -> None:
    at = open_page(page, ADMIN, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title, "each page shows a title"


def test_overview_shows_kpis_and_filters_narrow_them() -> None:
    # The overview is the default page: opened without switch_page, because AppTest drops the router's
    # sidebar elements from the tree after a switch.
    at = open_page(None, ADMIN)
    values = {m.label: m.value for m in at.metric}
    assert values["Responses"] not in ("", "–", "0")
    total = int(values["Responses"].replace(",", ""))
    at.multiselect(key="flt_channels").select("sms_survey").run()
    narrowed = int({m.label: m.value for m in at.metric}["Responses"].replace(",", ""))
    assert 0 < narrowed < total


def test_overview_cards_show_the_reports_cis(seeded_app: str) -> None:
    """The CSAT and CES cards carry the CIs the executive report prints (one function for both), and the
    CSAT and CES trends are drawn."""
    at = open_page(None, ADMIN, "zh")
    engine = make_engine(seeded_app)
    ov = build_overview(engine, Filters(), "zh")
    engine.dispose()
    assert ov is not None
    captions = [c.value for c in at.caption]
    for ci, digits, n in ((csat_ci(ov.current), 1, ov.current.csat_n), (ces_ci(ov.current), 2, ov.current.ces_n)):
        assert ci is not None
        wanted = f"95% 置信区间 {ci[0]:,.{digits}f} ~ {ci[1]:,.{digits}f}"
        assert any(c.startswith(wanted) and c.endswith(f"n = {n:,}") for c in captions), (wanted, captions)
    assert {"CSAT 月度趋势", "CES 月度趋势"} <= {h.value for h in at.subheader}
