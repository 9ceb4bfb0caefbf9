"""Key-driver moments per month cell (``driver_rollup``): relative weights without pivoting every rating.

Per batch, cell and outcome the rollup holds the complete cases' n, the sums, the sums of squares and
of products of the attribute ratings and the outcome, and each attribute's top-2-box count. Those add
up exactly, so the moments of any set of whole months and cell dimensions are sums of rollup rows;
``drivers.rating_moments`` adds the edge days' moments from the rows.

"Complete case" depends on the attribute set (every attribute rated), so each batch records the
attribute ids its moments used (``rollup_coverage.attribute_set``). When an import brings a new
attribute, ``add_batch`` recomputes the other batches' moments for the new set; when the set shrinks
(undo dropped an attribute) the moments no longer match and key drivers read the rows until
``python -m cem_core rollup``. Attributes are stored in slots 0..MAX_DRIVERS-1 by ascending id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import ColumnElement, Connection, Engine, case, func, insert, literal, select

from cem_core.analyze.cells import answerable, month_of, split_dates
from cem_core.analyze.queries import Filters, apply_filters, responses
from cem_core.db.models import MAX_DRIVERS, Attribute, Rating, driver_rollup
from cem_core.db.models import rollup_coverage as coverage

OUTCOME_CODES = {"nps": 0, "overall_sat": 1}
TOO_MANY = "*"

_ratings = Rating.__table__


@dataclass(frozen=True)
class RatingMoments:
    """What SQL returns for a set of attributes over the complete cases: all a driver analysis needs."""

    attribute_ids: tuple[int, ...]  # model variables, in this order, then the outcome
    n: int  # complete cases: every listed attribute and the outcome present
    sums: np.ndarray  # (p+1,) sums of x_1..x_p, y
    cross: np.ndarray  # (p+1, p+1) sums of products
    top2: np.ndarray  # (p,) count of 4s and 5s per attribute

    def plus(self, other: RatingMoments) -> RatingMoments:
        """The moments of both sets of cases together (they are sums)."""
        return RatingMoments(self.attribute_ids, self.n + other.n, self.sums + other.sums, self.cross + other.cross,
                             self.top2 + other.top2)


def attribute_set(conn: Connection) -> tuple[tuple[int, ...], str]:
    """All attribute ids in slot order and the key recorded with moments computed over them."""
    ids = tuple(conn.execute(select(Attribute.id).order_by(Attribute.id)).scalars())
    return ids, (",".join(map(str, ids)) if len(ids) <= MAX_DRIVERS else TOO_MANY)


def _batch_moments(conn: Connection, batch_id: int, ids: tuple[int, ...]) -> None:
    c = responses.c
    in_batch = select(c.id).where(c.batch_id == batch_id)
    pivot = select(_ratings.c.response_id, *[
        func.max(case((_ratings.c.attribute_id == a, _ratings.c.score))).label(f"x{i}") for i, a in enumerate(ids)
    ]).where(_ratings.c.response_id.in_(in_batch)).group_by(_ratings.c.response_id).subquery("p")
    xs = [pivot.c[f"x{i}"] for i in range(len(ids))]
    keys = [month_of(c.occurred_date, conn.dialect.name).label("month"), c.channel_id, c.stage_id, c.region,
            c.segment]
    for outcome, code in OUTCOME_CODES.items():
        y = c[outcome]
        cols: dict[str, ColumnElement] = {"n": func.count(), "sy": func.sum(y), "syy": func.sum(y * y)}
        for i, x in enumerate(xs):
            cols[f"s{i}"] = func.sum(x)
            cols[f"t{i}"] = func.sum(case((x >= 4, 1), else_=0))
            cols[f"cy{i}"] = func.sum(x * y)
            for k in range(i, len(xs)):
                cols[f"c{i}_{k}"] = func.sum(x * xs[k])
        stmt = select(literal(batch_id).label("batch_id"), *keys, literal(code).label("outcome"),
                      *[v.label(k) for k, v in cols.items()]).select_from(
            pivot.join(responses, c.id == pivot.c.response_id)).where(
            c.batch_id == batch_id, y.is_not(None), *[x.is_not(None) for x in xs]).group_by(*keys)
        conn.execute(insert(driver_rollup).from_select(
            ["batch_id", "month", "channel_id", "stage_id", "region", "segment", "outcome", *cols], stmt))


def add_batch(conn: Connection, batch_id: int) -> str:
    """Summarise one batch's ratings into moments; bring other batches to the same attribute set.

    Returns the attribute-set key, which the caller records in ``rollup_coverage``.
    """
    ids, key = attribute_set(conn)
    if key == TOO_MANY or not ids:
        return key
    _batch_moments(conn, batch_id, ids)
    bring_to_set(conn, batch_id, ids, key)
    return key


def bring_to_set(conn: Connection, batch_id: int, ids: tuple[int, ...], key: str) -> None:
    """Recompute the moments of every batch but ``batch_id`` that were computed over another attribute set."""
    if key == TOO_MANY or not ids:
        return
    stale = conn.execute(select(coverage.c.batch_id).where(coverage.c.attribute_set != key,
                                                           coverage.c.batch_id != batch_id)).scalars().all()
    for other in stale:
        conn.execute(driver_rollup.delete().where(driver_rollup.c.batch_id == other))
        _batch_moments(conn, other, ids)
        conn.execute(coverage.update().where(coverage.c.batch_id == other).values(attribute_set=key))


def _current(engine: Engine, ids: tuple[int, ...]) -> bool:
    """Whether every batch's moments were computed over exactly ``ids`` (all attributes now stored)."""
    with engine.connect() as conn:
        all_ids, key = attribute_set(conn)
        if key == TOO_MANY or all_ids != ids:
            return False
        return not conn.execute(select(func.count()).select_from(coverage).where(
            coverage.c.attribute_set != key)).scalar_one()


