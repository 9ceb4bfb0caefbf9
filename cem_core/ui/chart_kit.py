"""What every analysis chart shares: a click drills down, a drill-down panel, audited downloads.

One ``ChartKit`` per script run holds what these need (engine, user, filters, language), so the
analysis page's tabs only read their controls, call ``cem_core.analyze`` and hand the chart here.
Session-state keys start with ``an_``: they survive reruns and tab switches, and a tab change clears
the drill-down (``clear_drill``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from cem_core import audit
from cem_core.analyze import drivers
from cem_core.analyze.dims import UNKNOWN, names
from cem_core.analyze.drilldown import (
    COLUMNS,
    EXPORT_LIMIT,
    PAGE_SIZE,
    PERSONAL,
    Drill,
    drill_count,
    drill_export,
    drill_page,
)
from cem_core.analyze.exports import IMAGE_FORMATS, audited, chart_bytes
from cem_core.analyze.queries import Filters
from cem_core.auth.roles import User
from cem_core.charts import analysis as charts
from cem_core.export import DATA_FORMATS
from cem_core.i18n import fmt_date, fmt_int, t
from cem_core.privacy.columns import NONE
from cem_core.privacy.release import export_file
from cem_core.ui import cache
from cem_core.ui.specs import SVG, ChartOf, show

DRILL = "an_drill"  # (chart name, Drill) of the open drill-down


def clear_drill() -> None:
    st.session_state.pop(DRILL, None)


def as_key(value: object) -> object:
    """Keys come back from the browser as JSON: whole floats are ids."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


