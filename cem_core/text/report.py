"""What the Text page, the CLI and exports ask of the stored analysis: SQL sums over the term and topic
rollups (``cem_core.text.store``), never a re-tokenisation.

The rollups carry day, channel, stage and touchpoint, so the shared filters (dates, channels, stages,
department scope) apply to them directly. Region, product and segment are not in the rollups: with one
of those set, counts come from the filtered rows' stored analysis instead (slower, still no re-analysis).
"""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd
from sqlalchemy import Engine, Select, and_, case, func, select

from cem_core.analyze.queries import Filters, apply_filters, channels, read_frame, responses, stages, touchpoints
from cem_core.db.models import ResponseText, TextTermRollup, TextTopicRollup
from cem_core.i18n import name_col
from cem_core.text.cloud import render_cloud
from cem_core.text.dictionaries import TextConfig
from cem_core.text.settings import active_config_of
from cem_core.text.store import ALL_TOPICS
from cem_core.text.tokens import bigrams as make_bigrams
from cem_core.text.topics import Taxonomy, suggest_topics

term_rollup = TextTermRollup.__table__
topic_rollup = TextTopicRollup.__table__
response_text = ResponseText.__table__
SENTIMENTS = ("positive", "neutral", "negative")
PAGE_SIZE = 20
ROW_SCAN_LIMIT = 200_000  # comments read for term counts when a free-text filter forces the row path
Z95 = 1.96


def text_token(engine: Engine) -> str:
    """Changes whenever the stored analysis changes (a new settings version, a re-analysis in progress,
    new comments): the page passes it as ``token`` so its cached answers follow the analysis. Every
    function here takes ``token`` only for that reason."""
    with engine.connect() as conn:
        n, version = conn.execute(select(func.count(), func.coalesce(func.max(response_text.c.version), 0))).one()
        rows = conn.execute(select(func.coalesce(func.sum(topic_rollup.c.n), 0))).scalar_one()
    return f"{active_config_of(engine).version}:{version}:{n}:{rows}"


def _needs_rows(f: Filters) -> bool:
    return bool(f.regions or f.products or f.segments)


def _row_filter(f: Filters) -> Select:
    """Ids of the filtered responses (for the free-text filters the rollups cannot answer)."""
    return apply_filters(select(responses.c.id), f)


# -- terms ------------------------------------------------------------------------------------------

def term_counts(engine: Engine, f: Filters, *, sentiment: str | None = None, bigrams: bool = False,
                top: int = 100, token: str = "") -> pd.DataFrame:
    """The ``top`` terms (or bigrams) of the filtered comments: ``term, count, avg_score, sentiment``
    (``avg_score`` is the term's net sentiment in -1..1 and ``sentiment`` its colour class)."""
    if _needs_rows(f):
        return _term_counts_from_rows(engine, f, sentiment, bigrams, top)
    c = term_rollup.c
    net = func.sum(case((c.sentiment == "positive", c.n), (c.sentiment == "negative", -c.n), else_=0))
    stmt = select(c.term, func.sum(c.n).label("count"), net.label("net")).where(c.kind == (2 if bigrams else 1))
    stmt = apply_filters(stmt, f, term_rollup)
    if sentiment:
        stmt = stmt.where(c.sentiment == sentiment)
    stmt = stmt.group_by(c.term).order_by(func.sum(c.n).desc(), _bytewise(c.term, engine)).limit(top)
    return _finish_terms(read_frame(engine, stmt))


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
    stmt = select(response_text.c.terms, response_text.c.label).where(
        response_text.c.response_id.in_(_row_filter(f)))
    if sentiment:
        stmt = stmt.where(response_text.c.label == sentiment)
    counts: Counter[str] = Counter()
    sums: Counter[str] = Counter()
    with engine.connect() as conn:
        for terms, label in conn.execute(stmt.limit(ROW_SCAN_LIMIT)):
            words = [w for w in terms.split("|") if w]
            items = make_bigrams(words) if bigrams else words
            counts.update(items)
            if label != "neutral":
                sign = 1 if label == "positive" else -1
                for w in items:
                    sums[w] += sign
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    rows = [(t, n, sums[t]) for t, n in ranked]
    return _finish_terms(pd.DataFrame(rows, columns=["term", "count", "net"]))


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

def _topic_sums(engine: Engine, f: Filters, group: tuple = ()) -> pd.DataFrame:
    """n, nps counts and sentiment counts per topic (and ``group`` columns) over the filtered rollup."""
    c = topic_rollup.c
    sums = [func.sum(c.n).label("n"), func.sum(c.nps_n).label("nps_n"), func.sum(c.promoters).label("promoters"),
            func.sum(c.detractors).label("detractors"), func.sum(c.score_sum).label("score_sum")]
    sums += [func.sum(case((c.sentiment == s, c.n), else_=0)).label(s) for s in SENTIMENTS]
    if _needs_rows(f):
        return _topic_sums_from_rows(engine, f, group)
    stmt = apply_filters(select(c.topic, *group, *sums), f, topic_rollup)
    df = read_frame(engine, stmt.group_by(c.topic, *group))
    for col in ("n", "nps_n", "promoters", "detractors", *SENTIMENTS):
        if col in df:
            df[col] = df[col].fillna(0).astype(int)
    return df


