"""Text analytics the journey map shows: each touchpoint's negative-comment share and its top negative
topic, answered by ``cem_core.text.report`` from the text rollups.

The sources are replaceable (``register_sentiment`` / ``register_topics``, e.g. a test's fixed frame or
another text engine); ``unregister`` puts the text module's answer back. A database without analysed
comments yields no rows, and the map shows "–" in those columns instead of guessing from scores.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine

from cem_core.analyze.queries import Filters
from cem_core.text.report import touchpoint_negative_sums, touchpoint_negative_topics, touchpoint_sentiment

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


def touchpoint_text(engine: Engine, f: Filters, lang: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """``negative_share`` and ``topics`` (all touchpoints) for the map. With the text module's own sources both
    come from one read of its touchpoint sums (``text.report.touchpoint_negative_sums``: the text cells, by
    region, product and segment when such a filter is set), not two."""
    if _sources["sentiment"] is not touchpoint_sentiment or _sources["topics"] is not touchpoint_negative_topics:
        return negative_share(engine, f), topics(engine, f, lang)
    sums = touchpoint_negative_sums(engine, f)
    return (_share(touchpoint_sentiment(engine, f, sums)),
            touchpoint_negative_topics(engine, f, lang, sums=sums))
