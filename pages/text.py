"""Text: what customers talk about and how they feel, from the analysis stored at import.

Word cloud coloured by sentiment beside a ranked term list; picking a term lists its comments (paged,
masked per role, the term highlighted in escaped Markdown) with the evidence behind each label. Topic x
sentiment, topic impact on NPS with CI, monthly topic trends and topics by stage/channel/touchpoint.
Every view is a SQL sum over the text rollups (``cem_core.text.report``), cached per filter.
"""

from __future__ import annotations

import json
from functools import partial

import streamlit as st

from cem_core import audit
from cem_core.charts import text as charts
from cem_core.i18n import fmt_date, fmt_int, t
from cem_core.privacy.release import reveal_or_mask
from cem_core.text import report
from cem_core.text.highlight import escape_markdown, highlight_markdown
from cem_core.ui import cache
from cem_core.ui.chart_kit import ChartKit
from cem_core.ui.context import T, lang, require
from cem_core.ui.filters import current_filters

user = require("view_analysis")
L = lang()
f = current_filters()
engine = cache.engine()
kit = ChartKit(engine, user, f, L)
token = report.text_token(engine)
TABS = ("cloud", "topics", "trends")
SENTS = ("all", "negative", "positive")

st.title(T("text.title"))
totals = cache.query(report.sentiment_totals, f, token=token)
analysed = sum(totals.values())
st.caption(T("text.caption", n=fmt_int(analysed, L), pos=fmt_int(totals["positive"], L),
             neu=fmt_int(totals["neutral"], L), neg=fmt_int(totals["negative"], L)))
if analysed == 0:
    st.info(T("text.empty"))
    st.stop()


def clear_term() -> None:
    st.session_state.pop("tx_term", None)
    st.session_state["tx_page"] = 1


