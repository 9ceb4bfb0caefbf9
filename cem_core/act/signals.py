"""What routing needs from text analysis, as SQL predicates on ``responses``: sentiment and topics.

The interface (owned by ``cem_core.text``): a table ``response_sentiment(response_id, label)`` with label
``positive`` / ``neutral`` / ``negative``, and a table ``response_topics(response_id, topic)`` with one
row per topic code a response mentions. Routing asks for them by name, so it works the moment text
analysis writes them, and does not import the text package.

Until ``response_sentiment`` exists, sentiment is judged from the scores (a stated proxy, shown on the
rules page): the first score present decides, NPS (0-6 negative, 9-10 positive), else CSAT (1-2 / 4-5),
else CES (1-3 / 5-7); anything between is neutral. Without ``response_topics`` a topic condition matches nothing.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, Connection, Table, case, column, exists, false, inspect, null, table

SENTIMENT_TABLE = "response_sentiment"
TOPIC_TABLE = "response_topics"
SENTIMENTS = ("positive", "neutral", "negative")

_sentiment = table(SENTIMENT_TABLE, column("response_id"), column("label"))
_topics = table(TOPIC_TABLE, column("response_id"), column("topic"))


def available(conn: Connection) -> dict[str, bool]:
    """Which text-analysis tables exist in this database."""
    insp = inspect(conn)
    return {"sentiment": insp.has_table(SENTIMENT_TABLE), "topic": insp.has_table(TOPIC_TABLE)}


def score_sentiment(r: Table) -> ColumnElement[str]:
    """The proxy label: the first score present decides (NPS, then CSAT, then CES); no score, no label."""
    def three(col, neg: int, pos: int) -> ColumnElement[str]:
        return case((col <= neg, "negative"), (col >= pos, "positive"), else_="neutral")

    return case((r.c.nps.is_not(None), three(r.c.nps, 6, 9)), (r.c.csat.is_not(None), three(r.c.csat, 2, 4)),
                (r.c.ces.is_not(None), three(r.c.ces, 3, 5)), else_=null())


def sentiment_predicate(r: Table, labels: Collection[str], have_table: bool) -> ColumnElement[bool]:
    if have_table:
        return exists().where(_sentiment.c.response_id == r.c.id, _sentiment.c.label.in_(list(labels)))
    return score_sentiment(r).in_(list(labels)) if labels else false()


def topic_predicate(r: Table, topics: Collection[str], have_table: bool) -> ColumnElement[bool]:
    if not have_table or not topics:
        return false()
    return exists().where(_topics.c.response_id == r.c.id, _topics.c.topic.in_(list(topics)))
