"""What the Text page, the CLI and exports ask of the stored analysis: SQL sums over the term and topic
rollups (``cem_core.text.store``), never a re-tokenisation.

Two sources, picked per query (``_source``), giving the same numbers:

- ``cells``: the month cells (``text_term_cell``, ``text_topic_cell``; month x channel x stage x
  touchpoint, the sentiments as columns) for whole months, plus the day rollups (day x channel x stage x
  touchpoint x sentiment) for the days of a partial month at either edge of the date range, or for the
  whole range when it holds no whole month (``analyze.cells.split_dates``: the design of the analysis
  page's cells). Department scope is a touchpoint filter, so the cells answer it too.
- ``rows``: the filtered comments' stored analysis when region, product or segment is filtered (in no
  rollup), or when the cells do not cover every stored comment (``cells_complete``: a writer that broke
  the contract makes the page slower, never wrong).

The journey map's two text columns (analysed and negative comments per touchpoint, its negative topics) have
their own cells by region, product and segment too (``text_touchpoint_cell``: ``touchpoint_negative_sums``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, and_, case, func, literal, select

from cem_core.analyze.cells import month_of, split_dates
from cem_core.analyze.queries import Filters, apply_filters, channels, read_frame, responses, stages, touchpoints
from cem_core.db.models import (
    ResponseText,
    TextTermRollup,
    TextTopicRollup,
    text_counts,
    text_term_cell,
    text_topic_cell,
    text_touchpoint_cell,
)
from cem_core.i18n import name_col
from cem_core.text.cloud import render_cloud
from cem_core.text.dictionaries import TextConfig
from cem_core.text.settings import active_config_of
from cem_core.text.store import ALL_TOPICS
from cem_core.text.sums import TERM_MAX
from cem_core.text.tokens import bigrams as make_bigrams
from cem_core.text.topics import Taxonomy, suggest_topics

term_rollup = TextTermRollup.__table__
topic_rollup = TextTopicRollup.__table__
term_cell = text_term_cell
topic_cell = text_topic_cell
response_text = ResponseText.__table__
SENTIMENTS = ("positive", "neutral", "negative")
PAGE_SIZE = 20
Z95 = 1.96


def text_token(engine: Engine) -> str:
    """Changes whenever the stored analysis changes (a new settings version, each committed chunk of a
    re-analysis, new or deleted comments): the page passes it as ``token`` so its cached answers follow
    the analysis. Every function here takes ``token`` only for that reason. Index reads only."""
    active = active_config_of(engine).version
    c = topic_cell.c
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(response_text)).scalar_one()
        fresh = conn.execute(select(func.count()).where(response_text.c.version == active)).scalar_one()
        sums = conn.execute(select(*(func.coalesce(func.sum(c[s]), 0) for s in SENTIMENTS))
                            .where(c.topic == ALL_TOPICS)).one()
    return ":".join(str(v) for v in (active, n, fresh, *sums))


def cells_complete(engine: Engine) -> bool:
    """Whether the month cells count every stored comment (the ``*`` topic cells hold one per comment):
    the count check of ``analyze.cells.complete``. The day rollups are written with them. Postgres reads the
    stored comments from ``text_counts``, kept by triggers on ``response_text`` (migration 0030), as its
    ``count(*)`` is a full scan of the comments; SQLite's reads the smallest index."""
    c = topic_cell.c
    analysed = _analysed(engine)
    counted = select(func.coalesce(func.sum(c.positive + c.neutral + c.negative), 0)).where(
        c.topic == ALL_TOPICS).scalar_subquery()
    with engine.connect() as conn:
        analysed, counted = conn.execute(select(analysed, counted)).one()
    return int(analysed) == int(counted)


def _analysed(engine: Engine):
    """The stored comments' count as a scalar subquery: ``text_counts`` on Postgres (see ``cells_complete``)."""
    return (select(func.coalesce(func.sum(text_counts.c.comments), 0)) if engine.dialect.name == "postgresql"
            else select(func.count()).select_from(response_text)).scalar_subquery()


def place_cells_complete(engine: Engine) -> bool:
    """Whether ``text_touchpoint_cell`` counts every stored comment (its ``*`` rows hold one per comment)."""
    c = text_touchpoint_cell.c
    counted = select(func.coalesce(func.sum(c.comments), 0)).where(c.topic == ALL_TOPICS).scalar_subquery()
    with engine.connect() as conn:
        analysed, counted = conn.execute(select(_analysed(engine), counted)).one()
    return int(analysed) == int(counted)