def comments_panel(term: str, sentiment: str | None) -> None:
    """The comments containing ``term``: a page at a time, masked unless the role may see personal data."""
    with st.container(border=True):
        head, close = st.columns([6, 1], vertical_alignment="center")
        head.subheader(T("text.comments_title", term=term), anchor=False)
        close.button(T("text.clear_term"), on_click=clear_term, key="tx_term_close")
        total = cache.query(report.term_comments, f, term, sentiment=sentiment, page=0, page_size=1, lang=L,
                            token=token)[1]
        pages = max(1, -(-total // report.PAGE_SIZE))
        st.caption(T("text.comments_count", n=fmt_int(total, L), size=report.PAGE_SIZE))
        page = st.number_input(T("text.page"), min_value=1, max_value=pages, step=1, key="tx_page")
        rows, _ = cache.query(report.term_comments, f, term, sentiment=sentiment, page=int(page) - 1, lang=L,
                              token=token)
        # the product's one rule for showing personal data: masked unless the role may unmask, audited if so
        rows = reveal_or_mask(engine, rows, user, target="text:comments", columns={"comment": "text"})
        if not kit.unmask:
            st.caption(T("text.masked"))
        for r in rows.itertuples(index=False):
            with st.container(border=True):
                st.markdown(highlight_markdown(str(r.comment or ""), term))
                why = "; ".join(json.loads(r.evidence or "[]")) or t("text.why_none", L)
                label = t(f"text.sent.{r.sentiment}", L)
                meta = " · ".join(escape_markdown(str(x)) for x in (
                    fmt_date(r.occurred_at, L), r.channel or "—", r.stage or "—", f"NPS {r.nps}" if r.nps is not None
                    else "NPS —", f"{label} {r.score:+.2f}"))
                st.caption(meta)
                st.caption(T("text.why", why=escape_markdown(why)))


def tab_cloud() -> None:
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    pick = c1.segmented_control(T("text.comments_of"), SENTS, key="tx_sent", default="all",
                                format_func=lambda s: t(f"text.sent.{s}", L)) or "all"
    bigrams = c2.toggle(T("text.bigrams"), key="tx_bigrams")
    sentiment = None if pick == "all" else pick
    terms = cache.query(report.term_counts, f, sentiment=sentiment, bigrams=bigrams, top=150, token=token)
    if terms.empty:
        st.info(T("text.empty"))
        return
    left, right = st.columns([3, 2])
    png = cache.query(report.cloud_png, f, sentiment, bigrams, token=token)
    left.image(png, caption=T("text.cloud_alt"), width="stretch")
    if kit.can_export:
        left.download_button(T("text.download_cloud"), data=partial(_cloud_file, png), file_name="wordcloud.png",
                             mime="image/png", key="tx_dl_cloud", on_click="ignore", icon=":material/download:")
    with right:
        st.subheader(T("text.terms_title"), anchor=False)
        st.pills(T("text.pick_term"), terms["term"].head(30).tolist(), key="tx_term", on_change=_new_term)
        table = terms.assign(sentiment=terms["sentiment"].map(lambda s: t(f"text.sent.{s}", L)))
        st.dataframe(table.rename(columns={"term": t("text.col.term", L), "count": t("text.col.count", L),
                                           "avg_score": t("text.col.avg_score", L),
                                           "sentiment": t("text.col.sentiment", L)}),
                     hide_index=True, width="stretch", height=320)
    chart = charts.term_bars(terms, L)
    kit.downloads("text_terms", terms, chart)
    term = st.session_state.get("tx_term")
    if term:
        comments_panel(term, sentiment)


def _new_term() -> None:
    st.session_state["tx_page"] = 1


def _cloud_file(png: bytes) -> bytes:
    audit.record(engine, user.username, "export", target="text:wordcloud", detail={"format": "png"})
    return png


def tab_topics() -> None:
    level = st.segmented_control(T("text.topics.level"), (2, 1), key="tx_level", default=2,
                                 format_func=lambda v: t(f"text.topics.level{v}", L)) or 2
    table = cache.query(report.topic_table, f, None, L, token=token)
    table = table[table["level"] == level]
    if table.empty:
        st.info(T("text.empty"))
        return
    st.subheader(T("text.topics.matrix"), anchor=False)
    chart = charts.topic_sentiment(table, L)
    st.altair_chart(chart, width="stretch")
    st.caption(T("text.topics.matrix_read"))
    kit.downloads("text_topic_sentiment", table, chart)
    st.subheader(T("text.topics.impact"), anchor=False)
    costly = table.dropna(subset=["nps_impact"]).sort_values("nps_impact").head(3)
    costly = costly[costly["nps_impact"] < 0]
    if not costly.empty:
        st.markdown(T("text.topics.costliest", names=", ".join(escape_markdown(n) for n in costly["name"])))
    impact = charts.nps_impact(table, L)
    st.altair_chart(impact, width="stretch")
    st.caption(T("text.topics.impact_read"))
    kit.downloads("text_nps_impact", table, impact)
    st.subheader(T("text.topics.suggest"), anchor=False)
    st.caption(T("text.topics.suggest_read"))
    st.dataframe(cache.query(report.suggestions, f, token=token).rename(
        columns={"term": t("text.col.term", L), "count": t("text.col.count", L)}), hide_index=True)


def tab_trends() -> None:
    trend = cache.query(report.topic_trends, f, None, L, token=token)
    st.subheader(T("text.trends.title"), anchor=False)
    if trend.empty:
        st.info(T("text.empty"))
    else:
        chart = charts.topic_trend(trend, L)
        st.altair_chart(chart, width="stretch")
        kit.downloads("text_topic_trends", trend, chart)
    st.subheader(T("text.trends.by"), anchor=False)
    dim = st.segmented_control(T("text.trends.dim"), tuple(report.DIMENSIONS), key="tx_dim", default="stage",
                               format_func=lambda d: t(f"text.dim.{d}", L)) or "stage"
    by = cache.query(report.topics_by, f, None, dim, L, sentiment="negative", token=token)
    if by.empty:
        st.info(T("text.empty"))
        return
    heat = charts.topic_heatmap(by, dim, t(f"text.dim.{dim}", L), L)
    st.altair_chart(heat, width="stretch")
    st.caption(T("text.trends.read"))
    kit.downloads(f"text_topics_by_{dim}", by, heat)


tab = st.segmented_control(T("text.tab_pick"), TABS, key="tx_tab", default="cloud",
                           format_func=lambda v: t(f"text.tab.{v}", L)) or "cloud"
{"cloud": tab_cloud, "topics": tab_topics, "trends": tab_trends}[tab]()
