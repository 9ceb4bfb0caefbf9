"""Per-journey figures kept by every writer (``journey_rollup``), so peak-end reads journeys, not responses.

A journey's figures are all combinable: the count and sum of scores add up, and each moment (peak,
trough, best, end, overall rating) is the max or min of a *packed key* that carries the score and its
step and touchpoint along (``max(distance * 10^14 + step * 10^9 + ...)`` is an argmax; integer division
unpacks it in ``journey.peakend``). So a journey split over pieces (two batches, or two regions) is
recombined exactly by ``GROUP BY journey_key`` with sum/min/max, and a filter on a column the pieces are
keyed by (region, product, segment) selects whole pieces, which is the same as filtering the rows first.

The pieces are ``(batch, journey_key, region, product, segment)``; with the demo's and a normal import's
data that is one row per journey (~4.5 responses each). Rows without a journey key form one piece per
batch and text values, so the rollup's response count equals the table's (the completeness check).
A piece whose key no other piece has is flagged ``whole``: peak-end reads those rows as they are, and
groups only the rest (with the demo: none; after an import that continues journeys: those journeys).

``curve_rollup`` holds n, sum and sum of squares of each score per day, channel, stage and touchpoint
(``add_curve_batch``): the emotion curve's means and bands without reading the rows.

Writers do not call this module: ``analyze.rollup.add_batch`` / ``rebuild_batches`` do (same transaction).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)

from cem_core.analyze.distributions import SCALES
from cem_core.db.bulk import insert_columns
from cem_core.db.models import JOURNEY_FIGURES, JOURNEY_MEASURES, Response, curve_rollup, journey_rollup

_rows = Response.__table__
PIECE_KEYS = ("journey_key", "region", "product", "segment")

# Packing radixes: scores < 100, touchpoint ids < 10^7, journey steps < 10^5 (a SMALLINT is < 32,768).
S, T, P = 100, 10**7, 10**5


def neutral(measure: str) -> int:
    """The scale's neutral midpoint (CSAT 3, NPS 5, CES 4): a peak is the score furthest from it."""
    lo, hi = SCALES[measure]
    return (lo + hi) // 2


def big(value: int) -> ColumnElement:
    """A BIGINT constant: multiplying a SMALLINT column by it stays 64-bit on Postgres (an int literal would
    overflow at 2^31), and a constant cast is folded once, not evaluated per row."""
    return cast(literal_column(str(int(value))), BigInteger)


def packed(table, measure: str) -> dict[str, ColumnElement]:
    """Per-row packed keys of ``measure`` over ``responses`` (or a subquery with its columns): ``pk`` (peak,
    max: distance from neutral, then later step, higher touchpoint, higher score), ``tk`` (trough, min: lowest
    score, then later step), ``xk`` (best, max), ``ek`` (end, max: latest step) and ``ok`` (overall, max:
    the rating at the latest step that carries one). NULL where the row has no score."""
    if measure not in SCALES:
        raise ValueError(f"unknown measure: {measure}")
    c = table.c
    s = c[measure]
    step = func.coalesce(c.journey_step, 0)
    tp = func.coalesce(c.touchpoint_id, 0)
    mid = neutral(measure)
    dist = case((s >= mid, s - big(mid)), else_=big(mid) - s)
    return {"s": s,
            "pk": ((dist * big(P) + step) * big(T) + tp) * big(S) + s,
            "tk": (s * big(P) + (big(P - 1) - step)) * big(T) + tp,
            "xk": (s * big(P) + step) * big(T) + tp,
            "ek": (step * big(T) + tp) * big(S) + s,
            "ok": case((c.overall_sat.is_not(None), step * big(S) + c.overall_sat))}


def figures(keys: dict[str, ColumnElement], prefix: str = "") -> list[ColumnElement]:
    """The aggregates of one measure's packed keys, labelled ``{prefix}n``, ``total``, ``pk`` ... ``ek``."""
    return [func.count(keys["s"]).label(f"{prefix}n"), func.sum(keys["s"]).label(f"{prefix}total"),
            func.max(keys["pk"]).label(f"{prefix}pk"), func.min(keys["tk"]).label(f"{prefix}tk"),
            func.max(keys["xk"]).label(f"{prefix}xk"), func.max(keys["ek"]).label(f"{prefix}ek")]