def _source(engine: Engine, f: Filters) -> str:
    """``cells`` or ``rows``: the smallest source that answers ``f`` exactly (see the module)."""
    return "rows" if f.regions or f.products or f.segments or not cells_complete(engine) else "cells"


def _in_months(stmt: Select, cell_table, months: tuple) -> Select:
    """``stmt`` over the cells limited to the whole months [first, last] (None = open)."""
    if months[0] is not None:
        stmt = stmt.where(cell_table.c.month >= months[0])
    return stmt if months[1] is None else stmt.where(cell_table.c.month <= months[1])


def _cells_and_edges(engine: Engine, f: Filters, cell_query: Callable[[Filters], Select],
                     day_query: Callable[[Filters], Select], cell_table, keys: list[str]) -> pd.DataFrame:
    """Sums over whole months from the cells plus the edge days from the day rollups, added up by
    ``keys``. ``cell_query`` / ``day_query`` build the grouped statement under the filters they get."""
    months, edges = split_dates(f.date_from, f.date_to)
    undated = replace(f, date_from=None, date_to=None)
    frames = [] if months is None else [read_frame(engine, _in_months(cell_query(undated), cell_table, months))]
    frames += [read_frame(engine, day_query(undated.with_dates(lo, hi))) for lo, hi in edges]
    frames = [fr for fr in frames if not fr.empty]
    if len(frames) <= 1:
        return frames[0] if frames else pd.DataFrame()
    return pd.concat(frames, ignore_index=True).groupby(keys, dropna=False, as_index=False).sum()


def _row_filter(f: Filters) -> Select:
    """Ids of the filtered responses (for the free-text filters the rollups cannot answer)."""
    return apply_filters(select(responses.c.id), f)


# -- terms ------------------------------------------------------------------------------------------

def term_counts(engine: Engine, f: Filters, *, sentiment: str | None = None, bigrams: bool = False,
                top: int = 100, token: str = "") -> pd.DataFrame:
    """The ``top`` terms (or bigrams) of the filtered comments: ``term, count, avg_score, sentiment``
    (``avg_score`` is the term's net sentiment in -1..1 and ``sentiment`` its colour class)."""
    if _source(engine, f) == "rows":
        return _term_counts_from_rows(engine, f, sentiment, bigrams, top)
    kind = 2 if bigrams else 1

    def by_day(g: Filters) -> Select:
        c = term_rollup.c
        net = func.sum(case((c.sentiment == "positive", c.n), (c.sentiment == "negative", -c.n), else_=0))
        stmt = apply_filters(select(c.term, func.sum(c.n).label("count"), net.label("net")).where(c.kind == kind),
                             g, term_rollup)
        stmt = stmt.where(c.sentiment == sentiment) if sentiment else stmt
        return stmt.group_by(c.term).having(func.sum(c.n) > 0)  # > 0: a re-analysis's differences can cancel

    def by_month(g: Filters) -> Select:
        c = term_cell.c
        count: ColumnElement = c[sentiment] if sentiment else c.positive + c.neutral + c.negative
        net: ColumnElement = (c.positive - c.negative if not sentiment else c[sentiment] if sentiment == "positive"
                              else -c[sentiment] if sentiment == "negative" else literal(0))
        stmt = apply_filters(select(c.term, func.sum(count).label("count"), func.sum(net).label("net"))
                             .where(c.kind == kind), g, term_cell)
        if sentiment:  # a cell without that sentiment adds nothing: two thirds of the rows never reach the grouping
            stmt = stmt.where(count != 0)
        return stmt.group_by(c.term).having(func.sum(count) > 0)

    months, edges = split_dates(f.date_from, f.date_to)
    if bigrams and edges:  # no day rollups of bigrams (``text.sums.BIGRAM``): edge days from the stored terms
        undated = replace(f, date_from=None, date_to=None)
        frames = [] if months is None else [read_frame(engine, _in_months(by_month(undated), term_cell, months))]
        frames += [_counted_rows(engine, undated.with_dates(lo, hi), sentiment, True) for lo, hi in edges]
        frames = [fr for fr in frames if not fr.empty]
        df = pd.concat(frames, ignore_index=True).groupby("term", as_index=False).sum() if frames else pd.DataFrame()
    elif months is None or not edges:  # one grouped query: rank and cut in SQL
        if months is None:
            stmt, table = by_day(f), term_rollup
        else:
            stmt, table = _in_months(by_month(replace(f, date_from=None, date_to=None)), term_cell, months), term_cell
        stmt = stmt.order_by(stmt.selected_columns["count"].desc(), _bytewise(table.c.term, engine)).limit(top)
        return _finish_terms(read_frame(engine, stmt))
    else:
        df = _cells_and_edges(engine, f, by_month, by_day, term_cell, ["term"])
    if df.empty:
        return _finish_terms(df)
    df = df[df["count"] > 0].sort_values(["count", "term"], ascending=[False, True]).head(top)
    return _finish_terms(df.reset_index(drop=True))


