"""The Actions page's sections: figures, work list with bulk assign, item detail with quick changes, the
Excel round trip, the rules editor and the improvement actions (outer loop). Domain work is in
``cem_core.act``; this module only draws.

Personal data is masked through ``privacy.reveal_or_mask`` (unmasked views audited); user text is shown
in tables or as escaped text, never as Markdown or HTML. Every change goes through ``act.items`` with
the version the user saw, so a concurrent edit is reported instead of overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlalchemy import Engine, select

from cem_core.act.calendar import WorkCalendar, exceptions, load_calendar, parse_days, save_calendar
from cem_core.act.causes import root_causes, save_root_causes
from cem_core.act.excel import export_workbook, import_workbook
from cem_core.act.improvements import create_improvement, improvements, suggestions, update_improvement
from cem_core.act.items import (
    OPEN_STATUSES,
    PRIORITIES,
    STATUSES,
    TRANSITIONS,
    ActionError,
    ConflictError,
    add_comment,
    bulk_change,
    change_item,
    scope_of,
)
from cem_core.act.rules import KINDS, Rule, backfill, load_rules, match_counts, preview, save_rules
from cem_core.act.worklist import ItemFilter, item_detail, work_list
from cem_core.auth.roles import User
from cem_core.charts.actions import weekly_chart
from cem_core.db.models import Attribute, Department, Touchpoint
from cem_core.i18n import fmt_int, fmt_num, fmt_pct, name_col
from cem_core.privacy.release import reveal_or_mask
from cem_core.ui import act_card, cache
from cem_core.ui.context import T, lang
from cem_core.ui.kpi import kpi_card

PII = {"name": "name", "phone": "phone", "comment": "text", "resolution_note": "text"}
PERIODS = {"act.period.28": 28, "act.period.90": 90, "act.period.365": 365, "act.period.all": None}


def escape(text: object) -> str:
    """User text for a label or caption: Markdown characters escaped."""
    out = str(text)
    for ch in "\\`*_{}[]()#+-.!|<>~$":
        out = out.replace(ch, "\\" + ch)
    return out


def labels(prefix: str, codes: object) -> Callable[[str], str | None]:
    """A format function with the labels fixed now, in the session's language: Streamlit may call it
    outside the script run (AppTest does), where the session's language is not known."""
    return {c: T(f"{prefix}{c}") for c in codes}.get  # type: ignore[attr-defined]


def _departments(engine: Engine, scope: set[int] | None) -> dict[int, str]:
    d = Department.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(d.c.id, d.c[name_col(lang())]).order_by(d.c.id)).all()
    return {i: n for i, n in rows if scope is None or i in scope}


def figures_section(engine: Engine, user: User) -> None:
    L = lang()
    scope = scope_of(engine, user.scope)
    days = PERIODS[st.segmented_control(T("act.period"), list(PERIODS), format_func=labels("", PERIODS),
                                        default="act.period.all",
                                        key="act_period") or "act.period.all"]
    start = dt.date.today() - dt.timedelta(days=days) if days else None
    figures = act_card.figures(engine, L, scope, start)
    total = figures.iloc[-1]
    if not total["opened"]:
        st.info(T("act.no_items"))
        return
    cols = st.columns(5)
    cards = [(T("act.fig.opened"), fmt_int(total["opened"], L), None),
             (T("act.fig.closure_rate"), fmt_pct(total["closure_rate"], L), T("act.fig.closure_help")),
             (T("act.fig.median_contact"), fmt_num(total["median_contact_h"], L), T("act.fig.median_help")),
             (T("act.fig.breach_rate"), fmt_pct(total["breach_rate"], L), T("act.fig.breach_help")),
             (T("act.fig.recovered"), f"{fmt_int(total['recovered'], L)} / {fmt_int(total['recoverable'], L)}",
              T("act.fig.recovered_help"))]
    for col, (label, value, help_text) in zip(cols, cards, strict=True):
        with col:
            kpi_card(label, value, help=help_text)
    st.caption(T("act.fig.overdue_caption", n=fmt_int(total["open_overdue"], L)))
    table = figures.copy()
    table.loc[table.index[-1], "department"] = T("act.fig.total")
    shown = table[["department", "opened", "closure_rate", "median_contact_h", "breach_rate", "open_overdue",
                   "recovered"]].rename(columns={c: T(f"act.fig.{c}") for c in table.columns})
    st.dataframe(shown, hide_index=True, width="stretch", key="act_fig_table")
    st.subheader(T("act.fig.trend"))
    st.altair_chart(weekly_chart(act_card.trend(engine, scope, start), L), width="stretch")