def add_batch(conn: Connection, batch_id: int) -> set[int]:
    """Summarise one batch's responses into journey pieces (one INSERT ... SELECT ... GROUP BY). Returns the
    other batches whose pieces stopped being whole (this batch continues their journeys): their peak-end cells
    must be rebuilt (``analyze.journey_cells``)."""
    c = _rows.c
    keys = [c[k] for k in PIECE_KEYS]
    aggs = [func.min(c.occurred_date).label("first_date"), func.max(c.occurred_date).label("last_date"),
            func.count().label("responses"), func.min(c.id).label("first_id"),
            func.max(packed(_rows, "csat")["ok"]).label("ok")]
    for m in JOURNEY_MEASURES:
        aggs += figures(packed(_rows, m), f"{m}_")
    stmt = select(literal(batch_id).label("batch_id"), *keys, *aggs).where(c.batch_id == batch_id).group_by(*keys)
    columns = ["batch_id", *PIECE_KEYS, "first_date", "last_date", "responses", "first_id", "ok",
               *(f"{m}_{k}" for m in JOURNEY_MEASURES for k in JOURNEY_FIGURES)]
    conn.execute(insert(journey_rollup).from_select(columns, stmt))
    return mark_shared(conn, batch_id)


def mark_shared(conn: Connection, batch_id: int) -> set[int]:
    """Clear ``whole`` on every piece whose key another piece has (this batch's, and the other batches' it
    continues) and on this batch's rows of no journey; returns those other batches (their cells need a
    rebuild)."""
    # Keys that now have more than one piece (another batch, or two regions in this one) lose ``whole`` on
    # every piece: an index lookup per new piece (ix_journey_rollup_key), not a pass over the table.
    p, q = journey_rollup.alias("p"), journey_rollup.alias("q")
    again = select(p.c.journey_key).where(p.c.batch_id == batch_id, p.c.journey_key.is_not(None), exists().where(
        q.c.journey_key == p.c.journey_key, q.c.id != p.c.id))
    j = journey_rollup.c
    lost = set(conn.execute(select(j.batch_id).distinct().where(
        j.batch_id != batch_id, j.whole.is_(True), j.journey_key.in_(again))).scalars())
    conn.execute(update(journey_rollup).where(or_(j.journey_key.in_(again), and_(
        j.batch_id == batch_id, j.journey_key.is_(None)))).values(whole=False))  # rows of no journey: never whole
    return lost


def _nullable(values: np.ndarray, present: np.ndarray) -> np.ma.MaskedArray:
    """Integers, NULL where ``present`` is False (a nullable BIGINT column for ``bulk.insert_columns``; an object
    array of Python ints cost the demo loader 0.7 s a part to render)."""
    return np.ma.MaskedArray(values, mask=~present)