def _bytewise(col, engine: Engine):
    """Ties broken by code point on both databases (Postgres would otherwise use the locale's order,
    and the top N would differ from SQLite's at the boundary)."""
    return col.collate("C") if engine.dialect.name == "postgresql" else col


def _finish_terms(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=["term", "count", "avg_score", "sentiment"])
    df["count"] = df["count"].astype(int)
    df["avg_score"] = (df["net"].astype(float) / df["count"]).round(3)
    df["sentiment"] = [_label(s) for s in df["avg_score"]]
    return df.drop(columns="net").sort_values(["count", "term"], ascending=[False, True]).reset_index(drop=True)


def _label(avg: float) -> str:
    """A term's colour class from its net sentiment, (positive - negative comments) / all of its comments,
    in -1..1 (±0.2 is a clear lean)."""
    return "positive" if avg >= 0.2 else "negative" if avg <= -0.2 else "neutral"


def _term_counts_from_rows(engine: Engine, f: Filters, sentiment: str | None, bigrams: bool,
                           top: int) -> pd.DataFrame:
    df = _counted_rows(engine, f, sentiment, bigrams)
    if df.empty:
        return _finish_terms(df)
    return _finish_terms(df.sort_values(["count", "term"], ascending=[False, True]).head(top))


def _counted_rows(engine: Engine, f: Filters, sentiment: str | None, bigrams: bool) -> pd.DataFrame:
    """Every term (or bigram) of the filtered comments' stored terms: ``term, count, net``."""
    stmt = select(response_text.c.terms, response_text.c.label).where(
        response_text.c.response_id.in_(_row_filter(f)))
    if sentiment:
        stmt = stmt.where(response_text.c.label == sentiment)
    counts: Counter[str] = Counter()
    sums: Counter[str] = Counter()
    with engine.connect() as conn:
        for terms, label in conn.execute(stmt):
            words = [w for w in terms.split("|") if w]
            items = make_bigrams(words) if bigrams else words
            counts.update(items)
            if label != "neutral":
                sign = 1 if label == "positive" else -1
                for w in items:
                    sums[w] += sign
    df = pd.DataFrame([(t, n, sums[t]) for t, n in counts.items()], columns=["term", "count", "net"])
    long = df["term"].str.len() > TERM_MAX
    if long.any():  # as the rollups keep them: cut to TERM_MAX characters, so both sources name a term alike
        df.loc[long, "term"] = df.loc[long, "term"].str.slice(0, TERM_MAX)
        df = df.groupby("term", as_index=False).sum()
    return df


