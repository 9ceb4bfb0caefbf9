"""Journey: the journey map (first view), the emotion curve, peak-end analysis, one customer's story, and
(for admins) the journey template editor. Tabs run lazily; the map's click opens a touchpoint's
responses (``ChartKit`` drill-down, masked unless the user may see personal data)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import streamlit as st

from cem_core.analyze.drilldown import Drill
from cem_core.analyze.queries import date_bounds, previous_period, text_dimension_values
from cem_core.charts import analysis as analysis_charts
from cem_core.charts import journey as charts
from cem_core.demo.catalog import INDUSTRIES
from cem_core.i18n import fmt_date, fmt_int, fmt_num, t
from cem_core.journey import curve, journeymap, peakend, sources, story
from cem_core.journey import templates as tpl
from cem_core.reference import DEPARTMENTS
from cem_core.ui import cache
from cem_core.ui.chart_kit import DRILL, ChartKit, clear_drill
from cem_core.ui.context import T, lang, require
from cem_core.ui.filters import current_filters

user = require("view_analysis")
L = lang()
f = current_filters()
engine = cache.engine()
kit = ChartKit(engine, user, f, L)
TABS = ("map", "curve", "peakend", "customer", *(("template",) if user.can("manage_data") else ()))


def _touchpoint_names() -> dict[int, str]:
    lay = cache.query(tpl.layout, L, True)
    lay = lay[lay["touchpoint_id"].notna()]
    return {int(i): f"{tp} · {s}" for i, tp, s in zip(lay["touchpoint_id"], lay["touchpoint"], lay["stage"],
                                                       strict=True)}


# --- journey map -------------------------------------------------------------------------------------------

def tab_map() -> None:
    measure = st.segmented_control(T("journey.measure_pick"), list(journeymap.MEASURES), key="jr_map_measure",
                                   format_func=lambda m: t(f"journey.measure.{m}", L), default="nps") or "nps"
    frame = journeymap.with_score(cache.query(journeymap.touchpoint_map, f, L), measure)
    if frame.empty or frame["responses"].sum() == 0:
        st.info(T("journey.no_rows"))
        return
    chart = charts.journey_map(frame, measure, L)
    kit.show_chart("jmap", chart, lambda p: Drill(dims=(("touchpoint", p.get("touchpoint_id")),))
                   if p.get("touchpoint_id") is not None else None)
    has_text = frame["neg_share"].notna().any()
    st.caption(T("journey.map.read", n=journeymap.MIN_N) + " " +
               T("journey.map.text_on" if has_text else "journey.map.text_off"))
    table = frame[["stage", "touchpoint", "department", "score", "n", "responses", "neg_share", "top_topic",
                   "low_n"]].rename(columns={
                       "stage": T("journey.col.stage"), "touchpoint": T("journey.col.touchpoint"),
                       "department": T("journey.col.department"), "score": t(f"journey.measure.{measure}", L),
                       "responses": T("journey.col.volume"), "neg_share": T("journey.col.neg_share"),
                       "top_topic": T("journey.col.top_topic"), "low_n": T("journey.col.low_n")})
    with st.expander(T("journey.map.table")):
        st.dataframe(table, hide_index=True, width="stretch")
    kit.downloads(f"journey_map_{measure}", table, chart)
    touchpoint_detail(measure)


def touchpoint_detail(measure: str) -> None:
    """For a clicked touchpoint: its score histogram and negative topics, then its responses."""
    current = st.session_state.get(DRILL)
    if current is None or current[0] != "jmap":
        st.caption(T("journey.map.click"))
        return
    tid = dict(current[1].dims).get("touchpoint")
    if tid is None:
        return
    left, right = st.columns([3, 2])
    with left:
        hist = cache.query(journeymap.touchpoint_histogram, f, int(tid), measure)
        if hist["n"].sum():
            st.altair_chart(analysis_charts.score_histogram(hist, measure, L), width="stretch")
    with right:
        topics = cache.query(sources.topics, f, L, int(tid))
        if topics is None:
            st.caption(T("journey.map.no_topics"))
        else:
            st.dataframe(topics[["topic", "negative"]].rename(columns={
                "topic": T("journey.col.top_topic"), "negative": T("journey.col.negative")}), hide_index=True)
    kit.drill_panel()


# --- emotion curve -----------------------------------------------------------------------------------------

def tab_curve() -> None:
    c1, c2, c3 = st.columns(3)
    measure = c1.segmented_control(T("journey.measure_pick"), ["csat", "nps", "ces"], key="jr_curve_measure",
                                   format_func=lambda m: t(f"journey.measure.{m}", L), default="csat") or "csat"
    level = c2.segmented_control(T("journey.curve.level"), list(curve.LEVELS), key="jr_curve_level",
                                 format_func=lambda v: t(f"journey.curve.level.{v}", L), default="touchpoint") \
        or "touchpoint"
    compare = c3.selectbox(T("journey.curve.compare"), ["none", "segment", "period"], key="jr_compare",
                           format_func=lambda v: t(f"journey.curve.compare.{v}", L))
    if compare == "segment":
        values = cache.query(text_dimension_values, "segment")
        if len(values) < 2:
            st.info(T("journey.curve.need_two"))
            return
        s1, s2 = st.columns(2)
        a = s1.selectbox(T("journey.curve.first"), values, key="jr_seg_a")
        b = s2.selectbox(T("journey.curve.second"), values, index=1, key="jr_seg_b")
        data = cache.query(curve.compare, dataclasses.replace(f, segments=(a,)),
                           dataclasses.replace(f, segments=(b,)), (a, b), measure, level, L)
    elif compare == "period":
        lo, hi = f.date_from, f.date_to
        if lo is None or hi is None:
            lo, hi = cache.query(date_bounds)
        if lo is None or hi is None:
            st.info(T("journey.no_rows"))
            return
        p_lo, p_hi = previous_period(lo, hi)
        labels = (T("journey.curve.this_period", start=fmt_date(lo, L), end=fmt_date(hi, L)),
                  T("journey.curve.prev_period", start=fmt_date(p_lo, L), end=fmt_date(p_hi, L)))
        data = cache.query(curve.compare, f.with_dates(lo, hi), f.with_dates(p_lo, p_hi), labels, measure, level, L)
    else:
        data = cache.query(curve.emotion_curve, f, measure, level, L)
    if data.empty or data["n"].sum() == 0:
        st.info(T("journey.no_rows"))
        return
    chart = charts.emotion_curve(data, measure, L)
    st.altair_chart(chart, width="stretch")
    low = data[data["lowest"]]
    if not low.empty:
        parts = [f"{r.label} ({fmt_num(r.mean, L, 2)}, n={fmt_int(r.n, L)})" for r in low.itertuples()]
        st.caption(T("journey.curve.lowest_list", points="; ".join(parts)))
    st.caption(T("journey.curve.read", n=curve.MIN_N))
    kit.downloads(f"emotion_curve_{measure}", data.drop(columns=["stage_id", "touchpoint_id"]), chart)


# --- peak-end ----------------------------------------------------------------------------------------------

def tab_peakend() -> None:
    measure = st.segmented_control(T("journey.pe.measure"), ["csat", "nps", "ces"], key="jr_pe_measure",
                                   format_func=lambda m: t(f"journey.measure.{m}", L), default="csat") or "csat"
    res = cache.query(peakend.peak_end, f, measure)
    if res.journeys < peakend.MIN_TOUCHPOINTS or res.winner is None:
        st.info(T("journey.pe.none", k=peakend.MIN_TOUCHPOINTS))
        return
    m1, m2, m3 = st.columns(3)
    m1.metric(T("journey.pe.journeys"), fmt_int(res.journeys, L))
    m2.metric(T("journey.pe.winner"), T(f"journey.pe.{res.winner}"))
    m3.metric(T("journey.pe.margin"), fmt_num(res.margin, L, 3))
    lo, hi = res.margin_ci or (None, None)
    st.markdown(T("journey.pe.verdict_clear" if res.clear else "journey.pe.verdict_unclear",
                  winner=T(f"journey.pe.{res.winner}"), runner=T(f"journey.pe.{res.runner_up}"),
                  margin=fmt_num(res.margin, L, 3), lo=fmt_num(lo, L, 3), hi=fmt_num(hi, L, 3)))
    if res.peak_end_minus_mean is not None and res.peak_end_minus_mean_ci is not None:
        d_lo, d_hi = res.peak_end_minus_mean_ci
        key = ("journey.pe.vs_mean_pe" if d_lo > 0 else "journey.pe.vs_mean_mean" if d_hi < 0
               else "journey.pe.vs_mean_tie")
        st.markdown(T(key, d=fmt_num(res.peak_end_minus_mean, L, 3), lo=fmt_num(d_lo, L, 3), hi=fmt_num(d_hi, L, 3)))
    table = pd.DataFrame([{"predictor": p.name, "r": p.r, "lo": p.ci[0] if p.ci else None,
                           "hi": p.ci[1] if p.ci else None, "n": p.n, "winner": p.name == res.winner}
                          for p in res.predictors.values()])
    chart = charts.predictor_bars(table, L)
    st.altair_chart(chart, width="stretch")
    st.caption(T("journey.pe.research"))
    kit.downloads(f"peak_end_{measure}", table, chart)

    names = _touchpoint_names()
    left, right = st.columns(2)
    with left:
        st.subheader(T("journey.pe.neg_peaks"))
        neg = res.negative_peaks.head(8).assign(name=lambda d: d["touchpoint_id"].map(names))
        if neg.empty:
            st.caption(T("journey.no_rows"))
        else:
            st.altair_chart(charts.touchpoint_bars(neg, "rate", T("journey.pe.rate_axis"), L), width="stretch")
            st.caption(T("journey.pe.neg_read"))
    with right:
        st.subheader(T("journey.pe.ends"))
        ends = res.ends.head(8).assign(name=lambda d: d["touchpoint_id"].map(names))
        if not ends.empty:
            st.altair_chart(charts.touchpoint_bars(ends, "share", T("journey.pe.share_axis"), L, "#1565c0"),
                            width="stretch")
            st.caption(T("journey.pe.ends_read"))
    st.subheader(T("journey.pe.recovery"))
    st.altair_chart(charts.recovery_bars(res.recovery, L), width="stretch")
    rec = res.recovery.set_index("kind")
    st.caption(T("journey.pe.recovery_read", rec=fmt_num(rec.loc["recovered", "overall"], L, 2),
                 bad=fmt_num(rec.loc["ended_badly", "overall"], L, 2),
                 n_rec=fmt_int(rec.loc["recovered", "journeys"], L),
                 n_bad=fmt_int(rec.loc["ended_badly", "journeys"], L)))
    st.caption(T("journey.pe.rules", k=peakend.MIN_TOUCHPOINTS))


# --- one customer's story ----------------------------------------------------------------------------------

def tab_customer() -> None:
    c1, c2 = st.columns([1, 3])
    kind = c1.selectbox(T("journey.story.kind"), list(story.LOOKUP_KINDS), key="jr_cust_kind",
                        format_func=lambda k: t(f"journey.story.kind.{k}", L))
    value = c2.text_input(T("journey.story.value"), key="jr_cust_value")
    if not value.strip():
        st.caption(T("journey.story.hint"))
        return
    ids = story.find(engine, kind, value)
    if not ids:
        st.warning(T("journey.story.not_found"))
        return
    cid = ids[0] if len(ids) == 1 else st.selectbox(T("journey.story.pick"), ids, key="jr_cust_pick")
    unmask = user.can("unmask_pii")
    info = story.card(engine, int(cid), unmask)
    rows = story.timeline(engine, int(cid), L, unmask, user.scope)
    if unmask:
        seen = st.session_state.setdefault("jr_unmasked_seen", set())
        if cid not in seen:
            seen.add(cid)
            story.audit_unmasked(engine, user, int(cid), len(rows))
    with st.container(border=True):
        st.text(" · ".join(str(info.get(k) or "–") for k in ("name", "phone", "email", "customer_key")))
        st.caption(T("journey.story.card", n=fmt_int(len(rows), L), seg=info.get("segment") or "–",
                     region=info.get("region") or "–", first=fmt_date(_date(info.get("first")), L),
                     last=fmt_date(_date(info.get("last")), L)))
        if not unmask:
            st.caption(T("journey.story.masked"))
    if rows.empty:
        st.info(T("journey.no_rows"))
        customer_actions(int(cid), unmask)
        return
    if rows["csat"].notna().any():
        st.altair_chart(charts.customer_journeys(rows, "csat", L), width="stretch")
    figures = story.journeys(engine, rows)
    if not figures.empty:
        st.dataframe(figures[["n", "peak", "trough", "end", "mean", "peak_end", "overall"]].rename(columns={
            c: T(f"journey.story.col.{c}") for c in ("n", "peak", "trough", "end", "mean", "peak_end", "overall")}),
            hide_index=True)
    st.dataframe(rows.rename(columns={c: T(f"journey.story.col.{c}") for c in story.TIMELINE}), hide_index=True,
                 width="stretch")
    customer_actions(int(cid), unmask)


def customer_actions(cid: int, unmask: bool) -> None:
    """The action items the customer's feedback raised (department, status, due, root cause)."""
    st.subheader(T("journey.story.actions"))
    items = story.actions(engine, cid, L, unmask, user.scope)
    if items.empty:
        st.caption(T("journey.story.no_actions"))
        return
    for col in ("kind", "priority", "status"):
        items[col] = [t(f"act.{col}.{v}", L) for v in items[col]]
    st.dataframe(items.rename(columns={c: T(f"act.col.{c}") for c in story.ACTIONS}), hide_index=True,
                 width="stretch")


