"""The emotion curve: the average score at each step of the journey (stage order, then touchpoint order)
with a 95 % band, for one selection or two to compare (segments, periods).

One grouped query per selection returns n, sum and sum of squares per (stage, touchpoint); the mean and
its t interval follow exactly (``analysis.stats.mean_ci``), and the stage-level curve re-sums them. The
lowest points (among steps with at least ``MIN_N`` answers) are marked. Blanks of the measure are left out.
The sums come from ``curve_rollup`` (migration 0020: n, sum and squares per batch, day, channel, stage and
touchpoint, kept by every writer through ``analyze.rollup``); under a region, product or segment filter from
``touchpoint_cell`` (0029, ``analyze.touchpoint_cells``: whole months, plus the rows of partial edge months).
Only when a writer skipped the rollups do the rows answer: one index-only pass of
``ix_responses_touchpoint_scores`` (0011) in group order.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import BigInteger, Engine, Select, cast, func, select

from cem_core.analyze import touchpoint_cells
from cem_core.analyze.dims import filtered_rows
from cem_core.analyze.distributions import SCALES
from cem_core.analyze.queries import Filters, apply_filters, read_frame, responses, rollup_is_complete
from cem_core.analyze.stats import mean_ci
from cem_core.db.models import curve_rollup
from cem_core.journey.index_order import filtered, free_text
from cem_core.journey.templates import layout

MIN_N = 30
LOWEST = 2
LEVELS = ("touchpoint", "stage")


def rollup_answers(engine: Engine, f: Filters) -> bool:
    """Whether the rollups answer (``curve_rollup``, or ``touchpoint_cell`` under a region, product or segment
    filter): they cover every stored row (else the rows answer, slower but right)."""
    # The rollups' coverage check: ``rollup_coverage`` is written with both by ``analyze.rollup.add_batch``, and
    # reads no rows on Postgres (counting ``responses`` there cost a full scan per curve).
    return rollup_is_complete(engine)


def step_sums_sql(f: Filters, measure: str, dialect: str = "sqlite", from_rollup: bool = False) -> Select:
    """n, total and squares of ``measure`` per (stage_id, touchpoint_id), as SQL: from the rollups
    (``from_rollup``, only when ``rollup_answers``: ``curve_rollup``, or ``touchpoint_cell`` under a region,
    product or segment filter) or from the rows."""
    if measure not in SCALES:
        raise ValueError(f"unknown measure: {measure}")
    if from_rollup and free_text(f):
        u = touchpoint_cells.sums_sql(f, (f"{measure}_n", f"{measure}_sum", f"{measure}_sq")).subquery("cells").c
        return select(u.stage_id, u.touchpoint_id, u[f"{measure}_n"].label("n"), u[f"{measure}_sum"].label("total"),
                      u[f"{measure}_sq"].label("squares")).where(u[f"{measure}_n"] > 0)
    if from_rollup:
        r = curve_rollup.c
        n = func.sum(r[f"{measure}_n"])
        # Postgres sums BIGINTs as NUMERIC: cast back, so both databases give the same integers.
        return apply_filters(select(r.stage_id, r.touchpoint_id, cast(n, BigInteger).label("n"),
                                    cast(func.sum(r[f"{measure}_sum"]), BigInteger).label("total"),
                                    cast(func.sum(r[f"{measure}_sq"]), BigInteger).label("squares")), f, curve_rollup
                             ).group_by(r.stage_id, r.touchpoint_id).having(n > 0)
    c = responses.c
    if free_text(f):
        rows = filtered_rows(f, c.stage_id, c.touchpoint_id, c[measure].label("s"))
    else:  # flattened: grouped in the order of the covering ix_responses_touchpoint_scores, no sort (0011)
        rows = filtered(select(c.stage_id, c.touchpoint_id, c[measure].label("s")), f, dialect).subquery("rows")
    s = rows.c.s
    return select(rows.c.stage_id, rows.c.touchpoint_id, func.count(s).label("n"),
                  func.coalesce(func.sum(s), 0).label("total"), func.coalesce(func.sum(s * s), 0).label("squares")
                  ).where(s.is_not(None)).group_by(rows.c.stage_id, rows.c.touchpoint_id)


def step_sums(engine: Engine, f: Filters, measure: str) -> pd.DataFrame:
    return read_frame(engine, step_sums_sql(f, measure, engine.dialect.name, rollup_answers(engine, f)))


def emotion_curve(engine: Engine, f: Filters, measure: str = "csat", level: str = "touchpoint",
                  lang: str = "zh") -> pd.DataFrame:
    """step, stage, touchpoint (None at stage level), label, n, mean, lo, hi, lowest (bool), low_n."""
    if level not in LEVELS:
        raise ValueError(f"unknown level: {level}")
    lay = layout(engine, lang)
    sums = step_sums(engine, f, measure)
    cols = ["step", "stage_id", "stage", "touchpoint_id", "touchpoint", "label", "n", "mean", "lo", "hi", "lowest",
            "low_n"]
    if lay.empty:
        return pd.DataFrame(columns=cols)
    lay = lay[lay["touchpoint_id"].notna()].copy()
    if not sums.empty:
        sums = sums.dropna(subset=["touchpoint_id"]).astype({"touchpoint_id": int, "n": int})
        sums = sums.drop(columns=["stage_id"])
    lay["touchpoint_id"] = lay["touchpoint_id"].astype(int)
    steps = lay.merge(sums, on="touchpoint_id", how="left") if not sums.empty else lay.assign(n=0, total=0, squares=0)
    steps[["n", "total", "squares"]] = steps[["n", "total", "squares"]].fillna(0)
    if level == "stage":
        steps = steps.groupby(["stage_order", "stage_id", "stage"], as_index=False)[["n", "total", "squares"]].sum()
        steps["touchpoint_id"], steps["touchpoint"] = pd.NA, None
        steps["label"] = steps["stage"]
        steps = steps.sort_values("stage_order")
    else:
        steps = steps.sort_values(["stage_order", "tp_order"])
        steps["label"] = steps["touchpoint"]
    steps = steps.reset_index(drop=True)
    steps["step"] = range(len(steps))
    steps["n"] = steps["n"].astype(int)
    steps["mean"] = [t / n if n else None for t, n in zip(steps["total"], steps["n"], strict=True)]
    cis = [mean_ci(int(n), float(t), float(q)) for n, t, q in zip(steps["n"], steps["total"], steps["squares"],
                                                                    strict=True)]
    steps["lo"] = [None if c is None else c[0] for c in cis]
    steps["hi"] = [None if c is None else c[1] for c in cis]
    steps["low_n"] = steps["n"] < MIN_N
    steps["mean"] = pd.to_numeric(steps["mean"])
    ranked = steps[~steps["low_n"] & steps["mean"].notna()].nsmallest(LOWEST, "mean")
    steps["lowest"] = steps.index.isin(ranked.index)
    return steps[cols]


def compare(engine: Engine, a: Filters, b: Filters, labels: tuple[str, str], measure: str = "csat",
            level: str = "touchpoint", lang: str = "zh") -> pd.DataFrame:
    """Two curves stacked with a ``series`` column (``labels``), for one chart."""
    return pd.concat([emotion_curve(engine, a, measure, level, lang).assign(series=labels[0]),
                      emotion_curve(engine, b, measure, level, lang).assign(series=labels[1])], ignore_index=True)