def term_comments(engine: Engine, f: Filters, term: str, *, sentiment: str | None = None, page: int = 0,
                  page_size: int = PAGE_SIZE, lang: str = "en", token: str = "") -> tuple[pd.DataFrame, int]:
    """One page of the filtered comments containing ``term`` (newest first) and how many there are. The
    comments are as stored: callers show them through ``privacy.release.reveal_or_mask``, the one rule."""
    needle = "|" + term.replace("|", "/") + "|"
    if " " in term:  # a bigram: both words, adjacent
        a, b = term.split(" ", 1)
        needle = f"|{a}|{b}|"
    cond = and_(response_text.c.response_id == responses.c.id, response_text.c.terms.contains(needle, autoescape=True))
    if sentiment:
        cond = and_(cond, response_text.c.label == sentiment)
    base = apply_filters(select(func.count()).select_from(responses.join(response_text, cond)), f)
    ch_name, st_name = channels.c[name_col(lang)], stages.c[name_col(lang)]
    stmt = apply_filters(
        select(responses.c.id, responses.c.occurred_at, ch_name.label("channel"), st_name.label("stage"),
               responses.c.nps, response_text.c.label.label("sentiment"), response_text.c.score,
               responses.c.comment, response_text.c.evidence)
        .select_from(responses.join(response_text, cond)
                     .outerjoin(channels, channels.c.id == responses.c.channel_id)
                     .outerjoin(stages, stages.c.id == responses.c.stage_id)), f)
    stmt = stmt.order_by(responses.c.occurred_at.desc(), responses.c.id.desc()).limit(page_size).offset(
        page * page_size)
    with engine.connect() as conn:
        total = int(conn.execute(base).scalar_one())
    return read_frame(engine, stmt), total


# -- topics -----------------------------------------------------------------------------------------

TOPIC_SUMS = ("n", "nps_n", "promoters", "detractors", "score_sum", *SENTIMENTS)


def _topic_sums(engine: Engine, f: Filters, group: tuple[str, ...] = ()) -> pd.DataFrame:
    """n, nps counts and sentiment counts per topic (and per ``group``: month, channel_id, stage_id or
    touchpoint_id) of the filtered comments."""
    if _source(engine, f) == "rows":
        df = _topic_sums_from_rows(engine, f, group)
    else:
        def by_day(g: Filters) -> Select:
            c = topic_rollup.c
            keys = [c.topic, *(month_of(c.occurred_date, engine.dialect.name).label("month") if k == "month"
                               else c[k] for k in group)]
            sums = [func.sum(c[m]).label(m) for m in TOPIC_SUMS[:5]]
            sums += [func.sum(case((c.sentiment == s, c.n), else_=0)).label(s) for s in SENTIMENTS]
            return apply_filters(select(*keys, *sums), g, topic_rollup).group_by(*keys)

        def by_month(g: Filters) -> Select:
            c = topic_cell.c
            keys = [c.topic, *(c[k] for k in group)]
            sums = [func.sum(c.positive + c.neutral + c.negative).label("n"),
                    *(func.sum(c[m]).label(m) for m in TOPIC_SUMS[1:])]
            return apply_filters(select(*keys, *sums), g, topic_cell).group_by(*keys)

        if split_dates(f.date_from, f.date_to)[0] is None:
            df = read_frame(engine, by_day(f))
        else:
            df = _cells_and_edges(engine, f, by_month, by_day, topic_cell, ["topic", *group])
    if df.empty:
        return pd.DataFrame(columns=["topic", *group, *TOPIC_SUMS])
    for col in TOPIC_SUMS:
        df[col] = df[col].fillna(0).astype(float if col == "score_sum" else int)
    return df[df["n"] > 0].reset_index(drop=True)  # a re-analysis's differences can cancel to 0


def _topic_sums_from_rows(engine: Engine, f: Filters, group: tuple) -> pd.DataFrame:
    """The same sums from the filtered rows' stored topics (free-text filters)."""
    keys = [month_of(responses.c.occurred_date, engine.dialect.name).label("month") if g == "month"
            else responses.c[g] for g in group]
    stmt = select(response_text.c.topics, response_text.c.label, response_text.c.score, responses.c.nps,
                  *keys).join(
        responses, responses.c.id == response_text.c.response_id)
    stmt = apply_filters(stmt, f)
    acc: dict[tuple, list[float]] = {}
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            topics, label, score, nps, *values = row
            pairs = [(ALL_TOPICS, label)] + [tuple(t.rsplit(":", 1)) for t in topics.split("|") if t]
            for code, lab in pairs:
                a = acc.setdefault((code, *values), [0, 0, 0, 0, 0.0, 0, 0, 0])
                a[0] += 1
                a[1] += nps is not None
                a[2] += nps is not None and nps >= 9
                a[3] += nps is not None and nps <= 6
                a[4] += score
                a[5 + SENTIMENTS.index(lab)] += 1
    cols = ["topic", *group, "n", "nps_n", "promoters", "detractors", "score_sum", *SENTIMENTS]
    return pd.DataFrame([(*k, *v) for k, v in acc.items()], columns=cols)