def _filter(engine: Engine, scope: set[int] | None) -> ItemFilter:
    depts = _departments(engine, scope)
    tp = Touchpoint.__table__
    with engine.connect() as conn:
        tps = dict(conn.execute(select(tp.c.id, tp.c[name_col(lang())]).order_by(tp.c.id)).all())
    c = st.columns([2, 2, 1, 2, 2, 1])
    chosen_depts = c[0].multiselect(T("act.col.department"), list(depts), format_func=depts.get, key="act_f_dept")
    statuses = c[1].multiselect(T("act.col.status"), STATUSES, default=list(OPEN_STATUSES),
                                format_func=labels("act.status.", STATUSES), key="act_f_status")
    priorities = c[2].multiselect(T("act.col.priority"), PRIORITIES, format_func=labels("act.priority.", PRIORITIES),
                                  key="act_f_priority")
    owner = c[3].text_input(T("act.col.owner"), key="act_f_owner", help=T("act.owner_filter_help")).strip()
    touchpoints = c[4].multiselect(T("act.col.touchpoint"), list(tps), format_func=tps.get, key="act_f_tp")
    overdue = c[5].toggle(T("act.overdue"), key="act_f_overdue")
    return ItemFilter(tuple(chosen_depts), tuple(statuses), tuple(priorities),
                      None if not owner else ("" if owner == "-" else owner), tuple(touchpoints), overdue)


def worklist_section(engine: Engine, user: User) -> None:
    L = lang()
    scope = scope_of(engine, user.scope)
    frame, total = work_list(engine, _filter(engine, scope), L, scope=scope)
    st.caption(T("act.list_count", shown=fmt_int(len(frame), L), total=fmt_int(total, L)))
    if frame.empty:
        st.info(T("act.no_items"))
        return
    frame = reveal_or_mask(engine, frame, user, target="actions", columns=PII)
    view = pd.DataFrame({
        T("act.col.id"): frame["id"], T("act.col.status"): frame["status"].map(lambda s: T(f"act.status.{s}")),
        T("act.col.priority"): frame["priority"].map(lambda p: T(f"act.priority.{p}")),
        T("act.col.kind"): frame["kind"].map(lambda k: T(f"act.kind.{k}")),
        T("act.col.department"): frame["department"], T("act.col.touchpoint"): frame["touchpoint"],
        T("act.col.due_at"): frame["due_at"], T("act.overdue"): frame["overdue"],
        T("act.col.owner"): frame["owner"], T("act.col.name"): frame["name"], T("act.col.nps"): frame["nps"],
        T("act.col.comment"): frame["comment"]})
    event = st.dataframe(view, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
                         key="act_list")
    picked = [int(frame["id"].iloc[i]) for i in (event.selection.rows if event else [])]
    if user.can("work_actions"):
        with st.form("act_bulk"):
            ids = st.multiselect(T("act.bulk_items"), frame["id"].tolist(), default=picked, key="act_bulk_ids")
            owner = st.text_input(T("act.col.owner"), key="act_bulk_owner")
            if st.form_submit_button(T("act.bulk_assign")) and ids and owner.strip():
                versions = dict(zip(frame["id"], frame["version"], strict=True))
                done, refused = bulk_change(engine, {i: int(versions[i]) for i in ids}, {"owner": owner},
                                            actor=user.username, scope=scope)
                st.success(T("act.bulk_done", n=sum(1 for o in done if o.changed)))
                for err in refused:
                    st.error(err.message(L))
    options = frame["id"].tolist()
    default = options.index(picked[0]) if picked else 0
    item_id = st.selectbox(T("act.open_item"), options, index=default, key="act_item")
    if item_id is not None:
        detail_section(engine, user, int(item_id))


