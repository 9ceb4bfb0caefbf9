"""What routing needs from text analysis, as SQL predicates on ``responses``: sentiment and topics.

Text analysis (``cem_core.text``, migration 0010) stores one ``response_text`` row per analysed comment
in the same import transaction, before routing runs: ``label`` (positive / neutral / negative) and
``topics``, a delimited string of ``|topic:sentiment|`` pairs. A sentiment condition matches responses
whose comment was judged so; a topic condition responses whose comment mentions any of the topics.
A response without a comment has no row and matches neither.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, Table, exists, false, or_

from cem_core.db.models import ResponseText

SENTIMENTS = ("positive", "neutral", "negative")
_text = ResponseText.__table__


def sentiment_predicate(r: Table, labels: Collection[str]) -> ColumnElement[bool]:
    if not labels:
        return false()
    return exists().where(_text.c.response_id == r.c.id, _text.c.label.in_(list(labels)))


def topic_predicate(r: Table, topics: Collection[str]) -> ColumnElement[bool]:
    codes = [str(c).strip() for c in topics if str(c).strip()]
    if not codes:
        return false()
    return exists().where(_text.c.response_id == r.c.id,
                          or_(*(_text.c.topics.contains(f"|{c}:", autoescape=True) for c in codes)))
