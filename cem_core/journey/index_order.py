"""Keep SQLite on the covering index whose order a journey query groups by.

Peak-end groups by journey and the emotion curve by touchpoint; migration 0011 gave each a covering index
in that order, so the grouping is one index-only pass with no sort. With a date, channel or stage filter
SQLite's planner prefers the index on that column and then sorts a million rows (at 1M rows: peak-end
0.9 s -> 5 s, the curve 0.2 s -> 1.7 s of CPU). A WHERE term on ``+column`` cannot use an index, which
leaves the covering one. Postgres plans these well on its own and gets the plain columns.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import Select, literal_column

from cem_core.analyze.queries import Filters, apply_filters, responses

_FILTERED = ("occurred_date", "channel_id", "stage_id", "touchpoint_id", "region", "product", "segment")
_SQLITE_UNINDEXED = SimpleNamespace(c=SimpleNamespace(**{
    name: literal_column(f"+responses.{name}", responses.c[name].type) for name in _FILTERED}))


def free_text(f: Filters) -> bool:
    """Region, product and segment are in neither covering index: such a query scans and sorts instead."""
    return bool(f.regions or f.products or f.segments)


def filtered(stmt: Select, f: Filters, dialect: str) -> Select:
    """``apply_filters`` on ``responses``, with "+column" terms on SQLite unless a free-text filter is set."""
    if dialect != "sqlite" or free_text(f):
        return apply_filters(stmt, f)
    return apply_filters(stmt, f, _SQLITE_UNINDEXED)


def keyed(stmt: Select, f: Filters, dialect: str) -> Select:
    """``apply_filters`` for a read of a few journeys by key: "+column" terms on SQLite even for a free-text
    filter, so the rows come through ``ix_responses_journey`` by key, not every row of a segment."""
    return apply_filters(stmt, f, _SQLITE_UNINDEXED if dialect == "sqlite" else responses)