def detail_section(engine: Engine, user: User, item_id: int) -> None:
    L = lang()
    scope = scope_of(engine, user.scope)
    detail = item_detail(engine, item_id, L, scope=scope)
    if detail is None:
        st.warning(T("act.err.unknown_item", item=item_id))
        return
    item = detail.item
    shown = reveal_or_mask(engine, pd.DataFrame([item]), user, target=f"action:{item_id}", columns=PII).iloc[0]
    seen_key = f"act_seen_{item_id}"
    seen = st.session_state.get(seen_key, item["version"])
    st.subheader(T("act.detail_title", item=item_id, status=T(f"act.status.{item['status']}")))
    a, b, c = st.columns(3)
    a.text(T("act.detail_customer", name=shown["name"] or "–", phone=shown["phone"] or "–"))
    b.text(T("act.detail_scores", nps=item["nps"] if item["nps"] is not None else "–",
             csat=item["csat"] if item["csat"] is not None else "–",
             ces=item["ces"] if item["ces"] is not None else "–"))
    c.text(T("act.detail_due", due=f"{item['due_at']:%Y-%m-%d %H:%M}" if item["due_at"] else "–",
             owner=item["owner"] or "–"))
    if item["source_undone"]:
        st.warning(T("act.source_undone"))
    st.text(shown["comment"] or "")
    if user.can("work_actions"):
        _change_form(engine, user, item, seen, scope)
    with st.expander(T("act.previous", n=len(detail.previous))):
        prev = reveal_or_mask(engine, detail.previous, user, target=f"action:{item_id}", columns={"comment": "text"})
        st.dataframe(prev, hide_index=True, width="stretch")
    with st.expander(T("act.history", n=len(detail.history))):
        st.dataframe(detail.history, hide_index=True, width="stretch")
    with st.expander(T("act.comments", n=len(detail.comments))):
        st.dataframe(reveal_or_mask(engine, detail.comments, user, target=f"action:{item_id}",
                                    columns={"body": "text"}), hide_index=True, width="stretch")
        if user.can("work_actions"):
            body = st.text_area(T("act.new_comment"), key=f"act_comment_{item_id}")
            if st.button(T("act.add_comment"), key=f"act_comment_btn_{item_id}"):
                try:
                    add_comment(engine, item_id, body, actor=user.username, scope=scope)
                    st.rerun()
                except ActionError as exc:
                    st.error(exc.message(L))
    st.session_state[seen_key] = item["version"] if seen_key not in st.session_state else seen


def _change_form(engine: Engine, user: User, item: dict, seen: int, scope: set[int] | None) -> None:
    L = lang()
    item_id = int(item["id"])
    causes = root_causes(engine, active_only=True)
    cause_names = dict(zip(causes["code"], causes[name_col(L)], strict=True))
    quick = [s for s in ("in_progress", "closed", "reopened") if s in TRANSITIONS[item["status"]]]
    cols = st.columns(max(1, len(quick)))
    for col, status in zip(cols, quick, strict=False):
        if col.button(T(f"act.quick.{status}"), key=f"act_quick_{status}_{item_id}"):
            _apply(engine, user, item_id, seen, {"status": status}, scope)
    with st.form(f"act_form_{item_id}"):
        targets = [item["status"], *sorted(TRANSITIONS[item["status"]])]
        status = st.selectbox(T("act.col.status"), targets, format_func=labels("act.status.", STATUSES),
                              key=f"act_status_{item_id}")
        owner = st.text_input(T("act.col.owner"), value=item["owner"] or "", key=f"act_owner_{item_id}")
        codes = ["", *cause_names]
        cause = st.selectbox(T("act.col.root_cause"), codes, index=codes.index(item["root_cause"] or "")
                             if (item["root_cause"] or "") in codes else 0,
                             format_func=lambda c, names=cause_names: names.get(c, "–"), key=f"act_cause_{item_id}")
        note = st.text_area(T("act.col.resolution_note"), value=item["resolution_note"] or "",
                            key=f"act_note_{item_id}")
        if st.form_submit_button(T("act.save")):
            changes = {"status": status, "owner": owner, "resolution_note": note, "root_cause": cause or None}
            _apply(engine, user, item_id, seen, changes, scope)


