"""What the executive report holds, gathered from the same functions the pages call, so the report,
the overview and ``stats --json`` cannot disagree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, and_, or_, select

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
RECENT_DAYS = (1, 3, 7, 14, 31, 92)  # the verbatims' windows: the period's last days, then the rest
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


def top_drivers(engine: Engine, f: Filters, lang: str) -> pd.DataFrame:
    """The key drivers of NPS with the largest importance, quadrants named."""
    drivers = key_drivers(engine, f, "nps", lang=lang).table
    if not drivers.empty:
        drivers = drivers.sort_values("importance", ascending=False).head(TOP_DRIVERS)[
            ["name", "importance", "performance", "quadrant", "n"]].reset_index(drop=True)
        drivers["quadrant"] = drivers["quadrant"].map(lambda q: t(f"report.quadrant.{q}", lang))
    return drivers


def top_topics(engine: Engine, f: Filters, lang: str) -> pd.DataFrame:
    """The top-level topics with the most negative comments."""
    topics = topic_table(engine, f, lang=lang)
    if not topics.empty:
        topics = topics[topics["level"] == 1] if (topics["level"] == 1).any() else topics
        topics = topics.sort_values("negative", ascending=False).head(TOP_TOPICS)[
            ["topic", "name", "n", "negative", "net_sentiment", "nps_impact"]].reset_index(drop=True)
    return topics


def build_report(engine: Engine, f: Filters, lang: str, user: User | None = None) -> ExecutiveReport | None:
    """The report for filters ``f``; a department lead's scope is added to ``f`` (their departments only).
    None when there is no data.

    The sections run one after the other on one pooled connection. Running them at once in threads was
    slower at 1M rows on SQLite (6.0-9.7 s against 3.8-5.8 s, load 10-12, 2 cores): each thread reads
    through its own connection's empty page cache, and the cores are busy anyway."""
    if user is not None and user.scope:
        f = Filters(**{**f.__dict__, "departments": user.scope})
    ov = build_overview(engine, f, lang)
    if ov is None:
        return None
    window = f.with_dates(ov.date_from, ov.date_to)
    topics = top_topics(engine, window, lang)
    return ExecutiveReport(lang, ov.date_from, ov.date_to, _filters_shown(f, lang),
                           kpi_table(ov.current, ov.previous, lang), ov, top_drivers(engine, window, lang), topics,
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


def _newest_first(f: Filters) -> list[Filters]:
    """The period cut into windows from its end backwards (its last day, the 2 before, then up to the
    last 7, 14, 31 and 92 days, then the rest), so the newest comments are found by reading a few days
    through the date index."""
    if f.date_from is None or f.date_to is None:
        return [f]
    windows, end = [], f.date_to
    for days in (*RECENT_DAYS, None):
        start = f.date_from if days is None else max(f.date_from, f.date_to - dt.timedelta(days=days - 1))
        windows.append(f.with_dates(start, end))
        if start == f.date_from:
            break
        end = start - dt.timedelta(days=1)
    return windows


def verbatims(engine: Engine, f: Filters, topics: pd.DataFrame) -> pd.DataFrame:
    """The newest few negative comments of each top topic, masked (phones, emails, names in text) for
    every reader: the report is meant to be forwarded. One query per window from the period's end
    backwards (``_newest_first``) reads the comments negative on any topic still short of ``VERBATIMS``,
    newest first; the row's comment is read only for those (the LIKE runs on ``response_text`` reached
    from the date index). A LIKE over a year of comments costs seconds at 1M rows, a day's milliseconds."""
    names = dict(zip(topics.get("topic", ()), topics.get("name", ()), strict=True))
    found: dict[str, list[str]] = {code: [] for code in names}
    joined = responses.join(response_text, response_text.c.response_id == responses.c.id)
    for window in _newest_first(f) if names else ():
        tags = {code: f"|{code}:negative|" for code in names if len(found[code]) < VERBATIMS}
        if not tags:
            break
        stmt = apply_filters(select(responses.c.comment, response_text.c.topics).select_from(joined), window)
        stmt = stmt.where(or_(*[response_text.c.topics.contains(tag, autoescape=True) for tag in tags.values()]))
        with engine.connect() as conn:
            for comment, topics_of in conn.execute(stmt.order_by(responses.c.occurred_at.desc(),
                                                                 responses.c.id.desc())):
                for code, tag in tags.items():
                    if comment and len(found[code]) < VERBATIMS and tag in topics_of:
                        found[code].append(str(comment))
    rows = [{"name": names[code], "comment": mask_text(c)} for code, comments in found.items() for c in comments]
    return pd.DataFrame(rows, columns=["name", "comment"])
