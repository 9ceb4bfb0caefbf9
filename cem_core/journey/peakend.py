"""Peak-end analysis: does a customer's overall verdict follow the journey's peak and end, or its average?

A *journey* is one ``journey_key`` (one customer's touchpoints in one journey) with at least
``MIN_TOUCHPOINTS`` scored touchpoints (``measure``: CSAT by default) and an overall rating
(``overall_sat``, 1-10, asked at the end). Per journey, over its scored touchpoints:

* **peak**: the score furthest from the scale's neutral midpoint (CSAT 3, NPS 5, CES 4). Ties go to
  the *later* step (the fresher memory), then to the higher touchpoint id, then the higher score, so
  the answer never depends on row order. A journey of 1, 5 has peak 5 (same distance, later).
* **trough**: the lowest score; ties to the later step. **end**: the score of the last scored step.
* **mean** of the scores, and the **peak-end index** = (peak + end) / 2.
* the **overall** rating: the one at the latest step that carries one.

Blanks: unscored rows of a journey are ignored (the end is the last *scored* touchpoint); rows
without a ``journey_key`` belong to no journey. The shared filters select rows before journeys are
formed, so a date window that cuts a journey keeps only its part inside the window.

How it avoids reading journeys at all for whole months: every writer keeps ``journey_cell``
(``analyze.journey_cells``, migration 0025), the additive moments (n, Σx, Σy, Σx², Σy², Σxy per predictor),
touchpoint counts and recovery classes of whole journeys per batch, month of the first and last date and
bootstrap block, and the same per region (``journey_region_cell``, 0039, read under a region filter): the cells
inside the window's whole months are summed, and only the pieces in a partial
edge month, the journeys split over pieces and the journeys the window cuts are read as below
(``source``: cells, journeys or rows).

How it avoids reading ``responses``: every writer keeps ``journey_rollup`` (``analyze.journey_rollup``,
migration 0020), each journey's count and sum of scores and packed keys
(``max(distance * 10^14 + step * 10^9 + ...)`` is an argmax that carries the step, touchpoint and score
along; integer division unpacks them). Whole journeys are read as they are, journeys split over pieces
are grouped, and the journeys a date window cuts are recomputed from their rows through the journey
index, so the answer equals the rows' (``tests/analyze/test_journey_rollup.py``). A channel, stage or
department filter takes touchpoints out of journeys: then one ``GROUP BY journey_key`` over the filtered
rows computes the same figures (on SQLite in the order of the covering ``ix_responses_journey``,
``index_order``). The journeys of the rows and of ``journey_rollup`` alone reach Python packed in one string
(``_packed_journeys``), which numpy sums into the bootstrap blocks and the margins of the worst-moment, best-moment
and end touchpoints and the recovery classes; beside the cells, the few edge and cut journeys go into a
MATERIALIZED CTE summarised in SQL (block sums and counts per combination), a few hundred rows.

Confidence intervals: Pearson r of each predictor with the overall rating from exact sums, and a
95 % percentile bootstrap over ``BLOCKS`` random blocks of journeys (journey's first response id
modulo ``BLOCKS``): resampling blocks of i.i.d. journeys is a valid bootstrap, and each replicate is
a weighted sum of block sums, so 1,000 replicates cost one matrix product. The winner's margin over
the runner-up gets a *paired* interval from the same replicates; the comparison is called clear only
if that interval excludes zero. The page reports what the data says: research finds peak-end
effects robust but often no stronger than the mean (Alaybek et al. 2022: r ~ 0.58 for both).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sqlalchemy import (
    ARRAY,
    BigInteger,
    CompoundSelect,
    Date,
    Engine,
    Float,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from cem_core.analyze import journey_cells as jc
from cem_core.analyze import journey_rollup as jr
from cem_core.analyze import touchpoint_cells
from cem_core.analyze.cells import next_month, split_dates
from cem_core.analyze.distributions import SCALES
from cem_core.analyze.journey_cells import MIN_TOUCHPOINTS, moments, recovery_class, unpacked
from cem_core.analyze.journey_rollup import big, neutral
from cem_core.analyze.queries import (
    Filters,
    apply_filters,
    on_one_connection,
    read_frame,
    responses,
    rollup,
    rollup_is_complete,
)
from cem_core.db.models import JOURNEY_MEASURES, JOURNEY_MOMENTS, JOURNEY_PREDICTORS, journey_rollup
from cem_core.journey.index_order import filtered, free_text, keyed

RESAMPLES = 1000
PREDICTORS = JOURNEY_PREDICTORS
RECOVERY = ("recovered", "ended_badly", "low_unresolved", "no_low")
MIN_TOUCHPOINT_N = 30  # negative-peak / end rows below this many journeys are flagged low-n
_PIECE = ("n", "total", "pk", "tk", "xk", "ek", "ok", "first_id")
#: Postgres, for the read of the matching ``journey_rollup`` pieces only (this transaction): with the default
#: random_page_cost (4, a spinning disk's) the planner read all 222k pieces (7.5k pages, 0.14 s at 1M) rather than
#: the 60k of a region from ``ix_journey_rollup_region`` (an index-only scan, 0.056 s), over one full scan of
#: ``responses`` for all dates + 华东. 1.1 is the usual figure for data in memory or on SSD.
PIECES_PAGE_COST = "SET LOCAL random_page_cost = 1.1"


def _row_pieces(f: Filters, measure: str, keys, dialect: str) -> Select:
    """Per journey (jk and the ``_PIECE`` columns) from the filtered rows of ``responses``; ``keys`` (a tuple or
    a subquery of journey keys, or None for every journey) is read through the journey index."""
    c = responses.c
    k = jr.packed(responses, measure)
    cols = select(c.id, c.journey_key, k["s"].label("s"), k["pk"].label("pk"), k["tk"].label("tk"),
                  k["xk"].label("xk"), k["ek"].label("ek"), k["ok"].label("ok"))
    if keys is not None:
        match = c.journey_key.in_(keys)
        if dialect == "postgresql" and isinstance(keys, Select | CompoundSelect):
            # "= ANY(one array)": Postgres then reads the journey index per key; with IN (subquery) it hashed
            # the keys and scanned every response in the window (0.4 s for 4k cut journeys at 1M rows).
            cut = keys.subquery("cut")
            keys_array = cast(select(func.array_agg(cut.c.journey_key)).scalar_subquery(), ARRAY(String))
            match = c.journey_key == any_(keys_array)
        rows = keyed(cols, f, dialect).where(match).subquery("rows")
    else:
        # Flattened into the GROUP BY: SQLite then reads the covering ix_responses_journey in journey order, an
        # index-only pass with no sort (``index_order``). A free-text filter is not in that index: then OFFSET 0
        # keeps the subquery apart, so SQLite scans and sorts instead of a table lookup per index entry.
        rows = filtered(cols, f, dialect).where(c.journey_key.is_not(None))
        rows = (rows.offset(0) if free_text(f) else rows).subquery("rows")
    r = rows.c
    return select(r.journey_key.label("jk"), *jr.figures({name: r[name] for name in ("s", "pk", "tk", "xk", "ek")}),
                  func.max(r.ok).label("ok"), func.min(r.id).label("first_id")).group_by(r.journey_key)


def summary_answers(f: Filters) -> bool:
    """Whether ``journey_rollup`` answers these filters: dates and the text dimensions select whole pieces
    (a date window re-reads only the journeys it cuts); a channel, stage or department filter takes single
    touchpoints out of journeys, so only the rows can answer it."""
    return not (f.channels or f.stages or f.departments)


def _cell_months(f: Filters) -> tuple | None:
    """The whole months of the date window that the cells answer (first, last; None = open), or None: no whole
    month in the window, or a product or segment filter (cells are kept per region, ``journey_region_cell``, not
    per product or segment: those would multiply them by every combination)."""
    return None if f.products or f.segments else split_dates(f.date_from, f.date_to)[0]


def _summary_journeys(f: Filters, measure: str, dialect: str, cells: bool = False, span: int | None = None
                      ) -> Select | None:
    """Per-journey rows (jk and the ``_PIECE`` columns) of the qualifying journeys, from ``journey_rollup``:
    whole pieces inside the date window as they are (no GROUP BY), the other pieces inside it grouped by
    journey, and the journeys the window cuts grouped from their rows (``_row_pieces`` through the journey
    index). Together exactly the rows' answer (``tests/analyze/test_journey_rollup.py``). With ``cells``, the
    whole pieces that ``journey_cell`` holds (first and last date in the window's whole months) are left out
    (None if that leaves nothing to read)."""
    j = journey_rollup.c
    text_only = Filters(regions=f.regions, products=f.products, segments=f.segments)
    figures = [j[f"{measure}_{k}"].label(k) for k in _PIECE[:6]]
    inside = apply_filters(select(j.journey_key.label("jk"), *figures, j.ok, j.first_id), text_only, journey_rollup)
    cut = []
    # With ``span`` (the longest piece, in days) a cut piece's dates lie within span days of the cut: a range
    # of the date indexes (0025) instead of every piece before or after it.
    # SQLite: the window's own bounds must not pick a date index ("+" disables it): most pieces pass them, so
    # a scan is cheaper than a lookup per piece; the edge and cut terms below do use the date indexes.
    dates = j if dialect != "sqlite" else SimpleNamespace(
        first_date=literal_column("+journey_rollup.first_date", Date), last_date=literal_column(
            "+journey_rollup.last_date", Date))
    if f.date_from is not None:
        inside = inside.where(dates.first_date >= f.date_from)
        near = [] if span is None else [j.first_date >= f.date_from - dt.timedelta(days=span)]
        cut.append(and_(j.first_date < f.date_from, j.last_date >= f.date_from, *near))
    if f.date_to is not None:
        inside = inside.where(dates.last_date <= f.date_to)
        near = [] if span is None else [j.last_date <= f.date_to + dt.timedelta(days=span)]
        cut.append(and_(j.last_date > f.date_to, j.first_date <= f.date_to, *near))
    # Nearly every piece is whole: SQLite scans the table for them ("+whole" keeps it off the index of parts).
    is_whole = literal_column("+journey_rollup.whole") == 1 if dialect == "sqlite" else j.whole.is_(True)
    whole: Select | None = inside.where(is_whole, j[f"{measure}_n"] >= MIN_TOUCHPOINTS, j.ok.is_not(None))
    months = _cell_months(f) if cells else None
    if months is not None:  # only the pieces in a partial month at either edge of the window
        edges = ([and_(j.first_date >= f.date_from, j.first_date < months[0])] if months[0] is not None else []) + (
            [and_(j.last_date >= next_month(months[1]), j.last_date <= f.date_to)] if months[1] is not None else [])
        whole = whole.where(or_(*edges)) if edges else None
    parts = inside.where(j.whole.is_(False), j.journey_key.is_not(None))
    if cut:
        keys_of = apply_filters(select(j.journey_key), text_only, journey_rollup)
        # Postgres: one read per bound, each index-only on its date index (an OR of the two was a bitmap heap scan
        # fetching every cut piece from the table: 22 ms for 12 months at 1M); a journey cut at both ends is listed
        # twice, which neither "= ANY" nor NOT IN minds.
        cut_keys = union_all(*(keys_of.where(c) for c in cut)) if dialect == "postgresql" and len(cut) > 1 else (
            keys_of.where(or_(*cut)))
        parts = union_all(parts.where(j.journey_key.not_in(cut_keys)), _row_pieces(f, measure, cut_keys, dialect))
    q = parts.subquery("parts").c
    # Postgres sums BIGINTs as NUMERIC: cast back, so both databases hand the same integers on.
    grouped = select(q.jk, cast(func.sum(q.n), BigInteger).label("n"), cast(func.sum(q.total), BigInteger).label(
        "total"), func.max(q.pk).label("pk"), func.min(q.tk).label("tk"), func.max(q.xk).label("xk"),
        func.max(q.ek).label("ek"), func.max(q.ok).label("ok"), func.min(q.first_id).label("first_id")).group_by(
        q.jk).having(func.sum(q.n) >= MIN_TOUCHPOINTS).having(func.max(q.ok).is_not(None))
    return grouped if whole is None else union_all(whole, grouped)


SOURCES = ("rows", "journeys", "cells")


def source(engine: Engine, f: Filters, measure: str) -> str:
    """Where peak-end reads: ``cells`` (``journey_cell``, or ``journey_region_cell`` under a region filter, for the
    window's whole months, ``journey_rollup`` for the rest) when no product or segment is filtered, ``journeys``
    (``journey_rollup`` only) when one is, ``rows`` when a channel, stage or department filter cuts journeys, or
    when a writer skipped the rollups (slower but right)."""
    if measure not in JOURNEY_MEASURES or not summary_answers(f) or not jc.complete(engine):
        return "rows"
    return "cells" if _cell_months(f) is not None else "journeys"


def uses_summary(engine: Engine, f: Filters, measure: str) -> bool:
    """Whether peak-end reads the rollups (``journey_rollup``, ``journey_cell``) rather than the rows."""
    return source(engine, f, measure) != "rows"


def journey_rows(f: Filters, measure: str = "csat", keys: tuple[str, ...] | None = None,
                 dialect: str = "sqlite", summary: bool = False, cells: bool = False, span: int | None = None
                 ) -> Select | None:
    """One row per journey with at least ``MIN_TOUCHPOINTS`` scores and an overall rating: jk, n, total
    (sum of scores), overall, peak, peak_tp, trough, trough_tp, top, top_tp, end, end_tp, block. Pure SQL.
    ``keys`` (unless None) limits it to those journeys, read through the journey index. ``summary`` reads
    ``journey_rollup`` instead of the rows (only when ``summary_answers(f)`` and the rollup is complete);
    ``cells`` leaves out the journeys ``journey_cell`` holds (None if none are left); ``span`` bounds the days
    a piece spans (``journey_cells.max_span``)."""
    per = _qualifying(f, measure, keys, dialect, summary, cells, span)
    if per is None:
        return None
    p = per.subquery("per").c
    return select(p.jk, *unpacked(p))


def _qualifying(f: Filters, measure: str, keys, dialect: str, summary: bool, cells: bool, span: int | None
                ) -> Select | None:
    """``journey_rows``' journeys still packed: jk and the ``_PIECE`` columns, one row per qualifying journey."""
    if measure not in SCALES:
        raise ValueError(f"unknown measure: {measure}")
    if summary:
        if keys is not None or measure not in JOURNEY_MEASURES or not summary_answers(f):
            raise ValueError("journey_rollup does not answer this query")
        return _summary_journeys(f, measure, dialect, cells, span)
    per = _row_pieces(f, measure, keys, dialect)
    n, ok = per.selected_columns.n, per.selected_columns.ok
    return per.having(n >= MIN_TOUCHPOINTS).having(ok.is_not(None))


@lru_cache(maxsize=32)
def _by_keys(f: Filters, measure: str, dialect: str) -> Select:
    """``journey_rows`` for the journey keys bound as ``keys``, built once: a customer's story asks it on every
    lookup, and building the packed-key expressions and compiling them cost more than running it."""
    return journey_rows(f, measure, bindparam("keys", expanding=True), dialect)


def journey_frame(engine: Engine, f: Filters, measure: str = "csat", keys: tuple[str, ...] | None = None
                  ) -> pd.DataFrame:
    """Per-journey figures (with mean and peak-end index), for a few journeys: a customer's, or tests'.
    ``keys`` limits it to those journey keys; None means every journey (at scale use ``peak_end``)."""
    dialect = engine.dialect.name
    stmt = journey_rows(f, measure, None, dialect) if keys is None else _by_keys(f, measure, dialect).params(
        keys=list(keys))
    frame = read_frame(engine, stmt)
    if frame.empty:
        return pd.DataFrame(columns=["jk", "n", "overall", "peak", "peak_tp", "trough", "trough_tp", "top", "top_tp",
                                     "end", "end_tp", "mean", "peak_end"])
    for col in ("peak_tp", "trough_tp", "top_tp", "end_tp"):
        frame[col] = frame[col].astype("Int64").replace(0, pd.NA)
    frame["mean"] = frame["total"].astype(float) / frame["n"]
    frame["peak_end"] = (frame["peak"] + frame["end"]) / 2.0
    return frame.drop(columns=["total", "block"]).sort_values("jk").reset_index(drop=True)


PACKED = ("rows", "journeys")  # the sources whose journeys reach Python packed (``_packed_journeys``)


def _packed_journeys(f: Filters, measure: str, dialect: str, span: int | None, src: str = "journeys") -> Select:
    """The qualifying journeys of ``journey_rollup`` (``_summary_journeys``) or, for ``src`` rows, of the
    filtered rows (``_row_pieces``: the per-journey GROUP BY stays in SQL) as comma-separated integers, six per
    journey: its scores' count and sum, the touchpoints of its trough, best moment and end, and ``_SMALL``
    (block, peak, overall, trough, best and end scores in one number). SQLite: one ``group_concat`` per value
    (the aggregates of one SELECT step through the same rows in the same order; 40 % cheaper than one
    ``printf`` per journey); Postgres: one ``string_agg`` of the six joined, so they stay in step whatever the
    plan. Under a region, product or segment filter there is no cell to sum, and grouping the journeys in SQL
    (a materialized CTE and two GROUP BYs over temporary B-trees) cost 1-2.4 full scans of ``responses`` at 1M
    rows; under a channel, stage or department filter (12 months + app + 华东) they cost 10-20 % more than this
    statement (j14d). numpy parses the strings (``np.fromstring``, ~30 ns a value) and sums them
    (``_journey_parts``)."""
    if src not in PACKED:
        raise ValueError(f"journeys of {src} are not read packed")
    per = _qualifying(f, measure, None, dialect, src == "journeys", False, span)
    if per is None:
        raise ValueError("no journeys to read")
    p = per.subquery("per").c
    figures = {fig.name: fig for fig in jc.unpacked(p)}
    small = figures["block"]
    for name in _SMALL[1:]:
        small = small * big(_R) + figures[name]
    values = [p.n, p.total, figures["trough_tp"], figures["top_tp"], figures["end_tp"], small]
    if dialect == "postgresql":
        return select(func.string_agg(func.concat_ws(literal_column("','"), *values), literal_column("','")))
    return select(*(func.group_concat(v) for v in values))


_SMALL = ("block", "peak", "overall", "trough", "top", "end")  # packed with radix _R, block first
_R = 11  # every score and overall rating is 0-10 (``ingest.validate.SCORES``)


Margin = tuple[np.ndarray, np.ndarray, np.ndarray]  # one summary's keys, journeys of each, their summed overall rating
MARGINS = ("k_neg", "k_pos", "k_end", "label")  # worst moment's, best moment's and end's touchpoint; recovery class


def _margin(keys: np.ndarray, sy: np.ndarray, n: np.ndarray | None = None) -> Margin:
    """Journeys (``n`` each, else one) and summed overall ratings ``sy`` per distinct key. Both are sums of
    integers, exact in any order, so the packed and the SQL paths agree to the last bit."""
    at, values = pd.factorize(keys)  # a hash table: keys in order of appearance, no sort (~0.8 ms less at 60k)
    count = np.bincount(at, minlength=len(values)) if n is None else np.bincount(at, n, minlength=len(values))
    return values, count.astype(np.int64), np.bincount(at, sy, minlength=len(values))


def _journey_parts(packed: Sequence[str | None], measure: str) -> tuple[pd.DataFrame, dict[str, Margin]]:
    """``summary_parts``' block sums and margins from ``_packed_journeys``' strings, in numpy: the same figures
    as ``journey_cells.moments`` / ``recovery_class`` compute in SQL."""
    parsed = [np.fromstring(p, dtype=np.int64, sep=",") if p else np.zeros(0, np.int64) for p in packed]
    n, total, trough_tp, top_tp, end_tp, small = parsed[0].reshape(-1, 6).T if len(parsed) == 1 else parsed
    end, small = small % _R, small // _R
    top, small = small % _R, small // _R
    trough, small = small % _R, small // _R
    overall, small = small % _R, small // _R
    peak, block = small % _R, small // _R
    y = overall.astype(float)
    xs = {"peak_end": (peak.astype(float) + end) / 2.0, "mean": total.astype(float) / n, "peak": peak.astype(float),
          "end": end.astype(float), "trough": trough.astype(float)}
    values = {"sy": y, "syy": y * y}
    for name, x in xs.items():
        values |= {f"sx_{name}": x, f"sxx_{name}": x * x, f"sxy_{name}": x * y}
    count = np.bincount(block, minlength=jc.BLOCKS)
    used = np.flatnonzero(count)
    blocks = pd.DataFrame({"k_neg": used.astype(float), "n": count[used].astype(float),
                           **{m: np.bincount(block, weights=values[m], minlength=jc.BLOCKS)[used]
                              for m in JOURNEY_MOMENTS}})
    neg = neutral(measure)
    neg_max, pos_min = jc.recovery_bounds(measure)
    label = np.where(end <= neg_max, 1, np.where(trough <= neg_max, np.where(end >= pos_min, 0, 2), 3))  # RECOVERY
    codes, count, sy = _margin(label, y)
    margins = {"k_neg": _margin(np.where(trough < neg, trough_tp, -1), y),
               "k_pos": _margin(np.where(top > neg, top_tp, -1), y), "k_end": _margin(end_tp, y),
               "label": (np.array(RECOVERY, dtype=object)[codes], count, sy)}
    return blocks, margins


@lru_cache(maxsize=32)
def _summary_sql(f: Filters, measure: str, dialect: str = "sqlite", src: str = "rows", span: int | None = None
                 ) -> Select:
    """The UNION ALL of the block sums and the combined small summaries: over the materialized journeys (one
    read of ``responses``, or of ``journey_rollup`` unless ``cells`` hold them all) and, with ``cells``, the
    cells' sums in the same shape (``analyze.journey_cells.cell_sums``). For ``journeys`` (a region, product or
    segment filter) and ``rows``: the journeys packed in one string (``_packed_journeys``), which
    ``_journey_parts`` sums. Built once per filter set: building the statement cost 5-7 ms (packed) and ~20 ms
    (cells, with the cut journeys' keys), a sixth of the query; SQLAlchemy caches the compiled form."""
    if src in PACKED:
        return _packed_journeys(f, measure, dialect, span, src)
    from_cells = src == "cells" and _cell_months(f) is not None
    stmt = journey_rows(f, measure, None, dialect, True, from_cells, span)
    out = [jc.cell_sums(measure, _cell_months(f), f.regions)] if from_cells else []
    if stmt is None:
        return out[0]
    j = stmt.cte("journeys").prefix_with("MATERIALIZED")
    sums = moments(j.c)
    zero = literal_column("0.0", Float)
    pad = [zero.label(m) for m in JOURNEY_MOMENTS[1:]]
    neg = neutral(measure)
    none = big(-1)
    blocks = select(literal("block").label("kind"), j.c.block.label("k_neg"), none.label("k_pos"),
                    none.label("k_end"), literal("").label("label"), func.count().label("n"), *sums
                    ).group_by(j.c.block)
    # One GROUP BY for the four small summaries (SQLite sorts once, not four times); Python takes the margins.
    k_neg = case((j.c.trough < neg, j.c.trough_tp), else_=none)
    k_pos = case((j.c.top > neg, j.c.top_tp), else_=none)
    label = recovery_class(measure, j.c)
    combos = select(literal("combo").label("kind"), k_neg.label("k_neg"), k_pos.label("k_pos"),
                    j.c.end_tp.label("k_end"), label.label("label"), func.count().label("n"), sums[0], *pad
                    ).group_by(k_neg, k_pos, j.c.end_tp, label)
    return union_all(blocks, combos, *out)


def summary_parts(engine: Engine, f: Filters, measure: str, src: str | None = None
                  ) -> tuple[pd.DataFrame, dict[str, Margin]]:
    """Block sums (one row per block number ``k_neg``: n and the moments) and the margins of the small
    summaries (``MARGINS``: keys, journeys, summed overall rating; -1 and "" = no such moment), read in one
    statement from ``src`` (``SOURCES``; default: ``source(engine, f, measure)``)."""
    src = src or source(engine, f, measure)
    span = jc.max_span(engine) if src != "rows" and (f.date_from or f.date_to) else None
    if src in PACKED:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql" and src == "journeys":
                conn.exec_driver_sql(PIECES_PAGE_COST)
            packed = conn.execute(_summary_sql(f, measure, engine.dialect.name, src, span)).one()
            return _journey_parts(packed, measure)
    with engine.connect() as conn:
        parts = conn.execute(_summary_sql(f, measure, engine.dialect.name, src, span)).all()
    # A few hundred rows: plain tuples into numpy (pandas' frame, astype and groupby cost ~10 ms). A block has at
    # most two rows (the journeys' and the cells'), and a sum of two floats is the same in any order or method.
    block_rows = np.array([r[5:] for r in parts if r[0] == "block"], dtype=float).reshape(-1, 1 + len(JOURNEY_MOMENTS))
    keys, at = np.unique(np.array([r[1] for r in parts if r[0] == "block"], dtype=float), return_inverse=True)
    blocks = pd.DataFrame({"k_neg": keys, **{name: np.bincount(at.ravel(), block_rows[:, i], minlength=len(keys))
                                              for i, name in enumerate(("n", *JOURNEY_MOMENTS))}})
    combos = [r[1:7] for r in parts if r[0] == "combo"]  # k_neg, k_pos, k_end, label, n, sy
    n, sy = (np.array([r[i] for r in combos], dtype=float) for i in (4, 5))
    margins = {key: _margin(np.array([r[i] for r in combos], dtype=np.int64 if i < 3 else object), sy, n)
               for i, key in enumerate(MARGINS)}
    return blocks, margins


@dataclass(frozen=True)
class Predictor:
    """How well one journey figure predicts the overall rating."""

    name: str
    r: float | None
    ci: tuple[float, float] | None
    n: int


@dataclass(frozen=True)
class PeakEndResult:
    measure: str
    journeys: int
    predictors: dict[str, Predictor]
    winner: str | None
    runner_up: str | None
    margin: float | None  # r(winner) - r(runner-up)
    margin_ci: tuple[float, float] | None  # paired bootstrap 95 % interval of that difference
    peak_end_minus_mean: float | None
    peak_end_minus_mean_ci: tuple[float, float] | None
    #: touchpoint_id, journeys (where it was the negative peak / end), share (% of the journeys), overall
    #: (mean overall rating then), exposure (scored responses of the touchpoint), rate (% of them), low_n
    negative_peaks: pd.DataFrame = field(repr=False)
    positive_peaks: pd.DataFrame = field(repr=False)
    ends: pd.DataFrame = field(repr=False)
    #: kind (``RECOVERY``), journeys, share, overall
    recovery: pd.DataFrame = field(repr=False)

    @property
    def clear(self) -> bool:
        """The winner beats the runner-up beyond chance: the paired interval excludes zero."""
        return self.margin_ci is not None and self.margin_ci[0] > 0

    def as_dict(self) -> dict[str, object]:
        def rnd(v: float | None) -> float | None:
            return None if v is None else round(float(v), 4)

        def rci(ci: tuple[float, float] | None) -> list[float] | None:
            return None if ci is None else [round(float(ci[0]), 4), round(float(ci[1]), 4)]

        out: dict[str, object] = {"measure": self.measure, "journeys": self.journeys}
        for name, p in self.predictors.items():
            out[name] = {"r": rnd(p.r), "ci": rci(p.ci), "n": p.n}
        out.update({"winner": self.winner, "runner_up": self.runner_up, "margin": rnd(self.margin),
                    "margin_ci": rci(self.margin_ci), "clear": self.clear,
                    "peak_end_minus_mean": rnd(self.peak_end_minus_mean),
                    "peak_end_minus_mean_ci": rci(self.peak_end_minus_mean_ci)})
        out["recovery"] = {row.kind: {"journeys": int(row.journeys), "overall": rnd(row.overall)}
                           for row in self.recovery.itertuples()}
        return out


def _r(n: np.ndarray, sx, sy, sxx, syy, sxy) -> np.ndarray:
    """Pearson r from sums (vectorised); NaN where a variance is zero."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        vx = sxx - sx * sx / n
        vy = syy - sy * sy / n
        return cov / np.sqrt(vx * vy)


def _none(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def _ci(values: np.ndarray) -> tuple[float, float] | None:
    v = values[np.isfinite(values)]
    if len(v) < len(values) * 0.9 or len(v) == 0:
        return None
    lo, hi = np.percentile(v, [2.5, 97.5])
    return float(lo), float(hi)


def exposure(engine: Engine, f: Filters, measure: str, complete: bool | None = None) -> dict[int, int]:
    """Scored responses per touchpoint id (the denominator of 'how often is it the negative peak'), from the
    day rollup, or under a region, product or segment filter the touchpoint cells, when they cover the rows
    (``complete``: already checked, else checked here), else one grouped query."""
    complete = rollup_is_complete(engine) if complete is None else complete
    with engine.connect() as conn:
        return {int(tp): int(n) for tp, n in conn.execute(_exposure_sql(f, measure, complete)) if tp is not None}


@lru_cache(maxsize=32)
def _exposure_sql(f: Filters, measure: str, complete: bool) -> Select:
    """``exposure``'s statement, built once per filter set (the touchpoint cells' took 4 ms to build)."""
    count_col = f"{measure}_n"
    if complete and free_text(f):  # region, product or segment: the touchpoint cells (0029)
        return touchpoint_cells.sums_sql(f, (count_col,), ("touchpoint_id",))
    if complete:
        return apply_filters(select(rollup.c.touchpoint_id, func.sum(rollup.c[count_col]).label("exposure")), f,
                             rollup).group_by(rollup.c.touchpoint_id)
    c = responses.c
    return apply_filters(select(c.touchpoint_id, func.count(c[measure]).label("exposure")), f).group_by(
        c.touchpoint_id)


def _touchpoint_table(margin: Margin, journeys: int, expo: dict[int, int], by: str) -> pd.DataFrame:
    """Touchpoint rows of one summary, most frequent first: by ``rate`` (per scored response, which is fair to
    touchpoints that share a stage with others) for peaks, by ``journeys`` for ends. In numpy: a few hundred
    rows, for which pandas' sort and per-column overhead cost more than the figures."""
    keys, count, sy = margin
    keep = keys > 0  # -1: no such moment; 0: a row without a touchpoint
    tps, n = keys[keep].astype(np.int64), count[keep]
    seen = np.array([expo.get(tp, 0) for tp in tps.tolist()], dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = {"touchpoint_id": tps, "journeys": n, "overall": sy[keep] / n, "exposure": seen,
                   "share": 100.0 * n / journeys if journeys else np.full(len(n), np.nan),
                   "rate": np.where(seen > 0, 100.0 * n / np.maximum(seen, 1), np.nan), "low_n": n < MIN_TOUCHPOINT_N}
    order = np.lexsort((tps, -columns[by]))  # descending, NaN last (as pandas' sort_values), ties by touchpoint
    return pd.DataFrame({name: values[order] for name, values in columns.items()})


def _recovery(margin: Margin, journeys: int) -> pd.DataFrame:
    """Journeys, share and mean overall rating of each recovery class (``RECOVERY``; none: 0 journeys)."""
    at = {label: i for i, label in enumerate(margin[0].tolist())}
    count = np.array([margin[1][at[k]] if k in at else 0 for k in RECOVERY], dtype=np.int64)
    overall = np.array([margin[2][at[k]] / margin[1][at[k]] if k in at else np.nan for k in RECOVERY], dtype=float)
    return pd.DataFrame({"kind": list(RECOVERY), "journeys": count, "overall": overall,
                         "share": 100.0 * count / journeys if journeys else np.full(len(RECOVERY), np.nan)})


@lru_cache(maxsize=8)
def _weights(blocks: int, resamples: int, seed: int) -> np.ndarray:
    """The bootstrap's block weights (resamples x blocks multinomial draws): the same for every query with as
    many blocks (nearly always all ``BLOCKS``), so drawn once per process (12 ms, a tenth of a full scan)."""
    weights = np.random.default_rng(seed).multinomial(blocks, np.full(blocks, 1.0 / blocks), size=resamples)
    weights = weights.astype(float)
    weights.flags.writeable = False
    return weights


@on_one_connection
def peak_end(engine: Engine, f: Filters, measure: str = "csat", resamples: int = RESAMPLES,
             seed: int = 20001) -> PeakEndResult:
    """The whole peak-end analysis for the filtered feedback (see the module docstring). Its five or six queries
    (the coverage checks, the longest piece, the summary, the exposure) run on one connection: on Postgres each
    checkout cost round trips (the pool's ping, BEGIN, ROLLBACK) of the order of the small queries themselves."""
    src = source(engine, f, measure)
    blocks, margins = summary_parts(engine, f, measure, src)
    journeys = int(blocks["n"].sum()) if not blocks.empty else 0
    predictors: dict[str, Predictor] = {}
    boot: dict[str, np.ndarray] = {}
    if journeys:
        b = blocks
        weights = _weights(len(b), resamples, seed)

        def sums(col: str) -> tuple[float, np.ndarray]:
            v = b[col].to_numpy()
            return float(v.sum()), weights @ v

        n_all, n_boot = sums("n")
        sy, sy_b = sums("sy")
        syy, syy_b = sums("syy")
        for name in PREDICTORS:
            sx, sx_b = sums(f"sx_{name}")
            sxx, sxx_b = sums(f"sxx_{name}")
            sxy, sxy_b = sums(f"sxy_{name}")
            r = _r(np.array(n_all), sx, sy, sxx, syy, sxy)
            boot[name] = _r(n_boot, sx_b, sy_b, sxx_b, syy_b, sxy_b)
            ci = _ci(boot[name]) if journeys >= MIN_TOUCHPOINTS else None
            predictors[name] = Predictor(name, _none(float(r)), ci, journeys)
    else:
        predictors = {name: Predictor(name, None, None, 0) for name in PREDICTORS}
    ranked = sorted((p for p in predictors.values() if p.r is not None), key=lambda p: (-p.r, PREDICTORS.index(p.name)))
    winner = ranked[0].name if ranked else None
    runner = ranked[1].name if len(ranked) > 1 else None
    margin = margin_ci = pe_diff = pe_ci = None
    if winner and runner:
        margin = ranked[0].r - ranked[1].r
        margin_ci = _ci(boot[winner] - boot[runner])
    if predictors["peak_end"].r is not None and predictors["mean"].r is not None:
        pe_diff = predictors["peak_end"].r - predictors["mean"].r
        pe_ci = _ci(boot["peak_end"] - boot["mean"])
    expo = exposure(engine, f, measure, True if src != "rows" else None)  # the rollups' check passed already
    return PeakEndResult(
        measure=measure, journeys=journeys, predictors=predictors, winner=winner, runner_up=runner, margin=margin,
        margin_ci=margin_ci, peak_end_minus_mean=pe_diff, peak_end_minus_mean_ci=pe_ci,
        negative_peaks=_touchpoint_table(margins["k_neg"], journeys, expo, "rate"),
        positive_peaks=_touchpoint_table(margins["k_pos"], journeys, expo, "rate"),
        ends=_touchpoint_table(margins["k_end"], journeys, expo, "journeys"),
        recovery=_recovery(margins["label"], journeys))