def _apply(engine: Engine, user: User, item_id: int, seen: int, changes: dict, scope: set[int] | None) -> None:
    try:
        out = change_item(engine, item_id, seen, changes, actor=user.username, scope=scope)
    except ConflictError as exc:
        st.error(exc.message(lang()))
        st.session_state.pop(f"act_seen_{item_id}", None)  # the next save starts from what is stored now
        return
    except ActionError as exc:
        st.error(exc.message(lang()))
        return
    st.session_state[f"act_seen_{item_id}"] = out.version
    st.session_state["act_flash"] = T("act.saved", item=item_id) if out.changed else T("act.nothing_changed")
    st.rerun()


def excel_section(engine: Engine, user: User) -> None:
    L = lang()
    scope = scope_of(engine, user.scope)
    depts = _departments(engine, scope)
    d = Department.__table__
    with engine.connect() as conn:
        codes = dict(conn.execute(select(d.c.id, d.c.code)).all())
    st.caption(T("act.xl.help"))
    choice = st.selectbox(T("act.xl.which"), [0, *depts], format_func={0: T("act.xl.all"), **depts}.get,
                          key="act_xl_dept")
    if st.button(T("act.xl.prepare"), key="act_xl_prepare"):
        try:
            data, n = export_workbook(engine, user, None if choice == 0 else [codes[choice]], L)
            st.session_state["act_xl_file"] = (data, n)
        except ActionError as exc:
            st.error(exc.message(L))
    if "act_xl_file" in st.session_state:
        data, n = st.session_state["act_xl_file"]
        st.download_button(T("act.xl.download", n=n), data, file_name=f"actions_{dt.date.today():%Y%m%d}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key="act_xl_download")
    if not user.can("work_actions"):
        return
    if shown := st.session_state.pop("act_xl_result", None):
        counts, notices, problems = shown
        st.success(T("act.xl.result", **counts))
        for note in notices:
            st.warning(escape(note))
        if problems:
            st.dataframe(pd.DataFrame(problems), hide_index=True, width="stretch")
    upload = st.file_uploader(T("act.xl.upload"), type=["xlsx"], key="act_xl_upload")
    if upload is not None and st.button(T("act.xl.apply"), key="act_xl_apply"):
        try:
            result = import_workbook(engine, upload.getvalue(), user, scope=scope)
        except ActionError as exc:
            st.error(exc.message(L))
            return
        summary = result.summary(L)
        counts = {"updated": result.updated, "unchanged": result.unchanged, "conflicts": len(result.conflicts),
                  "errors": len(result.errors)}
        # shown after a rerun: the figures tab above was drawn before the import and must be drawn again
        st.session_state["act_xl_result"] = (counts, summary["notices"],
                                             [*summary["conflicts"], *summary["errors"]])  # type: ignore[misc]
        st.rerun()


def rules_section(engine: Engine, user: User) -> None:
    L = lang()
    with engine.connect() as conn:
        rules = load_rules(conn)
        dept_codes = [c for (c,) in conn.execute(select(Department.code).order_by(Department.id))]
    st.caption(T("act.rules.help"))
    counts = match_counts(engine, rules)
    frame = pd.DataFrame([{"id": r.id, "enabled": r.enabled, "name": r.name,
                           "conditions": json.dumps(r.conditions, ensure_ascii=False),
                           "department": r.department_code or "", "kind": r.kind, "priority": r.priority,
                           "sla_hours": r.sla_hours, "sla_working": r.sla_working, "matches": counts.get(i, 0)}
                          for i, r in enumerate(rules)],
                         columns=["id", "enabled", "name", "conditions", "department", "kind", "priority",
                                  "sla_hours", "sla_working", "matches"])
    edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, width="stretch", key="act_rules_editor",
                            disabled=["id", "matches"], column_config={
                                "id": None,
                                "enabled": st.column_config.CheckboxColumn(T("act.rules.enabled")),
                                "name": st.column_config.TextColumn(T("act.rules.name"), required=True),
                                "conditions": st.column_config.TextColumn(T("act.rules.conditions"),
                                                                          help=T("act.rules.conditions_help")),
                                "department": st.column_config.SelectboxColumn(
                                    T("act.col.department"), options=["", *dept_codes], help=T("act.rules.dept_help")),
                                "kind": st.column_config.SelectboxColumn(T("act.col.kind"), options=list(KINDS)),
                                "priority": st.column_config.SelectboxColumn(T("act.col.priority"),
                                                                             options=list(PRIORITIES)),
                                "sla_hours": st.column_config.NumberColumn(T("act.rules.sla"), min_value=1),
                                "sla_working": st.column_config.CheckboxColumn(T("act.rules.working")),
                                "matches": st.column_config.NumberColumn(T("act.rules.matches"))})
    if st.button(T("act.rules.save"), key="act_rules_save"):
        try:
            new = [Rule(name=str(r["name"] or ""), conditions=json.loads(r["conditions"] or "{}"),
                        department_code=r["department"] or None, kind=r["kind"] or "callback",
                        priority=r["priority"] or "medium", sla_hours=float(r["sla_hours"] or 48),
                        sla_working=bool(r["sla_working"]), enabled=bool(r["enabled"]),
                        id=None if pd.isna(r["id"]) else int(r["id"])) for r in edited.to_dict("records")]
            save_rules(engine, new, actor=user.username)
            st.success(T("act.rules.saved"))
        except json.JSONDecodeError:
            st.error(T("act.rules.bad_json"))
        except ActionError as exc:
            st.error(exc.message(L))
    since = st.date_input(T("act.rules.since"), value=dt.date.today() - dt.timedelta(days=30), key="act_since")
    left, right = st.columns(2)
    if left.button(T("act.rules.preview"), key="act_preview"):
        result = preview(engine, since=since)
        st.session_state["act_preview_total"] = result.total
        st.info(T("act.rules.preview_result", n=result.total))
    if right.button(T("act.rules.run"), key="act_backfill", disabled="act_preview_total" not in st.session_state):
        result = backfill(engine, actor=user.username, since=since)
        st.session_state.pop("act_preview_total", None)
        st.success(T("act.rules.run_result", n=result.total))
    with st.expander(T("act.causes.title")):
        causes = st.data_editor(root_causes(engine), num_rows="dynamic", hide_index=True, key="act_causes_editor")
        if st.button(T("act.causes.save"), key="act_causes_save"):
            try:
                save_root_causes(engine, causes, actor=user.username)
                st.success(T("act.causes.saved"))
            except ActionError as exc:
                st.error(exc.message(L))


