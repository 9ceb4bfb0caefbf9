"""Peak-end's cells (``journey_cell``): the journeys' additive moments per batch, measure and month pair, kept
by every writer, so peak-end over whole months reads a few thousand cells instead of ~200k journeys.

Pearson r of a predictor x with the overall rating y is a function of n, Σx, Σy, Σx², Σy² and Σxy, and those
add up over any partition of the journeys. So do the bootstrap's block sums when the partition keeps the
block (the journey's first response id modulo ``BLOCKS``), the touchpoint tables' counts (journeys whose
worst moment, best moment or end was touchpoint k, with their summed overall rating) and the recovery
classes'. A journey lands in the cell of the months of its first and last date: the cells with first month
>= M1 and last month <= M2 are exactly the journeys inside the whole months [M1, M2], as ``journey_rollup``'s
date test selects them (``journey.peakend`` reads the days of a partial month at either edge, and the
journeys a window cuts, from the journey rows as before).

Only *whole* pieces (``journey_rollup.whole``: no other piece shares the key) enter cells; the few journeys
split over pieces are grouped from ``journey_rollup`` at read time. ``analyze.journey_rollup.add_batch``
clears ``whole`` on older pieces when a batch continues their journeys; it then rebuilds those batches'
cells here (``add_cells``), in the same transaction. A ``pieces`` row per batch records how many
``journey_rollup`` rows the cells were built beside and, in ``k``, the most days a piece spans
(``max_span``), which bounds where a date window's cut pieces lie. ``complete`` is the rollups' coverage
check: a writer that skipped the contract makes peak-end read the rows, slower but right.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Select,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
)

from cem_core.analyze import journey_rollup as jr
from cem_core.analyze import touchpoint_cells
from cem_core.analyze.cells import month_of
from cem_core.analyze.distributions import SCALES, score_group
from cem_core.analyze.journey_rollup import P, S, T, big, neutral
from cem_core.analyze.queries import rollup_is_complete
from cem_core.db.models import (
    JOURNEY_MEASURES,
    JOURNEY_MOMENTS,
    journey_cell,
    journey_region_cell,
    journey_rollup,
    rollup_coverage,
)

MIN_TOUCHPOINTS = 3
BLOCKS = 200
KEYS = ("batch_id", "measure", "first_month", "last_month", "kind", "k", "label", "n", *JOURNEY_MOMENTS)
REGION_KEYS = (*KEYS[:4], "region", *KEYS[4:])


def unpacked(p) -> list[ColumnElement]:
    """A journey's figures from its packed keys (columns n, total, pk, tk, xk, ek, ok, first_id of ``p``):
    n, total, overall, peak, peak_tp, trough, trough_tp, top, top_tp, end, end_tp, block."""
    return [p.n, p.total, (p.ok % big(S)).label("overall"),
            (p.pk % big(S)).label("peak"), ((p.pk // big(S)) % big(T)).label("peak_tp"),
            (p.tk // big(T * P)).label("trough"), (p.tk % big(T)).label("trough_tp"),
            (p.xk // big(T * P)).label("top"), (p.xk % big(T)).label("top_tp"),
            (p.ek % big(S)).label("end"), ((p.ek // big(S)) % big(T)).label("end_tp"),
            (p.first_id % big(BLOCKS)).label("block")]


def moments(j) -> list[ColumnElement]:
    """Σy, Σy² and Σx, Σx², Σxy of every predictor over journeys ``j`` (``JOURNEY_MOMENTS``, in order)."""
    y = cast(j.overall, Float)
    xs = {"peak_end": (cast(j.peak, Float) + cast(j.end, Float)) / 2.0, "mean": cast(j.total, Float) / j.n,
          "peak": cast(j.peak, Float), "end": cast(j.end, Float), "trough": cast(j.trough, Float)}
    out = [func.sum(y).label("sy"), func.sum(y * y).label("syy")]
    for name, x in xs.items():
        out += [func.sum(x).label(f"sx_{name}"), func.sum(x * x).label(f"sxx_{name}"),
                func.sum(x * y).label(f"sxy_{name}")]
    return out


def recovery_bounds(measure: str) -> tuple[int, int]:
    """The highest negative score and the lowest positive one of the measure's scale (``recovery_class``)."""
    lo, hi = SCALES[measure]
    return (max(s for s in range(lo, hi + 1) if score_group(measure, s) == "negative"),
            min(s for s in range(lo, hi + 1) if score_group(measure, s) == "positive"))


