"""Alerts: the user's alerts (unread first marked, each opening the filtered view that shows it); for
admins the rules editor and the delivery log with failures."""

import json

import streamlit as st

from cem_core.alerts.inbox import alert_list, deliveries, mark_read
from cem_core.alerts.messages import alert_text
from cem_core.alerts.rules import DIMENSIONS, MEASURES, SLA, SPIKES, Rule, delete_rule, list_rules, save_rule
from cem_core.alerts.run import run_alerts, where_name
from cem_core.alerts.view import view_for
from cem_core.ui import cache
from cem_core.ui.context import T, lang, require

user = require("view_overview")
engine = cache.engine()
L = lang()
st.title(T("alerts.title"))
admin = user.role == "admin"
tabs = st.tabs([T("alerts.tab.inbox"), *([T("alerts.tab.rules"), T("alerts.tab.deliveries")] if admin else [])])

with tabs[0]:
    alerts = alert_list(engine, user)
    if alerts.empty:
        st.info(T("alerts.empty"))
    for row in alerts.to_dict("records"):
        text = alert_text(row, where_name(engine, row["dimension"], row["dim_key"], L), L)
        with st.container(border=True):
            if not row["read"]:
                st.badge(T("alerts.unread"), color="red")
            st.text(text.title)  # names may be user text: never read as Markdown
            st.text(text.body)
            if st.button(T("alerts.open"), key=f"alert_open_{row['id']}", icon=":material/open_in_new:"):
                mark_read(engine, user, [int(row["id"])])
                page, state = view_for(engine, row)
                for key, value in state.items():
                    st.session_state[key] = value
                st.switch_page(page)
    if not alerts.empty and st.button(T("alerts.mark_all"), key="alert_mark_all"):
        mark_read(engine, user, [int(i) for i in alerts["id"]])
        st.rerun()

if admin:
    with tabs[1]:
        for rule in list_rules(engine):
            cols = st.columns([5, 1], vertical_alignment="center")
            cols[0].text(f"#{rule.id} {rule.name}: {rule.measure} · {T(f'alerts.dim.{rule.dimension}')} · "
                         f"{rule.window_days}d · n≥{rule.min_n} · p≤{rule.max_p} · "
                         f"{', '.join(c['kind'] for c in rule.channels) or '—'}")
            if cols[1].button(T("alerts.rule.delete"), key=f"rule_del_{rule.id}"):
                delete_rule(engine, int(rule.id or 0), user.username)
                st.rerun()
        with st.form("alert_rule_form"):
            name = st.text_input(T("alerts.rule.name"), key="rule_name")
            c1, c2, c3 = st.columns(3)
            measure = c1.selectbox(T("alerts.rule.measure"), (*MEASURES, *SPIKES, SLA), key="rule_measure",
                                   format_func=lambda m: m.upper() if m in MEASURES else T(f"alerts.measure.{m}"))
            dimension = c2.selectbox(T("alerts.rule.dimension"), [*DIMENSIONS, "department"],
                                     format_func=lambda d: T(f"alerts.dim.{d}"), key="rule_dimension")
            window = c3.number_input(T("alerts.rule.window"), min_value=1, max_value=366, value=28, key="rule_window")
            c4, c5 = st.columns(2)
            min_n = c4.number_input(T("alerts.rule.min_n"), min_value=2, value=30, key="rule_min_n")
            max_p = c5.number_input(T("alerts.rule.max_p"), min_value=0.0001, max_value=0.5, value=0.05, format="%.4f",
                                    key="rule_max_p")
            users = st.text_input(T("alerts.rule.users"), key="rule_users")
            departments = st.text_input(T("alerts.rule.departments"), key="rule_departments")
            channels = st.text_area(T("alerts.rule.channels"), value="[]", help=T("alerts.rule.channels_help"),
                                    key="rule_channels")
            if st.form_submit_button(T("alerts.rule.save")):
                try:
                    rule = Rule(name=name.strip() or measure.upper(), measure=measure, dimension=dimension,
                                window_days=int(window), min_n=int(min_n), max_p=float(max_p),
                                users=tuple(u.strip() for u in users.split(",") if u.strip()),
                                departments=tuple(d.strip() for d in departments.split(",") if d.strip()),
                                channels=tuple(json.loads(channels or "[]")))
                    save_rule(engine, rule, user.username)
                    st.success(T("alerts.rule.saved"))
                except (ValueError, TypeError, AttributeError) as exc:
                    st.error(T("alerts.rule.bad", error=str(exc)))
        if st.button(T("alerts.rule.run"), key="rule_run"):
            st.info(T("alerts.rule.ran", n=len(run_alerts(engine, lang=L))))
    with tabs[2]:
        log = deliveries(engine)
        failed = int((log["status"] == "failed").sum()) if not log.empty else 0
        if failed:
            st.warning(T("alerts.failures", n=failed))
        view = log[["at", "alert_id", "channel", "status", "attempts", "error"]] if not log.empty else log
        st.dataframe(view, hide_index=True, width="stretch",
                     column_config={c: st.column_config.Column(T(f"alerts.col.{c}")) for c in view.columns
                                    if c != "alert_id"})
