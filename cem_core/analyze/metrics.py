"""Metric definitions, stated once, with the rule for blanks.

* NPS (0-10): promoters 9-10, passives 7-8, detractors 0-6. NPS = %promoters - %detractors over rows
  *with* a score (passives count in the denominator, blanks are excluded). The 95% confidence interval
  uses the variance of the +1/0/-1 variable: var = p + d - (p - d)^2, se = sqrt(var / n).
* CSAT (1-5): top-2-box, the share of 4s and 5s among answered rows, times 100. Not the mean.
* CES (1-7, "made it easy"): the mean and the share agreeing (5-7) among answered rows.

The same rules run in SQL (``sql_measures``) for speed and in pandas (``*_from_scores``) for tests and
for small in-memory sets; a test checks they agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, case, func

Z95 = 1.959963984540054

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
CSAT_TOP2_MIN = 4
CES_AGREE_MIN = 5


@dataclass(frozen=True)
class NpsResult:
    """NPS with its sample: ``n`` answered rows, the three group counts and a 95% CI."""

    n: int
    promoters: int
    passives: int
    detractors: int

    @property
    def nps(self) -> float | None:
        return None if self.n == 0 else 100.0 * (self.promoters - self.detractors) / self.n

    @property
    def promoter_share(self) -> float | None:
        return None if self.n == 0 else 100.0 * self.promoters / self.n

    @property
    def detractor_share(self) -> float | None:
        return None if self.n == 0 else 100.0 * self.detractors / self.n

    @property
    def margin(self) -> float | None:
        """Half-width of the 95% CI in NPS points (None below two answers)."""
        if self.n < 2:
            return None
        p, d = self.promoters / self.n, self.detractors / self.n
        var = max(p + d - (p - d) ** 2, 0.0)
        return 100.0 * Z95 * math.sqrt(var / self.n)

    @property
    def ci(self) -> tuple[float, float] | None:
        if self.nps is None or self.margin is None:
            return None
        return max(self.nps - self.margin, -100.0), min(self.nps + self.margin, 100.0)


def nps_from_scores(scores: pd.Series) -> NpsResult:
    s = pd.to_numeric(scores, errors="coerce").dropna()
    promoters = int((s >= PROMOTER_MIN).sum())
    detractors = int((s <= DETRACTOR_MAX).sum())
    return NpsResult(n=len(s), promoters=promoters, passives=len(s) - promoters - detractors, detractors=detractors)


def csat_from_scores(scores: pd.Series) -> float | None:
    s = pd.to_numeric(scores, errors="coerce").dropna()
    return None if s.empty else 100.0 * float((s >= CSAT_TOP2_MIN).mean())


def ces_from_scores(scores: pd.Series) -> tuple[float | None, float | None]:
    """(mean, % agree) of CES answers."""
    s = pd.to_numeric(scores, errors="coerce").dropna()
    if s.empty:
        return None, None
    return float(s.mean()), 100.0 * float((s >= CES_AGREE_MIN).mean())


def nps_diff_significant(a: NpsResult, b: NpsResult) -> bool:
    """Whether two independent NPS values differ at the 95% level (z-test on the +1/0/-1 variable)."""
    if a.margin is None or b.margin is None or a.nps is None or b.nps is None:
        return False
    se = math.hypot(a.margin, b.margin) / Z95
    return se > 0 and abs(a.nps - b.nps) / se > Z95


def sql_measures(table) -> list[ColumnElement]:
    """Additive SQL aggregates from which every KPI is derived; summing them again stays exact.

    Being additive is the point: one scan grouped by day, stage and channel can be re-summed to any
    date window, stage or channel without going back to the rows.
    """
    c = table.c

    def count_if(cond: ColumnElement) -> ColumnElement:
        return func.sum(case((cond, 1), else_=0))

    return [
        func.count().label("responses"),
        func.count(c.nps).label("nps_n"),
        count_if(c.nps >= PROMOTER_MIN).label("promoters"),
        count_if(c.nps <= DETRACTOR_MAX).label("detractors"),
        func.count(c.csat).label("csat_n"),
        count_if(c.csat >= CSAT_TOP2_MIN).label("csat_top2"),
        func.count(c.ces).label("ces_n"),
        func.coalesce(func.sum(c.ces), 0).label("ces_sum"),
        count_if(c.ces >= CES_AGREE_MIN).label("ces_agree"),
        func.coalesce(func.sum(c.spend), 0.0).label("spend"),
        func.coalesce(func.sum(case((c.nps <= DETRACTOR_MAX, c.spend), else_=None)), 0.0).label("detractor_spend"),
        func.coalesce(func.sum(c.ces * c.ces), 0).label("ces_sq"),
    ]


MEASURE_COLUMNS = ("responses", "nps_n", "promoters", "detractors", "csat_n", "csat_top2", "ces_n",
                   "ces_sum", "ces_agree", "spend", "detractor_spend", "ces_sq")


@dataclass(frozen=True)
class Kpis:
    """Every overview KPI for one set of rows, derived from the additive measures."""

    responses: int
    nps: NpsResult
    csat: float | None
    csat_n: int
    ces_mean: float | None
    ces_agree: float | None
    ces_n: int
    spend: float
    detractor_spend: float
    csat_top2: int  # the sums behind CSAT's and CES's confidence intervals (``overview.csat_ci``/``ces_ci``)
    ces_sum: float
    ces_sq: float

    @classmethod
    def from_measures(cls, m: dict[str, float] | pd.Series) -> Kpis:
        g = {k: (0 if pd.isna(m.get(k)) else m.get(k)) for k in MEASURE_COLUMNS}
        n, prom, det = int(g["nps_n"]), int(g["promoters"]), int(g["detractors"])
        csat_n, ces_n = int(g["csat_n"]), int(g["ces_n"])
        return cls(
            responses=int(g["responses"]),
            nps=NpsResult(n=n, promoters=prom, passives=n - prom - det, detractors=det),
            csat=100.0 * g["csat_top2"] / csat_n if csat_n else None,
            csat_n=csat_n,
            ces_mean=g["ces_sum"] / ces_n if ces_n else None,
            ces_agree=100.0 * g["ces_agree"] / ces_n if ces_n else None,
            ces_n=ces_n,
            spend=float(g["spend"]),
            detractor_spend=float(g["detractor_spend"]),
            csat_top2=int(g["csat_top2"]),
            ces_sum=float(g["ces_sum"]),
            ces_sq=float(g["ces_sq"]),
        )

    def as_dict(self) -> dict[str, object]:
        """Plain figures for the CLI's JSON and for comparisons in tests."""
        return {
            "responses": self.responses,
            "nps": None if self.nps.nps is None else round(self.nps.nps, 2),
            "nps_n": self.nps.n,
            "nps_ci": None if self.nps.ci is None else [round(x, 2) for x in self.nps.ci],
            "promoter_share": None if self.nps.promoter_share is None else round(self.nps.promoter_share, 2),
            "detractor_share": None if self.nps.detractor_share is None else round(self.nps.detractor_share, 2),
            "csat": None if self.csat is None else round(self.csat, 2),
            "ces": None if self.ces_mean is None else round(self.ces_mean, 3),
            "ces_agree": None if self.ces_agree is None else round(self.ces_agree, 2),
            "detractor_spend": round(self.detractor_spend, 2),
        }