def recovery_class(measure: str, j) -> ColumnElement:
    """recovered (a low moment, then a good end), ended_badly, low_unresolved or no_low."""
    neg_max, pos_min = recovery_bounds(measure)
    return case((j.end <= neg_max, literal("ended_badly")),
                (j.trough <= neg_max, case((j.end >= pos_min, literal("recovered")),
                                           else_=literal("low_unresolved"))),
                else_=literal("no_low"))


def _cells(measure: str, batch_ids: Collection[int], dialect: str) -> Select:
    """The cells of ``measure`` per region (``REGION_KEYS``) for the batches' whole, qualifying journeys (one pass
    over their pieces)."""
    j = journey_rollup.c
    src = select(j.batch_id, month_of(j.first_date, dialect).label("fm"), month_of(j.last_date, dialect).label("lm"),
                 j.region, *(j[f"{measure}_{k}"].label(k) for k in ("n", "total", "pk", "tk", "xk", "ek")), j.ok,
                 j.first_id).where(j.batch_id.in_(batch_ids), j.whole.is_(True), j.journey_key.is_not(None),
                         j[f"{measure}_n"] >= MIN_TOUCHPOINTS, j.ok.is_not(None)).subquery("p")
    per = select(src.c.batch_id, src.c.fm, src.c.lm, src.c.region, *unpacked(src.c)).cte("journeys").prefix_with(
        "MATERIALIZED")
    c = per.c
    keys = [c.batch_id, literal(measure).label("measure"), c.fm, c.lm, c.region]
    group = [c.batch_id, c.fm, c.lm, c.region]
    zero = [literal_column("0.0", Float).label(m) for m in JOURNEY_MOMENTS[1:]]
    sy = func.sum(cast(c.overall, Float)).label("sy")

    def margin(kind: str, key: ColumnElement, label: ColumnElement, *where: ColumnElement) -> Select:
        return select(*keys, literal(kind).label("kind"), key.label("k"), label.label("label"),
                      func.count().label("n"), sy, *zero).where(*where).group_by(*group, key, label)

    none, blank = big(-1), literal("")
    mid = neutral(measure)
    blocks = select(*keys, literal("block").label("kind"), c.block.label("k"), blank.label("label"),
                    func.count().label("n"), *moments(c)).group_by(*group, c.block)
    return union_all(blocks, margin("neg", c.trough_tp, blank, c.trough < mid),
                     margin("pos", c.top_tp, blank, c.top > mid), margin("end", c.end_tp, blank),
                     margin("rec", none, recovery_class(measure, c)))


def add_batch(conn: Connection, batch_id: int, stored: bool = False, alone: bool = False) -> None:
    """Every journey rollup of one batch: its ``journey_rollup`` pieces, the cells of this batch and of the
    batches whose journeys it continues, ``curve_rollup`` and ``touchpoint_cell``. The rollup writers call this,
    never the parts. ``stored``: the writer already stored the pieces, the curve sums and the touchpoint cells
    from its rows (``jr.insert_pieces``, ``chunk_rollup.BatchRollup``); ``alone`` besides: no other batch had
    pieces when it began, so no key is shared with one and the lookup per piece that finds them is skipped."""
    if not stored:
        lost = jr.add_batch(conn, batch_id)
        jr.add_curve_batch(conn, batch_id)
        touchpoint_cells.add_batch(conn, batch_id)
    else:
        lost = set() if alone else jr.mark_shared(conn, batch_id)
    add_cells(conn, {batch_id, *lost})