def improvements_section(engine: Engine, user: User) -> None:
    """Outer loop: fixes of systemic causes with the metric before and after their start."""
    L = lang()
    scope = scope_of(engine, user.scope)
    st.caption(T("act.imp.help"))
    table = improvements(engine, scope=scope)
    if table.empty:
        st.info(T("act.imp.none"))
    else:
        shown = table[["id", "title", "anchor_kind", "anchor_code", "owner", "metric", "started_on", "due_on",
                       "progress", "status", "before", "before_n", "after", "after_n", "change"]]
        st.dataframe(shown.rename(columns={c: T(f"act.imp.col.{c}") for c in shown.columns}), hide_index=True,
                     width="stretch", key="act_imp_table")
    if not user.can("work_actions"):
        return
    tp, at = Touchpoint.__table__, Attribute.__table__
    with engine.connect() as conn:
        anchors = {"touchpoint": dict(conn.execute(select(tp.c.code, tp.c[name_col(L)]).order_by(tp.c.id)).all()),
                   "driver": dict(conn.execute(select(at.c.code, at.c[name_col(L)]).order_by(at.c.id)).all())}
        dept_codes = {c: n for c, n in conn.execute(select(Department.code, Department.__table__.c[name_col(L)]))
                      if scope is None or c in user.scope}
    concentrate = cache.query(suggestions, L)  # key drivers: cached per data version
    if not concentrate.empty:
        st.caption(T("act.imp.suggest", drivers="、".join(escape(n) for n in concentrate["name"])))
    with st.form("act_imp_new"):
        title = st.text_input(T("act.imp.col.title"), key="act_imp_title")
        kind = st.selectbox(T("act.imp.col.anchor_kind"), ["driver", "touchpoint", "topic"],
                            format_func=labels("act.imp.kind.", ["driver", "touchpoint", "topic"]), key="act_imp_kind")
        options = {**anchors["driver"], **anchors["touchpoint"]}
        code = st.selectbox(T("act.imp.col.anchor_code"), list(options), format_func=options.get, key="act_imp_code")
        topic = st.text_input(T("act.imp.topic_code"), key="act_imp_topic")
        dept = st.selectbox(T("act.col.department"), list(dept_codes), format_func=dept_codes.get, key="act_imp_dept")
        owner = st.text_input(T("act.col.owner"), key="act_imp_owner")
        metric = st.selectbox(T("act.imp.col.metric"), ["nps", "csat", "ces"], key="act_imp_metric")
        due = st.date_input(T("act.imp.col.due_on"), value=dt.date.today() + dt.timedelta(days=30), key="act_imp_due")
        if st.form_submit_button(T("act.imp.create")):
            try:
                create_improvement(engine, title=title, anchor_kind=kind, anchor_code=topic.strip() if kind == "topic"
                                   else code, department_code=dept, owner=owner, metric=metric, due_on=due,
                                   actor=user.username)
                st.session_state["act_flash"] = T("act.imp.created")
                st.rerun()
            except ActionError as exc:
                st.error(exc.message(L))
    if not table.empty:
        with st.form("act_imp_progress"):
            pick = st.selectbox(T("act.imp.col.title"), table["id"].tolist(),
                                format_func=dict(zip(table["id"], table["title"], strict=True)).get, key="act_imp_pick")
            progress = st.slider(T("act.imp.col.progress"), 0, 100, 50, step=10, key="act_imp_pct")
            status = st.selectbox(T("act.imp.col.status"), ["planned", "doing", "done"],
                                  format_func=labels("act.imp.state.", ["planned", "doing", "done"]),
                                  key="act_imp_state")
            if st.form_submit_button(T("act.save")):
                try:
                    update_improvement(engine, int(pick), progress=progress, status=status, actor=user.username,
                                       scope=scope)
                    st.session_state["act_flash"] = T("act.imp.updated")
                    st.rerun()
                except ActionError as exc:
                    st.error(exc.message(L))


