"""What the executive report holds, gathered from the same functions the pages call, so the report,
the overview and ``stats --json`` cannot disagree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, and_, select

from cem_core.act.figures import loop_figures
from cem_core.act.items import scope_of
from cem_core.alerts.inbox import visible_rule_ids
from cem_core.alerts.messages import alert_text
from cem_core.alerts.run import where_name
from cem_core.analyze.drivers import key_drivers
from cem_core.analyze.metrics import Kpis
from cem_core.analyze.overview import Overview, build_overview, ces_ci, csat_ci
from cem_core.analyze.queries import Filters, apply_filters, responses
from cem_core.auth.roles import User
from cem_core.db.models import Alert, ResponseText
from cem_core.i18n import t
from cem_core.journey.journeymap import MIN_N, touchpoint_map
from cem_core.privacy.masking import mask_text
from cem_core.text.report import topic_table

response_text = ResponseText.__table__
TOP_DRIVERS = 8
TOP_TOPICS = 5
VERBATIMS = 2  # per topic
HOT_SPOTS = 5
RECENT_DAYS = 31
LOOP_COLUMNS = ["department", "opened", "closure_rate", "breach_rate", "open_overdue", "recovery_rate"]


@dataclass(frozen=True)
class ExecutiveReport:
    lang: str
    date_from: dt.date
    date_to: dt.date
    filters: list[tuple[str, str]]  # (label, value) shown on the cover
    kpis: pd.DataFrame  # metric, value, previous, change, low, high, n
    overview: Overview
    drivers: pd.DataFrame  # name, importance, performance, quadrant
    topics: pd.DataFrame  # name, n, negative, net_sentiment, nps_impact
    alerts: pd.DataFrame  # created_at, title, text
    verbatims: pd.DataFrame  # name (topic), comment (masked)
    hot_spots: pd.DataFrame  # stage, touchpoint, nps, nps_n, neg_share, top_topic
    loop: pd.DataFrame  # close the loop per department and in total (``act.figures.loop_figures``)

    @property
    def headline(self) -> dict[str, object]:
        """The current period's figures exactly as ``stats --json`` prints them."""
        return self.overview.current.as_dict()


def kpi_table(cur: Kpis, prev: Kpis, lang: str) -> pd.DataFrame:
    """One row per KPI: value, previous period's value, change and the 95 % CI (numbers, not text); the
    CIs are the overview cards' (``overview.csat_ci``, ``overview.ces_ci``)."""
    def row(key: str, value, previous, ci, n) -> dict[str, object]:
        change = None if value is None or previous is None else value - previous
        return {"metric": t(f"report.kpi.{key}", lang), "value": value, "previous": previous, "change": change,
                "low": ci[0] if ci else None, "high": ci[1] if ci else None, "n": n}

    now, before = cur.as_dict(), prev.as_dict()  # rounded as ``stats --json`` prints them
    return pd.DataFrame([
        row("responses", cur.responses, prev.responses, None, cur.responses),
        row("nps", now["nps"], before["nps"], cur.nps.ci, cur.nps.n),
        row("csat", now["csat"], before["csat"], csat_ci(cur), cur.csat_n),
        row("ces", now["ces"], before["ces"], ces_ci(cur), cur.ces_n),
    ])


def _filters_shown(f: Filters, lang: str) -> list[tuple[str, str]]:
    shown = [(t(f"report.filter.{name}", lang), ", ".join(values)) for name, values in (
        ("channels", f.channels), ("stages", f.stages), ("regions", f.regions), ("products", f.products),
        ("segments", f.segments), ("departments", f.departments)) if values]
    return shown or [(t("report.filter.none", lang), "")]


def period_alerts(engine: Engine, user: User | None, date_from: dt.date, date_to: dt.date, lang: str) -> pd.DataFrame:
    """Alerts whose period overlaps the report's, of the rules the reader may see."""
    a = Alert.__table__
    stmt = select(a).where(and_(a.c.date_from <= date_to, a.c.date_to >= date_from)).order_by(a.c.created_at)
    if user is not None:
        stmt = stmt.where(a.c.rule_id.in_(visible_rule_ids(engine, user)))
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    out = []
    for r in rows:
        text = alert_text(dict(r), where_name(engine, r["dimension"], r["dim_key"], lang), lang)
        out.append({"created_at": r["created_at"], "title": text.title, "text": text.body,
                    "p_value": r["p_value"]})
    return pd.DataFrame(out, columns=["created_at", "title", "text", "p_value"])