@dataclass
class ChartKit:
    engine: Engine
    user: User
    filters: Filters
    lang: str

    def __post_init__(self) -> None:
        self.can_export, self.unmask = self.user.can("export"), self.user.can("unmask_pii")

    def t(self, key: str, /, **kwargs: object) -> str:
        # t(..., lang) rather than the session's T: format functions also run outside a script run (AppTest)
        return t(key, self.lang, **kwargs)

    def dim_name(self, code: str) -> str:
        return self.t(f"analysis.dim.{code}")

    # --- downloads ---------------------------------------------------------------------------------------

    def downloads(self, name: str, frame: pd.DataFrame, chart: alt.TopLevelMixin | ChartOf | None = None) -> None:
        """Data and image downloads of one chart, built only when clicked, each audited."""
        if not self.can_export:
            return
        formats = [*DATA_FORMATS, *(IMAGE_FORMATS if chart is not None else ())]
        for col, fmt in zip(st.columns(len(formats) + 2)[: len(formats)], formats, strict=True):
            if fmt in DATA_FORMATS:
                data, mime = partial(self._data_file, name, frame, fmt), DATA_FORMATS[fmt]
            else:
                data, mime = partial(self._image_file, name, chart, fmt, len(frame)), IMAGE_FORMATS[fmt]
            col.download_button(self.t(f"analysis.download.{fmt}"), data=data, file_name=f"{name}.{fmt}", mime=mime,
                                key=f"an_dl_{name}_{fmt}", on_click="ignore", icon=":material/download:")

    def _data_file(self, name: str, frame: pd.DataFrame, fmt: str) -> bytes:
        """Aggregates hold no personal column; free text in them is still masked by the one rule."""
        return export_file(self.engine, self.user, {name: frame}, fmt, target=f"analysis:{name}", columns=NONE,
                           detail={"analysis": name})

    def _image_file(self, name: str, chart: alt.TopLevelMixin | ChartOf, fmt: str, rows: int) -> bytes:
        audited(self.engine, self.user.username, name, fmt, rows)
        return chart_bytes(chart.build() if isinstance(chart, ChartOf) else chart, fmt)

    # --- drill-down --------------------------------------------------------------------------------------

    def show_chart(self, name: str, chart: alt.TopLevelMixin | ChartOf, to_drill) -> None:
        """Render ``chart`` with click selection; a new click sets the drill-down, clearing it clears it.

        Clickable charts render as SVG: every mark is an element with an aria-label (screen readers read
        the cells, and browser tests click a cell by what it shows rather than at a guessed position). A
        ``ChartOf`` is drawn from its spec converted once for every session (``ui.specs``)."""
        options = {"key": f"an_chart_{name}", "on_select": "rerun", "selection_mode": charts.PICK, "width": "stretch"}
        if isinstance(chart, ChartOf):
            event = show(chart, SVG, **options)
        else:
            event = st.altair_chart(chart.properties(usermeta=SVG), **options)
        points = list((event.selection.get(charts.PICK) if event is not None else None) or [])
        seen_key = f"an_seen_{name}"
        if points and points != st.session_state.get(seen_key):
            st.session_state[seen_key] = points
            drill = to_drill({k: as_key(v) for k, v in points[0].items()})
            if drill is not None:
                st.session_state[DRILL] = (name, drill)
                st.session_state["an_page"] = 1
        elif (not points and st.session_state.pop(seen_key, None) is not None
              and st.session_state.get(DRILL, (None,))[0] == name):
            clear_drill()

    def drill_panel(self) -> None:
        """The open drill-down's rows, a page at a time, masked unless the user may see personal data."""
        current = st.session_state.get(DRILL)
        if current is None:
            st.caption(self.t("analysis.drill.hint"))
            return
        _, drill = current
        f, lang = self.filters, self.lang
        with st.container(border=True):
            head, close = st.columns([6, 1], vertical_alignment="center")
            head.subheader(self.t("analysis.drill.title", what=self.drill_label(drill)))
            close.button(self.t("analysis.drill.clear"), on_click=clear_drill, key="an_drill_close")
            total = cache.query(drill_count, f, drill)
            pages = max(1, -(-total // PAGE_SIZE))
            st.caption(self.t("analysis.drill.count", n=fmt_int(total, lang), size=PAGE_SIZE))
            page = st.number_input(self.t("analysis.drill.page"), min_value=1, max_value=pages, step=1, key="an_page")
            rows = cache.query(drill_page, f, drill, int(page) - 1, self.unmask, lang)
            if self.unmask:
                self._audit_unmasked_view(drill, int(page), len(rows))
            else:
                st.caption(self.t("analysis.drill.masked"))
            st.dataframe(rows.rename(columns={c: self.t(f"analysis.col.{c}") for c in COLUMNS}), hide_index=True,
                         width="stretch")
            if self.can_export:
                st.caption(self.t("analysis.drill.export_note", n=fmt_int(EXPORT_LIMIT, lang)))
                for col, fmt in zip(st.columns(4)[:2], DATA_FORMATS, strict=True):
                    col.download_button(self.t(f"analysis.download.{fmt}"), data=partial(self._drill_file, drill, fmt),
                                        file_name=f"drilldown.{fmt}", mime=DATA_FORMATS[fmt],
                                        key=f"an_dl_drill_{fmt}", on_click="ignore", icon=":material/download:")

    def _drill_file(self, drill: Drill, fmt: str) -> bytes:
        frame = drill_export(self.engine, self.filters, drill, self.unmask, self.lang)
        return export_file(self.engine, self.user, {"drilldown": frame}, fmt, target="analysis:drilldown",
                           columns=PERSONAL, detail={"analysis": "drilldown"})

    def _audit_unmasked_view(self, drill: Drill, page: int, rows: int) -> None:
        """Log each unmasked page once per session (not on every rerun)."""
        seen = st.session_state.setdefault("an_unmasked_seen", set())
        token = (repr(drill), self.filters, page)
        if token not in seen:
            seen.add(token)
            audit.record(self.engine, self.user.username, "view_unmasked", target="analysis:drilldown", rows=rows)

    def drill_label(self, drill: Drill) -> str:
        """What the drill-down shows, in words: "Channel = 微信小程序; NPS 0-6"."""
        lang = self.lang
        parts = [f"{self.dim_name(code)} = {self._key_name(code, key)}" for code, key in drill.dims]
        if drill.score is not None:
            measure, lo, hi = drill.score
            parts.append(self.t("analysis.drill.what.score", measure=measure.upper(), lo=lo, hi=hi))
        if drill.rating is not None:
            attr, lo, hi = drill.rating
            attribute_names = cache.query(drivers.attribute_names, lang)
            parts.append(self.t("analysis.drill.what.rating", name=attribute_names.get(attr, attr), lo=lo, hi=hi))
        if drill.dates is not None:
            parts.append(self.t("analysis.drill.what.dates", start=fmt_date(drill.dates[0], lang),
                                end=fmt_date(drill.dates[1], lang)))
        return "; ".join(parts)

    def _key_name(self, code: str, key: object) -> str:
        if key is None:
            return UNKNOWN
        table = cache.query(names, code, self.lang)
        mapping = dict(zip(table["key"], table["name"], strict=True))
        return str(mapping.get(key, key))