def calendar_section(engine: Engine, user: User) -> None:
    """The working calendar the SLA counts working hours on: hours of the day, country, extra days off and
    workdays; saving is audited (old and new), and the next 60 days' holidays and make-up workdays are
    listed so the admin sees what the calendar will do."""
    L = lang()
    current = load_calendar(engine)
    st.caption(T("act.cal.help"))
    with st.form("act_cal_form"):
        left, right = st.columns(2)
        start = left.time_input(T("act.cal.start"), current.start, step=dt.timedelta(minutes=30), key="act_cal_start")
        end = right.time_input(T("act.cal.end"), current.end, step=dt.timedelta(minutes=30), key="act_cal_end")
        country = st.text_input(T("act.cal.country"), current.country, max_chars=3, key="act_cal_country")
        extra_off = left.text_area(T("act.cal.holidays"), "\n".join(sorted(map(str, current.extra_holidays))),
                                   key="act_cal_holidays")
        extra_on = right.text_area(T("act.cal.workdays"), "\n".join(sorted(map(str, current.extra_workdays))),
                                   key="act_cal_workdays")
        submitted = st.form_submit_button(T("act.cal.save"))
    if submitted:
        try:
            current = WorkCalendar(start=start, end=end, country=country.strip().upper(),
                                   extra_holidays=parse_days(extra_off), extra_workdays=parse_days(extra_on))
            save_calendar(engine, current, actor=user.username)
            st.success(T("act.cal.saved", hours=fmt_num(current.day_hours, L, 1)))
        except ActionError as exc:
            st.error(exc.message(L))
            return
    now = dt.datetime.now().replace(second=0, microsecond=0)
    st.caption(T("act.cal.example", hours=48, due=f"{current.add(now, 48, working=True):%Y-%m-%d %H:%M}"))
    days = 60
    rows = exceptions(current, now.date(), days, L)
    if not rows:
        st.info(T("act.cal.none", days=days))
        return
    st.subheader(T("act.cal.upcoming", days=days), anchor=False)
    st.dataframe(pd.DataFrame(rows, columns=[T("act.cal.day"), T("act.cal.working"), T("act.cal.name")]),
                 hide_index=True)