def _nps(p: float, d: float, n: float) -> float:
    return 100.0 * (p - d) / n if n else float("nan")


def _nps_var(p: float, d: float, n: float) -> float:
    """Variance of NPS (in points²) from promoter/detractor shares: (p+d-(p-d)²)/n x 100²."""
    if not n:
        return float("nan")
    pp, dd = p / n, d / n
    return (pp + dd - (pp - dd) ** 2) / n * 10_000


def topic_table(engine: Engine, f: Filters, config: TextConfig | None = None, lang: str = "en",
                token: str = "") -> pd.DataFrame:
    """Per topic: volume, sentiment counts, net sentiment, and its impact on NPS with a 95 % CI.

    ``nps_impact`` = share x (NPS of commenters mentioning it - NPS of those who don't): the NPS points
    the topic moves the commenters' NPS by. Negative = the topic costs NPS. ``n`` is the comments that
    mention it; CI by the normal approximation of the difference of two independent NPS."""
    df = _topic_sums(engine, f)
    tax = Taxonomy((config or active_config_of(engine)).topics)
    names = tax.names(lang)
    cols = ["topic", "name", "parent", "level", "n", "positive", "neutral", "negative", "net_sentiment",
            "nps_with", "nps_without", "nps_impact", "ci_low", "ci_high", "nps_n"]
    if df.empty or ALL_TOPICS not in set(df["topic"]):
        return pd.DataFrame(columns=cols)
    total = df[df["topic"] == ALL_TOPICS].iloc[0]
    rows = []
    for r in df[df["topic"] != ALL_TOPICS].itertuples(index=False):
        rule = tax.by_code.get(r.topic)
        n_in, p_in, d_in = r.nps_n, r.promoters, r.detractors
        n_out, p_out, d_out = total.nps_n - n_in, total.promoters - p_in, total.detractors - d_in
        share = n_in / total.nps_n if total.nps_n else float("nan")
        with_, without = _nps(p_in, d_in, n_in), _nps(p_out, d_out, n_out)
        impact = share * (with_ - without)
        se = share * math.sqrt(_nps_var(p_in, d_in, n_in) + _nps_var(p_out, d_out, n_out)) if n_in and n_out \
            else float("nan")
        rows.append((r.topic, names.get(r.topic, r.topic), rule.parent if rule else "",
                     2 if rule and rule.parent else 1, int(r.n), int(r.positive), int(r.neutral), int(r.negative),
                     round((r.positive - r.negative) / r.n * 100, 1) if r.n else float("nan"),
                     round(with_, 1), round(without, 1), round(impact, 2), round(impact - Z95 * se, 2),
                     round(impact + Z95 * se, 2), int(n_in)))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["n", "topic"], ascending=[False, True]).reset_index(drop=True)


def topic_trends(engine: Engine, f: Filters, config: TextConfig | None = None, lang: str = "en", level: int = 2,
                 top: int = 8, token: str = "") -> pd.DataFrame:
    """Monthly volume and negative share of the ``top`` topics of ``level``: ``month, topic, name, n,
    negative, negative_share``."""
    df = _topic_sums(engine, f, ("month",))
    tax = Taxonomy((config or active_config_of(engine)).topics)
    keep = {r.code for r in tax.rules if (2 if r.parent else 1) == level}
    df = df[df["topic"].isin(keep)] if not df.empty else df
    if df.empty:
        return pd.DataFrame(columns=["month", "topic", "name", "n", "negative", "negative_share"])
    df["month"] = pd.to_datetime(df["month"].astype(str).str[:7] + "-01")
    leaders = df.groupby("topic")["n"].sum().nlargest(top).index
    m = df[df["topic"].isin(leaders)].groupby(["month", "topic"])[["n", "negative"]].sum().reset_index()
    m["name"] = m["topic"].map(tax.names(lang))
    m["negative_share"] = (m["negative"] / m["n"]).round(3)
    return m[["month", "topic", "name", "n", "negative", "negative_share"]]


DIMENSIONS = {"stage": (stages, "stage_id"), "channel": (channels, "channel_id"),
              "touchpoint": (touchpoints, "touchpoint_id")}


