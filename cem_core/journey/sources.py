"""Text analytics the journey map shows: each touchpoint's negative-comment share and its top negative
topic, answered by ``cem_core.text.report`` from the text rollups.

The sources are replaceable (``register_sentiment`` / ``register_topics``, e.g. a test's fixed frame or
another text engine); ``unregister`` puts the text module's answer back. A database without analysed
comments yields no rows, and the map shows "–" in those columns instead of guessing from scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from cem_core.analyze.queries import Filters
from cem_core.text.report import touchpoint_negative_sums, touchpoint_negative_topics, touchpoint_sentiment
from cem_core.text.settings import active_config_of
from cem_core.text.sums import ALL_TOPICS

#: fn(engine, filters) -> DataFrame(touchpoint_id, comments, negative): comments with a sentiment label
#: and how many of them are negative, per touchpoint, under the filters.
SentimentSource = Callable[[Engine, Filters], pd.DataFrame]
#: fn(engine, filters, lang, touchpoint_id or None) -> DataFrame(touchpoint_id, topic, negative) ranked by
#: negative comments (all touchpoints when None).
TopicSource = Callable[[Engine, Filters, str, "int | None"], pd.DataFrame]

_DEFAULTS: dict[str, Callable] = {"sentiment": touchpoint_sentiment, "topics": touchpoint_negative_topics}
_sources: dict[str, Callable] = dict(_DEFAULTS)


def register_sentiment(fn: SentimentSource) -> None:
    _sources["sentiment"] = fn


def register_topics(fn: TopicSource) -> None:
    _sources["topics"] = fn


def unregister(name: str) -> None:
    """Back to the text module's answer."""
    _sources[name] = _DEFAULTS[name]


def negative_share(engine: Engine, f: Filters) -> pd.DataFrame | None:
    """touchpoint_id, comments, negative, neg_share (%) per touchpoint with analysed comments."""
    fn = _sources.get("sentiment")
    return None if fn is None else _share(fn(engine, f))


def _share(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(neg_share=100.0 * frame["negative"] / frame["comments"].where(frame["comments"] > 0))
    return frame[["touchpoint_id", "comments", "negative", "neg_share"]]


def topics(engine: Engine, f: Filters, lang: str, touchpoint_id: int | None = None) -> pd.DataFrame | None:
    """Negative topics (touchpoint_id, topic, negative), most negative first."""
    fn = _sources.get("topics")
    return None if fn is None else fn(engine, f, lang, touchpoint_id)


@dataclass(frozen=True)
class TextColumns:
    """The map's two text columns per touchpoint id: ``shares`` (analysed comments, negative share in %; the
    share is NaN without comments) and ``top`` (the name of the topic most often negative; ties to the name that
    sorts first). ``None`` when no source is registered: the map shows "–"."""

    shares: dict[int, tuple[float, float]] | None
    top: dict[int, str] | None


def touchpoint_text(engine: Engine, f: Filters, lang: str) -> TextColumns:
    """``negative_share`` and ``topics`` (all touchpoints) for the map, as plain dicts. With the text module's
    own sources both come from one read of its touchpoint sums (``text.report.touchpoint_negative_sums``: the
    text cells, by region, product and segment when such a filter is set), not two, and the top topic is picked
    from those sums here: ranking every topic in pandas (``touchpoint_negative_topics``) and reading the
    touchpoints' names it does not need cost 7-8 ms a map call, a tenth of a filtered map at 1M responses."""
    if _sources["sentiment"] is not touchpoint_sentiment or _sources["topics"] is not touchpoint_negative_topics:
        neg, top = negative_share(engine, f), topics(engine, f, lang)
        return TextColumns(
            None if neg is None else _shares(zip(neg["touchpoint_id"], neg["comments"], neg["negative"],
                                                 strict=True)),
            None if top is None else _tops(zip(top["touchpoint_id"], top["topic"], top["negative"], strict=True)))
    sums = touchpoint_negative_sums(engine, f)
    names = {r.code: r.name_zh if lang == "zh" else r.name_en for r in active_config_of(engine).topics if r.parent}
    star, topic_rows = [], []
    for tid, topic, n, negative in zip(sums["touchpoint_id"], sums["topic"], sums["n"], sums["negative"],
                                       strict=True):
        if topic == ALL_TOPICS:
            star.append((tid, n, negative))
        elif topic in names and negative > 0:  # a level-2 topic (the map's level) with a negative clause
            topic_rows.append((tid, names[topic], negative))
    return TextColumns(_shares(star), _tops(topic_rows))


def _shares(rows: Iterable[tuple]) -> dict[int, tuple[float, float]]:
    """(touchpoint_id, comments, negative) -> {touchpoint_id: (comments, negative share %)}, as ``_share``."""
    return {int(tid): (comments, 100.0 * negative / comments if comments > 0 else math.nan)
            for tid, comments, negative in rows if not pd.isna(tid)}


def _tops(rows: Iterable[tuple]) -> dict[int, str]:
    """(touchpoint_id, topic, negative) -> {touchpoint_id: the topic with the most negatives}, ties to the
    name that sorts first."""
    best: dict[int, tuple[float, str]] = {}
    for tid, topic, negative in rows:
        if pd.isna(tid):
            continue
        key = int(tid)
        held = best.get(key)
        if held is None or negative > held[0] or (negative == held[0] and topic < held[1]):
            best[key] = (negative, topic)
    return {tid: topic for tid, (_, topic) in best.items()}
