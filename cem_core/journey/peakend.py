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

How it avoids reading ``responses``: every writer keeps ``journey_rollup`` (``analyze.journey_rollup``,
migration 0020), each journey's count and sum of scores and packed keys
(``max(distance * 10^14 + step * 10^9 + ...)`` is an argmax that carries the step, touchpoint and score
along; integer division unpacks them). Whole journeys are read as they are, journeys split over pieces
are grouped, and the journeys a date window cuts are recomputed from their rows through the journey
index, so the answer equals the rows' (``tests/analyze/test_journey_rollup.py``). A channel, stage or
department filter takes touchpoints out of journeys: then one ``GROUP BY journey_key`` over the filtered
rows computes the same figures (on SQLite in the order of the covering ``ix_responses_journey``,
``index_order``). Either way the journeys go into a MATERIALIZED CTE, summarised twice in one UNION ALL:
sums per bootstrap block, and counts per (worst-moment touchpoint, best-moment touchpoint, end touchpoint,
recovery class), whose margins Python takes. Only those few thousand rows reach Python.

Confidence intervals: Pearson r of each predictor with the overall rating from exact sums, and a
95 % percentile bootstrap over ``BLOCKS`` random blocks of journeys (journey's first response id
modulo ``BLOCKS``): resampling blocks of i.i.d. journeys is a valid bootstrap, and each replicate is
a weighted sum of block sums, so 1,000 replicates cost one matrix product. The winner's margin over
the runner-up gets a *paired* interval from the same replicates; the comparison is called clear only
if that interval excludes zero. The page reports what the data says: research finds peak-end
effects robust but often no stronger than the mean (Alaybek et al. 2022: r ~ 0.58 for both).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Float,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from cem_core.analyze import journey_rollup as jr
from cem_core.analyze.distributions import SCALES, score_group
from cem_core.analyze.journey_rollup import P, S, T, big, neutral
from cem_core.analyze.queries import Filters, apply_filters, read_frame, responses, rollup, rollup_is_complete
from cem_core.db.models import JOURNEY_MEASURES, journey_rollup
from cem_core.journey.index_order import filtered, free_text, keyed

MIN_TOUCHPOINTS = 3
BLOCKS = 200
RESAMPLES = 1000
PREDICTORS = ("peak_end", "mean", "peak", "end", "trough")
RECOVERY = ("recovered", "ended_badly", "low_unresolved", "no_low")
MIN_TOUCHPOINT_N = 30  # negative-peak / end rows below this many journeys are flagged low-n
_PIECE = ("n", "total", "pk", "tk", "xk", "ek", "ok", "first_id")


def _row_pieces(f: Filters, measure: str, keys, dialect: str) -> Select:
    """Per journey (jk and the ``_PIECE`` columns) from the filtered rows of ``responses``; ``keys`` (a tuple or
    a subquery of journey keys, or None for every journey) is read through the journey index."""
    c = responses.c
    k = jr.packed(responses, measure)
    cols = select(c.id, c.journey_key, k["s"].label("s"), k["pk"].label("pk"), k["tk"].label("tk"),
                  k["xk"].label("xk"), k["ek"].label("ek"), k["ok"].label("ok"))
    if keys is not None:
        rows = keyed(cols, f, dialect).where(c.journey_key.in_(keys)).subquery("rows")
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