def topics_by(engine: Engine, f: Filters, config: TextConfig | None, dim: str, lang: str = "en", level: int = 2,
              sentiment: str | None = None, token: str = "", sums: pd.DataFrame | None = None) -> pd.DataFrame:
    """Topic mentions (or only those with the given per-topic sentiment) per journey stage, channel or
    touchpoint: ``dim, dim_name, topic, name, n, negative, share``. ``sums``: ``_topic_sums`` by the dimension,
    when the caller has read it already."""
    table, col = DIMENSIONS[dim]
    df = _topic_sums(engine, f, (col,)) if sums is None else sums
    rules = (config or active_config_of(engine)).topics  # names and levels only: no Taxonomy (it compiles
    keep = {r.code for r in rules if (2 if r.parent else 1) == level}  # every keyword's pattern, ms a call)
    cols = [dim, "dim_name", "topic", "name", "n", "negative", "share"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    totals = df[df["topic"] == ALL_TOPICS].set_index(col)["n"]
    df = df[df["topic"].isin(keep)].copy()
    value = df[sentiment] if sentiment else df["n"]
    df["value"] = value
    with engine.connect() as conn:
        names = dict(conn.execute(select(table.c.id, table.c[name_col(lang)])).all())
    df["dim_name"] = df[col].map(names).fillna("—")
    df["name"] = df["topic"].map({r.code: r.name_zh if lang == "zh" else r.name_en for r in rules})
    df["share"] = (df["value"] / df[col].map(totals)).round(3)
    out = df.rename(columns={col: dim})[[dim, "dim_name", "topic", "name", "value", "negative", "share"]]
    out = out.rename(columns={"value": "n"})
    return out.sort_values([dim, "n", "topic"], ascending=[True, False, True]).reset_index(drop=True)


def touchpoint_topic_sums(engine: Engine, f: Filters) -> pd.DataFrame:
    """``_topic_sums`` per touchpoint, every sum: what ``touchpoint_negative_sums`` falls back to."""
    return _topic_sums(engine, f, ("touchpoint_id",))


def place_source(engine: Engine, f: Filters) -> str:
    """Where ``touchpoint_negative_sums`` reads: ``place_cells`` (``text_touchpoint_cell``, with any channel,
    stage or department filter on top) under a region, product or segment filter, else ``topic_sums``
    (``touchpoint_topic_sums``: the text cells answer it), and so too when ``text_touchpoint_cell`` misses
    comments (``place_cells_complete``: slower, never wrong)."""
    if not (f.regions or f.products or f.segments) or not place_cells_complete(engine):
        return "topic_sums"
    return "place_cells"


def touchpoint_negative_sums(engine: Engine, f: Filters) -> pd.DataFrame:
    """What the journey map's text columns read (``touchpoint_sentiment``, ``touchpoint_negative_topics``):
    per touchpoint and topic ``n`` and ``negative`` (the ``*`` topic: analysed and negative comments; a topic:
    its negative clauses in both). Under a region, product or segment filter from ``text_touchpoint_cell`` for
    the window's whole months plus the comments' rows of its partial edge months, as ``touchpoint_cell`` does
    for the map's scores (a channel filter too: the cells carry the channel since 0032); otherwise
    (``place_source``) the full ``touchpoint_topic_sums``. Both give the map the same numbers."""
    if place_source(engine, f) == "topic_sums":
        return touchpoint_topic_sums(engine, f)
    months, edges = split_dates(f.date_from, f.date_to)
    undated = replace(f, date_from=None, date_to=None)
    frames = []
    if months is not None:
        c = text_touchpoint_cell.c
        stmt = apply_filters(select(c.touchpoint_id, c.topic, func.sum(c.comments).label("comments"),
                                    func.sum(c.negative).label("negative")), undated, text_touchpoint_cell)
        frames.append(read_frame(engine, _in_months(stmt.group_by(c.touchpoint_id, c.topic), text_touchpoint_cell,
                                                    months)))
    for lo, hi in edges:
        rows = _topic_sums_from_rows(engine, undated.with_dates(lo, hi), ("touchpoint_id",))
        rows["comments"] = rows["n"].where(rows["topic"] == ALL_TOPICS, 0)
        frames.append(rows[["touchpoint_id", "topic", "comments", "negative"]])
    frames = [fr for fr in frames if not fr.empty]
    if not frames:
        return pd.DataFrame(columns=["topic", "touchpoint_id", "n", "negative"])
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True).groupby(
        ["touchpoint_id", "topic"], dropna=False, as_index=False).sum()  # one frame: grouped in SQL already
    df["n"] = df["comments"].where(df["topic"] == ALL_TOPICS, df["negative"]).astype(int)
    df["negative"] = df["negative"].astype(int)
    return df.loc[df["n"] > 0, ["topic", "touchpoint_id", "n", "negative"]].reset_index(drop=True)