def from_rollup(engine: Engine, f: Filters, outcome: str, ids: tuple[int, ...]
                ) -> tuple[RatingMoments, list[tuple[dt.date, dt.date]]] | None:
    """The moments of the whole months in ``f`` from the rollup, and the edge day ranges still to read
    from the rows; None when the rollup cannot answer (then everything comes from the rows)."""
    if not ids or not answerable(engine, f, ()) or not _current(engine, ids):
        return None
    months, edges = split_dates(f.date_from, f.date_to)
    p = len(ids)
    empty = RatingMoments(ids, 0, np.zeros(p + 1), np.zeros((p + 1, p + 1)), np.zeros(p))
    if months is None:
        return empty, edges
    t = driver_rollup
    names = ["n", "sy", "syy", *[f"{k}{i}" for k in ("s", "t", "cy") for i in range(p)],
             *[f"c{i}_{k}" for i in range(p) for k in range(i, p)]]
    stmt = apply_filters(select(*[func.coalesce(func.sum(t.c[m]), 0.0).label(m) for m in names]),
                         replace(f, date_from=None, date_to=None), t).where(t.c.outcome == OUTCOME_CODES[outcome])
    if months[0] is not None:
        stmt = stmt.where(t.c.month >= months[0])
    if months[1] is not None:
        stmt = stmt.where(t.c.month <= months[1])
    with engine.connect() as conn:
        r = conn.execute(stmt).mappings().one()
    sums = np.array([float(r[f"s{i}"]) for i in range(p)] + [float(r["sy"])])
    cross = np.zeros((p + 1, p + 1))
    for i in range(p):
        for k in range(i, p):
            cross[i, k] = cross[k, i] = float(r[f"c{i}_{k}"])
        cross[i, p] = cross[p, i] = float(r[f"cy{i}"])
    cross[p, p] = float(r["syy"])
    return RatingMoments(ids, int(r["n"]), sums, cross, np.array([float(r[f"t{i}"]) for i in range(p)])), edges
