"""The link to money: spend by promoter / passive / detractor, detractors' spend at risk, spend by score.

Derived from the same small ``distributions.score_cube`` as the histograms. Only responses with an NPS
answer enter (a blank is neither group); a response's spend counts where it is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cem_core.analyze.distributions import score_group

GROUPS = ("promoter", "passive", "detractor")
_BAND_TO_GROUP = {"positive": "promoter", "neutral": "passive", "negative": "detractor"}


@dataclass(frozen=True)
class SpendSummary:
    by_group: pd.DataFrame  # group, responses, spend_n, spend, mean_spend, spend_share
    by_score: pd.DataFrame  # score, responses, spend_n, spend, mean_spend, group
    at_risk: float  # detractors' total spend
    at_risk_share: float | None  # of all spend by respondents with an NPS answer (%)
    promoter_vs_detractor: float | None  # mean spend of a promoter / that of a detractor


def _per_score(cube: pd.DataFrame) -> pd.DataFrame:
    scored = cube.dropna(subset=["nps"])
    agg = scored.groupby("nps")[["n", "spend_n", "spend"]].sum().reindex(range(11), fill_value=0)
    out = agg.rename_axis("score").reset_index().rename(columns={"n": "responses"})
    out["score"] = out["score"].astype(int)
    out["mean_spend"] = (out["spend"] / out["spend_n"]).where(out["spend_n"] > 0)
    out["group"] = [_BAND_TO_GROUP[score_group("nps", s)] for s in out["score"]]
    return out


def spend_summary(cube: pd.DataFrame) -> SpendSummary:
    by_score = _per_score(cube)
    by_group = by_score.groupby("group")[["responses", "spend_n", "spend"]].sum().reindex(GROUPS, fill_value=0)
    by_group = by_group.rename_axis("group").reset_index()
    by_group["mean_spend"] = (by_group["spend"] / by_group["spend_n"]).where(by_group["spend_n"] > 0)
    total = float(by_group["spend"].sum())
    by_group["spend_share"] = 100.0 * by_group["spend"] / total if total else None
    means = dict(zip(by_group["group"], by_group["mean_spend"], strict=True))
    ratio = (means["promoter"] / means["detractor"]
             if pd.notna(means["promoter"]) and pd.notna(means["detractor"]) and means["detractor"] else None)
    at_risk = float(by_group.loc[by_group["group"] == "detractor", "spend"].sum())
    return SpendSummary(by_group, by_score, at_risk, 100.0 * at_risk / total if total else None,
                        None if ratio is None else float(ratio))