def touchpoint_sentiment(engine: Engine, f: Filters, sums: pd.DataFrame | None = None) -> pd.DataFrame:
    """Analysed comments and how many of them are negative, per touchpoint: ``touchpoint_id, comments,
    negative`` (the journey map's negative-comment share)."""
    df = touchpoint_negative_sums(engine, f) if sums is None else sums
    if df.empty:
        return pd.DataFrame(columns=["touchpoint_id", "comments", "negative"])
    df = df[(df["topic"] == ALL_TOPICS) & df["touchpoint_id"].notna()]
    return df.rename(columns={"n": "comments"})[["touchpoint_id", "comments", "negative"]].reset_index(drop=True)


def touchpoint_negative_topics(engine: Engine, f: Filters, lang: str, touchpoint_id: int | None = None,
                               sums: pd.DataFrame | None = None) -> pd.DataFrame:
    """Level-2 topics by how often their clause was negative, per touchpoint (one touchpoint when given):
    ``touchpoint_id, topic (its name in lang), negative``, most negative first."""
    sums = touchpoint_negative_sums(engine, f) if sums is None else sums
    df = topics_by(engine, f, None, "touchpoint", lang, sentiment="negative", sums=sums)
    df = df[df["n"] > 0]
    if touchpoint_id is not None:
        df = df[df["touchpoint"] == touchpoint_id]
    out = df.rename(columns={"touchpoint": "touchpoint_id", "topic": "code", "name": "topic"})
    out = out.assign(negative=out["n"])[["touchpoint_id", "topic", "negative"]]
    return out.sort_values(["negative", "topic"], ascending=[False, True]).reset_index(drop=True)


def top_negative_topics(engine: Engine, f: Filters, config: TextConfig | None, touchpoint_id: int, top: int = 3,
                        lang: str = "en") -> list[str]:
    """The level-2 topics most often negative in one touchpoint's comments (demo truth check, page)."""
    df = topics_by(engine, f, config, "touchpoint", lang, sentiment="negative")
    df = df[df["touchpoint"] == touchpoint_id]
    return df[df["n"] > 0].sort_values(["n", "topic"], ascending=[False, True])["topic"].head(top).tolist()


def suggestions(engine: Engine, f: Filters, config: TextConfig | None = None, top: int = 20,
                token: str = "") -> pd.DataFrame:
    """Frequent terms no topic covers: candidates an admin can adopt as keywords or topics. Sentiment
    words (还行, 非常满意) say how, not what, so they are never suggested."""
    config = config or active_config_of(engine)
    terms = term_counts(engine, f, top=500)
    polar = {*config.lexicon, *config.rules.get("neutral_cues_zh", ()), *config.rules.get("neutral_cues_en", ())}
    counts = {t: n for t, n in zip(terms["term"], terms["count"], strict=True) if t not in polar}
    picked = suggest_topics(counts, Taxonomy(config.topics), top)
    return pd.DataFrame(picked, columns=["term", "count"])


def cloud_png(engine: Engine, f: Filters, sentiment: str | None, bigrams: bool, token: str = "") -> bytes:
    """The word cloud of the filtered comments (top 150 terms) as PNG."""
    return render_cloud(term_counts(engine, f, sentiment=sentiment, bigrams=bigrams, top=150))


def sentiment_totals(engine: Engine, f: Filters, token: str = "") -> dict[str, int]:
    """Analysed comments per sentiment (the ``*`` topic rows)."""
    df = _topic_sums(engine, f)
    if df.empty or ALL_TOPICS not in set(df["topic"]):
        return dict.fromkeys(SENTIMENTS, 0)
    row = df[df["topic"] == ALL_TOPICS].iloc[0]
    return {s: int(row[s]) for s in SENTIMENTS}