def _date(value: object):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


# --- template editor (admins) ------------------------------------------------------------------------------

def _edit(fn, *args: object) -> None:
    try:
        fn(engine, *args, user.username)
    except tpl.JourneyEditError as err:
        st.session_state["jr_edit_error"] = (err.key, err.params)
    else:
        st.session_state["jr_edit_error"] = None
        cache.clear()


def tab_template() -> None:
    error = st.session_state.get("jr_edit_error")
    if error:
        st.error(t(error[0], L, **error[1]))
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    industry = c1.selectbox(T("journey.tpl.industry"), list(INDUSTRIES), key="jr_industry",
                            format_func=lambda c: getattr(INDUSTRIES[c], L))
    c2.button(T("journey.tpl.install"), on_click=_edit, args=(tpl.install_template, industry), key="jr_install")
    lay = tpl.layout(engine, L, include_retired=True)
    if lay.empty:
        st.info(T("journey.tpl.empty"))
        return
    view = lay[["stage", "touchpoint", "department", "stage_retired", "tp_retired"]].rename(columns={
        "stage": T("journey.col.stage"), "touchpoint": T("journey.col.touchpoint"),
        "department": T("journey.col.department"), "stage_retired": T("journey.tpl.stage_retired"),
        "tp_retired": T("journey.tpl.tp_retired")})
    st.dataframe(view, hide_index=True, width="stretch")

    stages = lay.drop_duplicates("stage_id")
    stage_names = dict(zip(stages["stage_id"], stages["stage"], strict=True))
    tps = lay[lay["touchpoint_id"].notna()]
    tp_names = {int(i): f"{n} · {s}" for i, n, s in zip(tps["touchpoint_id"], tps["touchpoint"], tps["stage"],
                                                        strict=True)}
    depts = [""] + [d[0] for d in DEPARTMENTS]
    dept_name = {d[0]: (d[1] if L == "zh" else d[2]) for d in DEPARTMENTS} | {"": T("journey.tpl.no_owner")}

    st.subheader(T("journey.tpl.edit"))
    kind = st.segmented_control(T("journey.tpl.kind"), list(tpl.KINDS), key="jr_kind", default="touchpoint",
                                format_func=lambda k: t(f"journey.kind.{k}", L)) or "touchpoint"
    names = stage_names if kind == "stage" else tp_names
    ref = st.selectbox(T("journey.tpl.element"), list(names), format_func=lambda i: names.get(i, str(i)),
                       key=f"jr_ref_{kind}")
    b1, b2, b3, b4 = st.columns(4)
    b1.button(T("journey.tpl.up"), on_click=_edit, args=(tpl.move, kind, ref, -1), key="jr_up")
    b2.button(T("journey.tpl.down"), on_click=_edit, args=(tpl.move, kind, ref, 1), key="jr_down")
    b3.button(T("journey.tpl.retire"), on_click=_edit, args=(tpl.retire, kind, ref), key="jr_retire")
    b4.button(T("journey.tpl.restore"), on_click=_restore, args=(kind, ref), key="jr_restore")
    with st.form("jr_rename"):
        r1, r2 = st.columns(2)
        zh = r1.text_input(T("journey.tpl.name_zh"), key="jr_name_zh")
        en = r2.text_input(T("journey.tpl.name_en"), key="jr_name_en")
        if st.form_submit_button(T("journey.tpl.rename")):
            _edit(tpl.rename, kind, ref, zh, en)
            st.rerun()
    if kind == "touchpoint":
        o1, o2 = st.columns([3, 1], vertical_alignment="bottom")
        owner = o1.selectbox(T("journey.tpl.owner"), depts, format_func=dept_name.get, key="jr_owner")
        o2.button(T("journey.tpl.set_owner"), on_click=_edit, args=(tpl.set_owner, ref, owner or None),
                  key="jr_set_owner")

    with st.expander(T("journey.tpl.add")), st.form("jr_add"):
        where = st.selectbox(T("journey.tpl.add_where"), [None, *stage_names],
                             format_func=lambda i: T("journey.tpl.new_stage") if i is None else stage_names[i])
        a1, a2 = st.columns(2)
        add_zh = a1.text_input(T("journey.tpl.name_zh"), key="jr_add_zh")
        add_en = a2.text_input(T("journey.tpl.name_en"), key="jr_add_en")
        add_owner = st.selectbox(T("journey.tpl.owner"), depts, format_func=dept_name.get, key="jr_add_owner")
        if st.form_submit_button(T("journey.tpl.add_button")):
            if where is None:
                _edit(tpl.add_stage, add_zh, add_en)
            else:
                _edit(tpl.add_touchpoint, where, add_zh, add_en, add_owner or None)
            st.rerun()

    unmapped_names(stage_names, tp_names)
    st.subheader(T("journey.tpl.history"))
    hist = tpl.history(engine)
    if not hist.empty:
        hist["detail"] = [_describe(d) for d in hist["detail"]]
    st.dataframe(hist.rename(columns={c: T(f"journey.tpl.hist.{c}") for c in ("at", "actor", "target", "detail")}),
                 hide_index=True, width="stretch")