def add_cells(conn: Connection, batch_ids: Collection[int]) -> None:
    """(Re)build the cells of these batches from their ``journey_rollup`` pieces (after those changed)."""
    ids = sorted(set(batch_ids))
    if not ids:
        return
    for table in (journey_cell, journey_region_cell):
        conn.execute(table.delete().where(table.c.batch_id.in_(ids)))
    j = journey_rollup.c
    days = (func.julianday(j.last_date) - func.julianday(j.first_date) if conn.dialect.name == "sqlite"
            else j.last_date - j.first_date)
    for batch_id in ids:  # one row per batch, even one left without pieces (an aggregate without GROUP BY)
        pieces = select(literal(batch_id).label("batch_id"), literal("").label("measure"),
                        literal(None).label("first_month"), literal(None).label("last_month"),
                        literal("pieces").label("kind"), cast(func.coalesce(func.max(days), 0), BigInteger).label("k"),
                        literal("").label("label"), func.count().label("n"),
                        *(literal_column("0.0", Float).label(m) for m in JOURNEY_MOMENTS)
                        ).where(j.batch_id == batch_id)
        conn.execute(insert(journey_cell).from_select(list(KEYS), pieces))
    for measure in JOURNEY_MEASURES:
        add_region_cells(conn, measure, ids)
    # journey_cell's cells are the region cells summed over the regions: one pass over the pieces, not two
    r = journey_region_cell.c
    keys = [r[k] for k in KEYS[:KEYS.index("n")]]
    conn.execute(insert(journey_cell).from_select(list(KEYS), select(
        *keys, cast(func.sum(r.n), BigInteger).label("n"), *(func.sum(r[m]).label(m) for m in JOURNEY_MOMENTS)
    ).where(r.batch_id.in_(ids)).group_by(*keys)))


def add_region_cells(conn: Connection, measure: str, batch_ids: Collection[int]) -> None:
    """``journey_region_cell``'s cells of ``measure`` for these batches (their old ones already deleted)."""
    conn.execute(insert(journey_region_cell).from_select(list(REGION_KEYS), _cells(
        measure, batch_ids, conn.dialect.name)))


def complete(engine: Engine) -> bool:
    """Whether the journey rollups cover every stored row: the rollups' coverage check (``rollup_coverage`` is
    written by the same ``analyze.rollup.add_batch`` as ``journey_rollup`` and these cells; it reads no rows
    on Postgres), and a ``pieces`` row for every covered batch. Two one-row-per-batch tables: counting the
    ~200k pieces themselves cost Postgres a third of a scan of ``responses``."""
    if not rollup_is_complete(engine):
        return False
    c = journey_cell.c
    recorded = select(func.count()).where(c.kind == "pieces").scalar_subquery()
    covered = select(func.count()).select_from(rollup_coverage).scalar_subquery()
    with engine.connect() as conn:
        recorded, covered = conn.execute(select(recorded, covered)).one()
    return int(recorded) == int(covered)


def max_span(engine: Engine) -> int | None:
    """The most days between a ``journey_rollup`` piece's first and last date (None without pieces): a piece a
    date window cuts lies within this many days of the cut."""
    c = journey_cell.c
    with engine.connect() as conn:
        span = conn.execute(select(func.max(c.k)).where(c.kind == "pieces")).scalar()
    return None if span is None else int(span)


def cell_sums(measure: str, months: tuple, regions: tuple[str, ...] = ()) -> Select:
    """The cells of ``measure`` inside the whole months ``months`` (first, last; None = open), of the journeys of
    ``regions`` if any (``journey_region_cell``), in the shape of ``journey.peakend``'s summary rows: kind
    (block / combo), k_neg, k_pos, k_end, label, n and the moments."""
    table = journey_region_cell if regions else journey_cell
    c = table.c
    none = big(-1)
    stmt = select(case((c.kind == "block", literal("block")), else_=literal("combo")).label("kind"),
                  case((c.kind.in_(("block", "neg")), c.k), else_=none).label("k_neg"),
                  case((c.kind == "pos", c.k), else_=none).label("k_pos"),
                  case((c.kind == "end", c.k), else_=none).label("k_end"), c.label,
                  cast(func.sum(c.n), BigInteger).label("n"), *(func.sum(c[m]).label(m) for m in JOURNEY_MOMENTS)
                  ).where(c.measure == measure)
    if months[0] is not None:
        stmt = stmt.where(c.first_month >= months[0])
    if months[1] is not None:
        stmt = stmt.where(c.last_month <= months[1])
    if regions:
        stmt = stmt.where(c.region.in_(regions))
    return stmt.group_by(c.kind, c.k, c.label)