def build_report(engine: Engine, f: Filters, lang: str, user: User | None = None) -> ExecutiveReport | None:
    """The report for filters ``f``; a department lead's scope is added to ``f`` (their departments only).
    None when there is no data."""
    if user is not None and user.scope:
        f = Filters(**{**f.__dict__, "departments": user.scope})
    ov = build_overview(engine, f, lang)
    if ov is None:
        return None
    window = f.with_dates(ov.date_from, ov.date_to)
    kd = key_drivers(engine, window, "nps", lang=lang)
    drivers = kd.table
    if not drivers.empty:
        drivers = drivers.sort_values("importance", ascending=False).head(TOP_DRIVERS)[
            ["name", "importance", "performance", "quadrant", "n"]].reset_index(drop=True)
        drivers["quadrant"] = drivers["quadrant"].map(lambda q: t(f"report.quadrant.{q}", lang))
    topics = topic_table(engine, window, lang=lang)
    if not topics.empty:
        topics = topics[topics["level"] == 1] if (topics["level"] == 1).any() else topics
        topics = topics.sort_values("negative", ascending=False).head(TOP_TOPICS)[
            ["topic", "name", "n", "negative", "net_sentiment", "nps_impact"]].reset_index(drop=True)
    return ExecutiveReport(lang, ov.date_from, ov.date_to, _filters_shown(f, lang),
                           kpi_table(ov.current, ov.previous, lang), ov, drivers, topics,
                           period_alerts(engine, user, ov.date_from, ov.date_to, lang),
                           verbatims(engine, window, topics), hot_spots(engine, window, lang),
                           close_the_loop(engine, window, lang))


def close_the_loop(engine: Engine, f: Filters, lang: str) -> pd.DataFrame:
    """The Actions page's figures for items created in the period; the total row named as such."""
    loop = loop_figures(engine, lang, scope=scope_of(engine, f.departments), date_from=f.date_from,
                        date_to=f.date_to)
    loop["department"] = loop["department"].where(loop["department_code"] != "", t("report.total", lang))
    return loop[LOOP_COLUMNS].reset_index(drop=True)


def hot_spots(engine: Engine, f: Filters, lang: str) -> pd.DataFrame:
    """The journey map's touchpoints with the lowest NPS (enough answers to read), as the Journey page shows."""
    tmap = touchpoint_map(engine, f, lang)
    cols = ["stage", "touchpoint", "nps", "nps_n", "neg_share", "top_topic"]
    tmap = tmap[tmap["touchpoint_id"].notna() & (tmap["nps_n"] >= MIN_N)]
    return tmap.sort_values("nps").head(HOT_SPOTS)[cols].reset_index(drop=True)


def verbatims(engine: Engine, f: Filters, topics: pd.DataFrame) -> pd.DataFrame:
    """The newest few negative comments of each top topic, masked (phones, emails, names in text) for
    every reader: the report is meant to be forwarded. Searched in the period's last ``RECENT_DAYS`` first
    (a LIKE over a year of comments costs seconds at 1M rows), the whole period only when that finds none."""
    rows = []
    recent = f.with_dates(max(f.date_from, f.date_to - dt.timedelta(days=RECENT_DAYS - 1)), f.date_to) \
        if f.date_from and f.date_to else f
    for code, name in zip(topics.get("topic", ()), topics.get("name", ()), strict=True):
        cond = and_(response_text.c.response_id == responses.c.id,
                    response_text.c.topics.contains(f"|{code}:negative|", autoescape=True))
        found: list[str] = []
        for window in dict.fromkeys((recent, f)):
            stmt = apply_filters(select(responses.c.comment).select_from(responses.join(response_text, cond)), window)
            stmt = stmt.order_by(responses.c.occurred_at.desc(), responses.c.id.desc()).limit(VERBATIMS)
            with engine.connect() as conn:
                found = [str(c) for (c,) in conn.execute(stmt) if c]
            if found:
                break
        rows += [{"name": name, "comment": mask_text(c)} for c in found]
    return pd.DataFrame(rows, columns=["name", "comment"])