def piece_figures(rows: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``add_batch``'s pieces computed from rows in memory (numpy arrays: id, the ``PIECE_KEYS``,
    occurred_date as datetime64[D], journey_step, touchpoint_id, and csat, nps, ces, overall_sat as floats with
    NaN for blank), with the same packed keys, so a writer holding whole journeys stores them without reading
    its rows back (a 10M-row demo load grouped 10M rows by journey: issue 17). ``whole`` is set within these
    rows only (a key in two pieces here); another batch's pieces with the same key are ``mark_shared``'s."""
    n_rows = len(rows["id"])
    codes = np.zeros(n_rows, dtype=np.int64)
    for k in PIECE_KEYS:  # one group code per distinct (journey_key, region, product, segment); None is a value
        c, uniques = pd.factorize(pd.Series(rows[k], dtype=object), use_na_sentinel=True)
        codes = codes * (len(uniques) + 1) + (c + 1)
    _, group = np.unique(codes, return_inverse=True)
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])

    def of(values: np.ndarray) -> np.ndarray:
        return values[order]

    def ints(values: np.ndarray) -> np.ndarray:  # NULL (None / NaN) -> 0, as coalesce(..., 0)
        return np.nan_to_num(np.asarray(values, dtype=float)).astype(np.int64)

    step, tp = of(ints(rows["journey_step"])), of(ints(rows["touchpoint_id"]))
    out: dict[str, np.ndarray] = {k: of(np.asarray(rows[k], dtype=object))[starts] for k in PIECE_KEYS}
    dates = of(np.asarray(rows["occurred_date"], dtype="datetime64[D]"))
    out["first_date"] = np.minimum.reduceat(dates, starts)
    out["last_date"] = np.maximum.reduceat(dates, starts)
    out["responses"] = np.diff(np.r_[starts, n_rows])
    out["first_id"] = np.minimum.reduceat(of(np.asarray(rows["id"], dtype=np.int64)), starts)
    low, high = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    overall = of(np.asarray(rows["overall_sat"], dtype=float))
    rated = ~np.isnan(overall)
    ok = np.maximum.reduceat(np.where(rated, step * S + np.nan_to_num(overall).astype(np.int64), low), starts)
    out["ok"] = _nullable(ok, np.logical_or.reduceat(rated, starts))
    for m in JOURNEY_MEASURES:
        score = of(np.asarray(rows[m], dtype=float))
        has = ~np.isnan(score)
        s = np.nan_to_num(score).astype(np.int64)
        n = np.add.reduceat(has.astype(np.int64), starts)
        present = n > 0
        dist = np.abs(s - neutral(m))
        keys = {"pk": (((dist * P + step) * T + tp) * S + s, True), "tk": ((s * P + (P - 1 - step)) * T + tp, False),
                "xk": ((s * P + step) * T + tp, True), "ek": ((step * T + tp) * S + s, True)}
        out[f"{m}_n"] = n
        out[f"{m}_total"] = _nullable(np.add.reduceat(s, starts), present)
        for name, (packed_key, most) in keys.items():
            reduce = np.maximum if most else np.minimum
            blank = low if most else high
            out[f"{m}_{name}"] = _nullable(reduce.reduceat(np.where(has, packed_key, blank), starts), present)
    key, _ = pd.factorize(pd.Series(out["journey_key"], dtype=object))  # -1: no journey key, never whole
    pieces_of_key = np.bincount(key[key >= 0], minlength=1)
    out["whole"] = (key >= 0) & (pieces_of_key[np.maximum(key, 0)] == 1)
    return out


def insert_pieces(conn: Connection, batch_id: int, pieces: Mapping[str, np.ndarray]) -> None:
    """Insert ``piece_figures(rows)`` as ``batch_id``'s pieces (COPY on Postgres). The caller guarantees that no
    journey of those rows continues in rows it stores in another call (the demo's journey keys carry the part),
    and calls ``journey_cells.add_batch(..., stored=True)`` after the last call."""
    count = len(pieces["responses"])
    insert_columns(conn, journey_rollup, {"batch_id": np.full(count, batch_id, dtype=np.int64), **pieces})


CURVE_KEYS = ("occurred_date", "channel_id", "stage_id", "touchpoint_id")


def add_curve_batch(conn: Connection, batch_id: int) -> None:
    """n, sum and sum of squares of every score per day, channel, stage and touchpoint of one batch."""
    c = _rows.c
    keys = [c[k] for k in CURVE_KEYS]
    sums = []
    for m in JOURNEY_MEASURES:
        s = c[m]
        sums += [func.count(s).label(f"{m}_n"), func.coalesce(func.sum(s), 0).label(f"{m}_sum"),
                 func.coalesce(func.sum(s * s), 0).label(f"{m}_sq")]
    stmt = select(literal(batch_id).label("batch_id"), *keys, func.count().label("responses"), *sums).where(
        c.batch_id == batch_id).group_by(*keys)
    conn.execute(insert(curve_rollup).from_select(
        ["batch_id", *CURVE_KEYS, "responses", *(f"{m}_{k}" for m in JOURNEY_MEASURES for k in ("n", "sum", "sq"))],
        stmt))


def is_complete(conn: Connection, table=journey_rollup) -> bool:
    """Whether ``table`` (``journey_rollup`` or ``curve_rollup``) covers exactly the stored rows (a writer
    that forgot the contract is caught)."""
    rows = conn.execute(select(func.count()).select_from(_rows)).scalar_one()
    summed = conn.execute(select(func.coalesce(func.sum(table.c.responses), 0))).scalar_one()
    return int(rows) == int(summed)