def _restore(kind: str, ref: int) -> None:
    try:
        tpl.retire(engine, kind, ref, user.username, retired=False)
    except tpl.JourneyEditError as err:
        st.session_state["jr_edit_error"] = (err.key, err.params)
    cache.clear()


def _describe(detail: str | None) -> str:
    data = json.loads(detail) if detail else {}
    op = data.pop("op", "")
    return f"{t(f'journey.op.{op}', L)} {json.dumps(data, ensure_ascii=False) if data else ''}".strip()


def unmapped_names(stage_names: dict, tp_names: dict) -> None:
    """Imported names that matched nothing: map each to the template (remembered) or keep it."""
    st.subheader(T("journey.tpl.unmapped"))
    todo = tpl.unmapped(engine, L)
    if todo.empty:
        st.caption(T("journey.tpl.unmapped_none"))
        return
    st.caption(T("journey.tpl.unmapped_read"))
    for row in todo.itertuples():
        targets = {k: v for k, v in (stage_names if row.kind == "stage" else tp_names).items() if k != row.id}
        with st.container(border=True):
            st.text(T("journey.tpl.unmapped_row", kind=t(f"journey.kind.{row.kind}", L), name=row.name,
                      n=fmt_int(row.responses, L)))
            c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
            target = c1.selectbox(T("journey.tpl.map_to"), list(targets), format_func=lambda i, n=targets: n[i],
                                  key=f"jr_map_{row.kind}_{row.id}")
            c2.button(T("journey.tpl.map"), on_click=_edit, args=(tpl.map_name, row.kind, row.id, target),
                      key=f"jr_do_map_{row.kind}_{row.id}")
            c3.button(T("journey.tpl.keep"), on_click=_edit, args=(tpl.keep_as_new, row.kind, row.id),
                      key=f"jr_keep_{row.kind}_{row.id}")


st.title(T("journey.title"))
tabs = st.tabs([T(f"journey.tab.{k}") for k in TABS], key="jr_tab", on_change=clear_drill)
RENDER = {"map": tab_map, "curve": tab_curve, "peakend": tab_peakend, "customer": tab_customer,
          "template": tab_template}
for key, tab in zip(TABS, tabs, strict=True):
    if tab.open:
        with tab:
            RENDER[key]()
cache.once(story.warm_up)  # the customer lookup's first-use costs, before anyone can look a customer up