def _topic_sums_from_rows(engine: Engine, f: Filters, group: tuple) -> pd.DataFrame:
    """The same sums from the filtered rows' stored topics (free-text filters)."""
    stmt = select(response_text.c.topics, response_text.c.label, response_text.c.score, responses.c.nps,
                  *(responses.c[g.name] for g in group)).join(
        responses, responses.c.id == response_text.c.response_id)
    stmt = apply_filters(stmt, f)
    acc: dict[tuple, list[float]] = {}
    with engine.connect() as conn:
        for row in conn.execute(stmt.limit(ROW_SCAN_LIMIT)):
            topics, label, score, nps, *keys = row
            pairs = [(ALL_TOPICS, label)] + [tuple(t.rsplit(":", 1)) for t in topics.split("|") if t]
            for code, lab in pairs:
                a = acc.setdefault((code, *keys), [0, 0, 0, 0, 0.0, 0, 0, 0])
                a[0] += 1
                a[1] += nps is not None
                a[2] += nps is not None and nps >= 9
                a[3] += nps is not None and nps <= 6
                a[4] += score
                a[5 + SENTIMENTS.index(lab)] += 1
    cols = ["topic", *(g.name for g in group), "n", "nps_n", "promoters", "detractors", "score_sum", *SENTIMENTS]
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
    df = _topic_sums(engine, f, (topic_rollup.c.occurred_date,))
    tax = Taxonomy((config or active_config_of(engine)).topics)
    keep = {r.code for r in tax.rules if (2 if r.parent else 1) == level}
    df = df[df["topic"].isin(keep)] if not df.empty else df
    if df.empty:
        return pd.DataFrame(columns=["month", "topic", "name", "n", "negative", "negative_share"])
    df["month"] = pd.to_datetime(df["occurred_date"].astype(str).str[:7] + "-01")
    leaders = df.groupby("topic")["n"].sum().nlargest(top).index
    m = df[df["topic"].isin(leaders)].groupby(["month", "topic"])[["n", "negative"]].sum().reset_index()
    m["name"] = m["topic"].map(tax.names(lang))
    m["negative_share"] = (m["negative"] / m["n"]).round(3)
    return m[["month", "topic", "name", "n", "negative", "negative_share"]]


DIMENSIONS = {"stage": (stages, "stage_id"), "channel": (channels, "channel_id"),
              "touchpoint": (touchpoints, "touchpoint_id")}


def topics_by(engine: Engine, f: Filters, config: TextConfig | None, dim: str, lang: str = "en", level: int = 2,
              sentiment: str | None = None, token: str = "") -> pd.DataFrame:
    """Topic mentions (or only those with the given per-topic sentiment) per journey stage, channel or
    touchpoint: ``dim, dim_name, topic, name, n, negative, share``."""
    table, col = DIMENSIONS[dim]
    df = _topic_sums(engine, f, (topic_rollup.c[col],))
    tax = Taxonomy((config or active_config_of(engine)).topics)
    keep = {r.code for r in tax.rules if (2 if r.parent else 1) == level}
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
    df["name"] = df["topic"].map(tax.names(lang))
    df["share"] = (df["value"] / df[col].map(totals)).round(3)
    out = df.rename(columns={col: dim})[[dim, "dim_name", "topic", "name", "value", "negative", "share"]]
    out = out.rename(columns={"value": "n"})
    return out.sort_values([dim, "n", "topic"], ascending=[True, False, True]).reset_index(drop=True)


def touchpoint_sentiment(engine: Engine, f: Filters) -> pd.DataFrame:
    """Analysed comments and how many of them are negative, per touchpoint: ``touchpoint_id, comments,
    negative`` (the journey map's negative-comment share)."""
    df = _topic_sums(engine, f, (topic_rollup.c.touchpoint_id,))
    if df.empty:
        return pd.DataFrame(columns=["touchpoint_id", "comments", "negative"])
    df = df[(df["topic"] == ALL_TOPICS) & df["touchpoint_id"].notna()]
    return df.rename(columns={"n": "comments"})[["touchpoint_id", "comments", "negative"]].reset_index(drop=True)


def touchpoint_negative_topics(engine: Engine, f: Filters, lang: str, touchpoint_id: int | None = None
                               ) -> pd.DataFrame:
    """Level-2 topics by how often their clause was negative, per touchpoint (one touchpoint when given):
    ``touchpoint_id, topic (its name in lang), negative``, most negative first."""
    df = topics_by(engine, f, None, "touchpoint", lang, sentiment="negative")
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
