"""The demo generator is deterministic and its planted truths are recoverable from the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from cem_core.db.models import AuditEntry, Customer, ImportBatch, Rating, Response
from cem_core.demo.catalog import INDUSTRIES
from cem_core.demo.generator import PLANTED, generate, load_demo, remove_demo
from cem_core.reference import ATTRIBUTE_CODES


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return generate(30_000, "hotel", seed=11)


def relative_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson's relative weights (reference implementation for the test)."""
    r = np.corrcoef(np.column_stack([x, y]).T)
    rxx, rxy = r[:-1, :-1], r[:-1, -1]
    w, v = np.linalg.eigh(rxx)
    lam = v @ np.diag(np.sqrt(w)) @ v.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def test_deterministic_for_same_seed() -> None:
    a, b = generate(2_000, "bank", seed=3), generate(2_000, "bank", seed=3)
    pd.testing.assert_frame_equal(a["responses"], b["responses"])
    c = generate(2_000, "bank", seed=4)
    assert not a["responses"]["nps"].equals(c["responses"]["nps"])


@pytest.mark.parametrize("industry", sorted(INDUSTRIES))
def test_every_industry_generates_exact_row_count(industry: str) -> None:
    d = generate(1_500, industry, seed=1)
    r = d["responses"]
    assert len(r) == 1_500
    assert r["row_key"].is_unique
    assert r["channel_code"].nunique() >= 6
    assert set(r["language"].dropna()) == {"zh", "en"}


def test_driver_ranking_recovers_planted_weights(data: dict[str, pd.DataFrame]) -> None:
    wide = data["ratings"].pivot(index="response", columns="attribute_code", values="score")
    wide["nps"] = data["responses"]["nps"].to_numpy()[wide.index]
    wide = wide.dropna()
    rw = relative_weights(wide[list(ATTRIBUTE_CODES)].to_numpy(float), wide["nps"].to_numpy(float))
    ranking = [ATTRIBUTE_CODES[i] for i in np.argsort(-rw)]
    assert ranking == PLANTED["driver_ranking"]


def test_overall_rating_follows_peak_end_more_than_mean(data: dict[str, pd.DataFrame]) -> None:
    r = data["responses"].dropna(subset=["csat"]).sort_values(["journey_key", "journey_step"])

    def peak_end(g: pd.DataFrame) -> float:
        x = g["csat"].to_numpy()
        ext = np.abs(x - 3) + np.arange(len(x)) * 1e-3
        return (x[ext.argmax()] + x[-1]) / 2

    grouped = r.groupby("journey_key")
    overall = data["responses"].dropna(subset=["overall_sat"]).set_index("journey_key")["overall_sat"]
    frame = pd.DataFrame({"overall": overall, "pe": grouped.apply(peak_end), "mean": grouped["csat"].mean()}).dropna()
    assert len(frame) > 5_000
    assert frame["overall"].corr(frame["pe"]) > frame["overall"].corr(frame["mean"]) + 0.05


def test_spend_rises_with_loyalty(data: dict[str, pd.DataFrame]) -> None:
    r = data["responses"].dropna(subset=["nps", "spend"])
    group = np.where(r["nps"] >= 9, "promoter", np.where(r["nps"] <= 6, "detractor", "passive"))
    means = r.groupby(group)["spend"].mean()
    assert means["promoter"] > means["passive"] > means["detractor"]


def test_seasonal_dip_in_peak_months(data: dict[str, pd.DataFrame]) -> None:
    r = data["responses"].dropna(subset=["nps"])
    month = pd.to_datetime(r["occurred_at"]).dt.month
    nps = lambda s: 100 * ((s >= 9).mean() - (s <= 6).mean())  # noqa: E731
    low = nps(r.loc[month.isin(PLANTED["low_months"]), "nps"])
    rest = nps(r.loc[~month.isin(PLANTED["low_months"]), "nps"])
    assert rest - low > 5


def test_pain_point_touchpoints_score_lower(data: dict[str, pd.DataFrame]) -> None:
    r = data["responses"].dropna(subset=["csat"])
    quality = {f"{s.code}/{t.code}": t.quality for s in INDUSTRIES["hotel"].stages for t in s.touchpoints}
    bad = r["touchpoint_code"].map(quality) < -0.25
    assert (r.loc[bad, "csat"] >= 4).mean() < (r.loc[~bad, "csat"] >= 4).mean() - 0.1


def test_negative_comments_name_a_problem_of_their_touchpoint(data: dict[str, pd.DataFrame]) -> None:
    r = data["responses"].dropna(subset=["comment"])
    problems = {f"{s.code}/{t.code}": t.problem_zh + t.problem_en for s in INDUSTRIES["hotel"].stages
                for t in s.touchpoints}
    neg = r[(r["csat"] <= 2) & (r["language"] == "zh")].head(300)
    assert len(neg) > 50
    assert all(any(p in c for p in problems[tp]) for c, tp in zip(neg["comment"], neg["touchpoint_code"], strict=True))


def test_load_and_remove_demo(engine) -> None:
    result = load_demo(engine, rows=3_000, industry="airline", seed=2, actor="tester")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Response)).scalar() == 3_000
        assert conn.execute(select(func.count()).select_from(Rating)).scalar() == result.ratings
        assert conn.execute(select(ImportBatch.is_demo, ImportBatch.status)).one() == (True, "done")
    with engine.connect() as conn:  # missing text is NULL, never the string 'nan'
        nan_text = conn.execute(select(func.count()).select_from(Response).where(
            Response.comment.in_(["nan", "NaN"]) | Response.language.in_(["nan", "NaN"]))).scalar()
        assert nan_text == 0
        assert conn.execute(select(func.count()).select_from(Response).where(Response.comment.is_(None))).scalar() > 0
        assert conn.execute(select(func.count()).select_from(Customer).where(Customer.email == "nan")).scalar() == 0
        assert conn.execute(select(func.count()).select_from(Customer).where(Customer.email.is_(None))).scalar() > 0
    assert remove_demo(engine, actor="tester") == 3_000
    with engine.connect() as conn:
        actions = conn.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.rows)
                               .order_by(AuditEntry.id)).all()
        assert [tuple(a) for a in actions] == [("demo_load", "tester", 3_000), ("demo_remove", "tester", 3_000)]
        for model in (Response, Rating, Customer, ImportBatch):
            assert conn.execute(select(func.count()).select_from(model)).scalar() == 0
