"""The analysis page runs under AppTest on the demo set: every tab, chart type and option once, filters
applied, a drill-down rendered (masked for an analyst, clear for an admin), access refused without
``view_analysis``."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cem_core.analyze.drilldown import Drill
from cem_core.auth.roles import User
from cem_core.config import PROJECT_ROOT
from tests.pages_harness import assert_clean, open_page, open_tab

ADMIN = User("admin", "admin", display_name="Admin")
ANALYST = User("ana", "analyst", display_name="Analyst")
PAGE = "pages/analysis.py"


@pytest.fixture(autouse=True)
def _app(seeded_app: str) -> None:
    """Every test here runs the app on the shared demo database."""


def _tab(at, label: str):
    return open_tab(at, "an_tab", label)


def _set(at, key: str, value: object) -> None:
    """Choose a widget value through session state: the page's format_func needs a script context."""
    at.session_state[key] = value
    at.run()


def _charts(at) -> int:
    return len(at.get("vega_lite_chart"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_default_tab_renders(lang: str) -> None:
    at = open_page(PAGE, ADMIN, lang)
    assert_clean(at)
    assert at.title[0].value in ("Analysis", "深度分析")
    assert _charts(at) == 1


def test_every_tab_and_option() -> None:
    at = open_page(PAGE, ANALYST, "en")
    assert_clean(at)
    for measure in ("csat", "ces", "ratings"):
        at.session_state["an_measure"] = measure
        at.run()
        assert_clean(at)
        assert _charts(at) == 1
    at.session_state["an_measure"] = "nps"
    for split in ("stage", "region"):
        _set(at, "an_split", split)
        assert_clean(at)
        assert _charts(at) == 1

    _tab(at, "Key drivers")
    assert _charts(at) == 1 and at.metric[0].label == "Model R²"
    _set(at, "an_outcome", "overall_sat")
    _set(at, "an_method", "correlation")
    _set(at, "an_perf", "top2")
    assert_clean(at)
    assert _charts(at) == 1

    _tab(at, "Heat matrix")
    assert _charts(at) == 1
    _set(at, "an_rows", "region")
    _set(at, "an_cols", "segment")
    at.number_input(key="an_matrix_min").set_value(200).run()
    assert_clean(at)
    _set(at, "an_cols", "region")
    assert at.warning and _charts(at) == 0  # same dimension twice

    _tab(at, "Trends")
    for measure in ("nps", "csat", "ces"):
        for grain in ("day", "week", "month"):
            at.session_state["an_trend_measure"] = measure
            at.session_state["an_grain"] = grain
            at.run()
            assert_clean(at)
            assert _charts(at) == 1

    _tab(at, "Segments")
    for dim in ("region", "product", "segment", "channel", "stage", "touchpoint"):
        _set(at, "an_seg_dim", dim)
        assert_clean(at)
        assert _charts(at) == 1

    _tab(at, "Spend")
    assert _charts(at) == 2 and at.metric[0].label == "Detractors' spend at risk"


def test_filters_apply() -> None:
    at = open_page(PAGE, ADMIN, "en")
    _tab(at, "Spend")
    everything = at.metric[0].value
    at.session_state["flt_channels"] = ["sms_survey"]
    at.session_state["flt_regions"] = ["华东"]
    at.run()
    assert_clean(at)
    narrowed = at.metric[0].value
    assert narrowed != everything

    def money(text: str) -> float:
        return float(text.replace("¥", "").replace(",", "").replace("M", "e6"))

    assert 0 < money(narrowed) < money(everything)


@pytest.mark.parametrize(("user", "masked"), [(ANALYST, True), (ADMIN, False)])
def test_drilldown_panel(user: User, masked: bool) -> None:
    at = open_page(PAGE, user, "en")
    at.session_state["an_drill"] = ("hist_nps", Drill(score=("nps", 0, 6)))
    at.run()
    assert_clean(at)
    assert any("Responses: NPS = 0-6" in s.value for s in at.subheader)
    table = at.dataframe[0].value
    assert len(table) == 20 and table["NPS"].max() <= 6
    phones = table["Phone"].dropna()
    assert len(phones) and all(("****" in p) == masked for p in phones)
    at.number_input(key="an_page").set_value(2).run()
    assert_clean(at)
    assert len(at.dataframe[0].value) == 20


def test_needs_permission() -> None:
    """Hidden from an executive's navigation, and a direct run of the script stops at the guard."""
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(PAGE, User("exec", "executive"), "en")
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=60)
    at.session_state["user"] = User("exec", "executive")
    at.session_state["lang"] = "en"
    at.run()
    assert [e.value for e in at.error] == ["You do not have permission to view this page."] and not at.title