def _summary_journeys(f: Filters, measure: str, dialect: str) -> Select:
    """Per-journey rows (jk and the ``_PIECE`` columns) of the qualifying journeys, from ``journey_rollup``:
    whole pieces inside the date window as they are (no GROUP BY), the other pieces inside it grouped by
    journey, and the journeys the window cuts grouped from their rows (``_row_pieces`` through the journey
    index). Together exactly the rows' answer (``tests/analyze/test_journey_rollup.py``)."""
    j = journey_rollup.c
    text_only = Filters(regions=f.regions, products=f.products, segments=f.segments)
    figures = [j[f"{measure}_{k}"].label(k) for k in _PIECE[:6]]
    inside = apply_filters(select(j.journey_key.label("jk"), *figures, j.ok, j.first_id), text_only, journey_rollup)
    cut = []
    if f.date_from is not None:
        inside = inside.where(j.first_date >= f.date_from)
        cut.append(and_(j.first_date < f.date_from, j.last_date >= f.date_from))
    if f.date_to is not None:
        inside = inside.where(j.last_date <= f.date_to)
        cut.append(and_(j.first_date <= f.date_to, j.last_date > f.date_to))
    # Nearly every piece is whole: SQLite scans the table for them ("+whole" keeps it off the index of parts).
    is_whole = literal_column("+journey_rollup.whole") == 1 if dialect == "sqlite" else j.whole.is_(True)
    whole = inside.where(is_whole, j[f"{measure}_n"] >= MIN_TOUCHPOINTS, j.ok.is_not(None))
    parts = inside.where(j.whole.is_(False), j.journey_key.is_not(None))
    if cut:
        cut_keys = apply_filters(select(j.journey_key), text_only, journey_rollup).where(or_(*cut))
        parts = union_all(parts.where(j.journey_key.not_in(cut_keys)), _row_pieces(f, measure, cut_keys, dialect))
    q = parts.subquery("parts").c
    # Postgres sums BIGINTs as NUMERIC: cast back, so both databases hand the same integers on.
    grouped = select(q.jk, cast(func.sum(q.n), BigInteger).label("n"), cast(func.sum(q.total), BigInteger).label(
        "total"), func.max(q.pk).label("pk"), func.min(q.tk).label("tk"), func.max(q.xk).label("xk"),
        func.max(q.ek).label("ek"), func.max(q.ok).label("ok"), func.min(q.first_id).label("first_id")).group_by(
        q.jk).having(func.sum(q.n) >= MIN_TOUCHPOINTS).having(func.max(q.ok).is_not(None))
    return union_all(whole, grouped)


def uses_summary(engine: Engine, f: Filters, measure: str) -> bool:
    """Whether peak-end reads ``journey_rollup``: it answers the filters and covers every stored row (if a
    writer ever skipped it, the rows answer, slower but right)."""
    if measure not in JOURNEY_MEASURES or not summary_answers(f):
        return False
    with engine.connect() as conn:
        return jr.is_complete(conn)


def journey_rows(f: Filters, measure: str = "csat", keys: tuple[str, ...] | None = None,
                 dialect: str = "sqlite", summary: bool = False) -> Select:
    """One row per journey with at least ``MIN_TOUCHPOINTS`` scores and an overall rating: jk, n, total
    (sum of scores), overall, peak, peak_tp, trough, trough_tp, top, top_tp, end, end_tp, block. Pure SQL.
    ``keys`` (unless None) limits it to those journeys, read through the journey index. ``summary`` reads
    ``journey_rollup`` instead of the rows (only when ``summary_answers(f)`` and the rollup is complete)."""
    if measure not in SCALES:
        raise ValueError(f"unknown measure: {measure}")
    if summary:
        if keys is not None or measure not in JOURNEY_MEASURES or not summary_answers(f):
            raise ValueError("journey_rollup does not answer this query")
        p = _summary_journeys(f, measure, dialect).subquery("per").c
    else:
        per = _row_pieces(f, measure, keys, dialect)
        n, ok = per.selected_columns.n, per.selected_columns.ok
        p = per.having(n >= MIN_TOUCHPOINTS).having(ok.is_not(None)).subquery("per").c
    return select(
        p.jk, p.n, p.total, (p.ok % big(S)).label("overall"),
        (p.pk % big(S)).label("peak"), ((p.pk // big(S)) % big(T)).label("peak_tp"),
        (p.tk // big(T * P)).label("trough"), (p.tk % big(T)).label("trough_tp"),
        (p.xk // big(T * P)).label("top"), (p.xk % big(T)).label("top_tp"),
        (p.ek % big(S)).label("end"), ((p.ek // big(S)) % big(T)).label("end_tp"),
        (p.first_id % big(BLOCKS)).label("block"))


def journey_frame(engine: Engine, f: Filters, measure: str = "csat", keys: tuple[str, ...] | None = None
                  ) -> pd.DataFrame:
    """Per-journey figures (with mean and peak-end index), for a few journeys: a customer's, or tests'.
    ``keys`` limits it to those journey keys; None means every journey (at scale use ``peak_end``)."""
    frame = read_frame(engine, journey_rows(f, measure, keys, engine.dialect.name))
    if frame.empty:
        return pd.DataFrame(columns=["jk", "n", "overall", "peak", "peak_tp", "trough", "trough_tp", "top", "top_tp",
                                     "end", "end_tp", "mean", "peak_end"])
    for col in ("peak_tp", "trough_tp", "top_tp", "end_tp"):
        frame[col] = frame[col].astype("Int64").replace(0, pd.NA)
    frame["mean"] = frame["total"].astype(float) / frame["n"]
    frame["peak_end"] = (frame["peak"] + frame["end"]) / 2.0
    return frame.drop(columns=["total", "block"]).sort_values("jk").reset_index(drop=True)


def _recovery_class(measure: str, j) -> ColumnElement:
    lo, hi = SCALES[measure]
    neg_max = max(s for s in range(lo, hi + 1) if score_group(measure, s) == "negative")
    pos_min = min(s for s in range(lo, hi + 1) if score_group(measure, s) == "positive")
    return case((j.c.end <= neg_max, literal("ended_badly")),
                (j.c.trough <= neg_max, case((j.c.end >= pos_min, literal("recovered")),
                                             else_=literal("low_unresolved"))),
                else_=literal("no_low"))


def _summary_sql(f: Filters, measure: str, dialect: str = "sqlite", summary: bool = False) -> Select:
    """The UNION ALL of the block sums and the combined small summaries over the materialized journeys
    (one read of ``journey_rollup`` with ``summary``, else of ``responses``)."""
    j = journey_rows(f, measure, None, dialect, summary).cte("journeys").prefix_with("MATERIALIZED")
    y = cast(j.c.overall, Float)
    xs = {"peak_end": (cast(j.c.peak, Float) + cast(j.c.end, Float)) / 2.0, "mean": cast(j.c.total, Float) / j.c.n,
          "peak": cast(j.c.peak, Float), "end": cast(j.c.end, Float), "trough": cast(j.c.trough, Float)}
    zero = literal_column("0.0", Float)
    moments = [func.sum(y).label("sy"), func.sum(y * y).label("syy")]
    for name, x in xs.items():
        moments += [func.sum(x).label(f"sx_{name}"), func.sum(x * x).label(f"sxx_{name}"),
                    func.sum(x * y).label(f"sxy_{name}")]
    pad = [zero.label(m.name) for m in moments[1:]]

    neg = neutral(measure)
    none = big(-1)
    blocks = select(literal("block").label("kind"), j.c.block.label("k_neg"), none.label("k_pos"),
                    none.label("k_end"), literal("").label("label"), func.count().label("n"), *moments
                    ).group_by(j.c.block)
    # One GROUP BY for the four small summaries (SQLite sorts once, not four times); Python takes the margins.
    k_neg = case((j.c.trough < neg, j.c.trough_tp), else_=none)
    k_pos = case((j.c.top > neg, j.c.top_tp), else_=none)
    label = _recovery_class(measure, j)
    combos = select(literal("combo").label("kind"), k_neg.label("k_neg"), k_pos.label("k_pos"),
                    j.c.end_tp.label("k_end"), label.label("label"), func.count().label("n"), moments[0], *pad
                    ).group_by(k_neg, k_pos, j.c.end_tp, label)
    return blocks.union_all(combos)


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


def exposure(engine: Engine, f: Filters, measure: str) -> pd.DataFrame:
    """Scored responses per touchpoint (the denominator of 'how often is it the negative peak'), from the
    rollup when it answers the filters, else one grouped query."""
    count_col = f"{measure}_n"
    if not (f.regions or f.products or f.segments) and rollup_is_complete(engine):
        stmt = apply_filters(select(rollup.c.touchpoint_id, func.sum(rollup.c[count_col]).label("exposure")), f,
                             rollup).group_by(rollup.c.touchpoint_id)
    else:
        c = responses.c
        stmt = apply_filters(select(c.touchpoint_id, func.count(c[measure]).label("exposure")), f).group_by(
            c.touchpoint_id)
    frame = read_frame(engine, stmt)
    return frame.dropna(subset=["touchpoint_id"]).astype({"touchpoint_id": int, "exposure": int}) if not frame.empty \
        else pd.DataFrame({"touchpoint_id": pd.Series(dtype=int), "exposure": pd.Series(dtype=int)})


def _margin(combos: pd.DataFrame, key: str) -> pd.DataFrame:
    """Journeys and summed overall ratings per value of one key of the combined summary."""
    if combos.empty:
        return pd.DataFrame({"key": pd.Series(dtype=object), "n": pd.Series(dtype=int), "sy": pd.Series(dtype=float)})
    return combos.groupby(key, as_index=False)[["n", "sy"]].sum().rename(columns={key: "key"})


def _touchpoint_table(combos: pd.DataFrame, key: str, journeys: int, expo: pd.DataFrame, by: str) -> pd.DataFrame:
    """Touchpoint rows of one summary, most frequent first: by ``rate`` (per scored response, which is fair to
    touchpoints that share a stage with others) for peaks, by ``journeys`` for ends."""
    rows = _margin(combos, key)
    rows = rows[rows["key"].astype(int) > 0]  # -1: no such moment; 0: a row without a touchpoint
    out = pd.DataFrame({"touchpoint_id": rows["key"].astype(int).to_numpy(),
                        "journeys": rows["n"].astype(int).to_numpy(),
                        "overall": (rows["sy"] / rows["n"]).astype(float).to_numpy()})
    out = out.merge(expo, on="touchpoint_id", how="left").fillna({"exposure": 0})
    out["share"] = 100.0 * out["journeys"] / journeys if journeys else np.nan
    out["rate"] = np.where(out["exposure"] > 0, 100.0 * out["journeys"] / out["exposure"].clip(lower=1), np.nan)
    out["low_n"] = out["journeys"] < MIN_TOUCHPOINT_N
    return out.sort_values([by, "touchpoint_id"], ascending=[False, True]).reset_index(drop=True)


def peak_end(engine: Engine, f: Filters, measure: str = "csat", resamples: int = RESAMPLES,
             seed: int = 20001) -> PeakEndResult:
    """The whole peak-end analysis for the filtered feedback (see the module docstring)."""
    parts = read_frame(engine, _summary_sql(f, measure, engine.dialect.name, uses_summary(engine, f, measure)))
    if parts.empty:
        parts = pd.DataFrame(columns=["kind", "k_neg", "k_pos", "k_end", "label", "n", "sy"])
    blocks = parts[parts["kind"] == "block"].sort_values("k_neg")  # k_neg holds the block number here
    combos = parts[parts["kind"] == "combo"]
    journeys = int(blocks["n"].sum()) if not blocks.empty else 0
    predictors: dict[str, Predictor] = {}
    boot: dict[str, np.ndarray] = {}
    rng = np.random.default_rng(seed)
    if journeys:
        b = blocks.astype({c: float for c in blocks.columns if c not in ("kind", "label")})
        weights = rng.multinomial(len(b), np.full(len(b), 1.0 / len(b)), size=resamples).astype(float)

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
    expo = exposure(engine, f, measure)
    rec = _margin(combos, "label")
    recovery = pd.DataFrame({"kind": list(RECOVERY)}).merge(
        pd.DataFrame({"kind": rec["key"].astype(str).to_numpy(), "journeys": rec["n"].astype(int).to_numpy(),
                      "overall": (rec["sy"] / rec["n"]).astype(float).to_numpy()}), on="kind", how="left")
    recovery["journeys"] = recovery["journeys"].fillna(0).astype(int)
    recovery["share"] = 100.0 * recovery["journeys"] / journeys if journeys else np.nan
    return PeakEndResult(
        measure=measure, journeys=journeys, predictors=predictors, winner=winner, runner_up=runner, margin=margin,
        margin_ci=margin_ci, peak_end_minus_mean=pe_diff, peak_end_minus_mean_ci=pe_ci,
        negative_peaks=_touchpoint_table(combos, "k_neg", journeys, expo, "rate"),
        positive_peaks=_touchpoint_table(combos, "k_pos", journeys, expo, "rate"),
        ends=_touchpoint_table(combos, "k_end", journeys, expo, "journeys"), recovery=recovery)
