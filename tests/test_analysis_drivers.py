"""Key drivers: relative weights equal an independent reference, the planted ranking is recovered on
SQLite and Postgres, SQL moments equal pandas, quadrants are assigned as Martilla & James define them."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from cem_core.analyze.drivers import (
    correlation_matrix,
    key_drivers,
    quadrant,
    rating_moments,
    relative_weights,
)
from cem_core.analyze.queries import Filters
from cem_core.db import make_engine
from cem_core.db.models import Rating, Response
from cem_core.demo.generator import PLANTED
from tests.analysis_data import load_rows


def reference_relative_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson (2000) from the rows, by his original route: the SVD of the standardised predictors gives
    their closest orthonormal counterparts Z; regress y on Z and every x_j on Z; combine squared weights."""
    zx = (x - x.mean(0)) / x.std(0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    p_, _, qt = np.linalg.svd(zx, full_matrices=False)
    z = p_ @ qt * np.sqrt(len(y) - 1)  # orthonormal, scaled like standardised variables
    beta = np.linalg.lstsq(z, zy, rcond=None)[0]
    lam = np.linalg.lstsq(z, zx, rcond=None)[0]  # (k, j): loading of x_j on z_k
    return (lam**2).T @ (beta**2)


def test_relative_weights_equal_reference_on_fixed_data() -> None:
    rng = np.random.default_rng(42)
    latent = rng.normal(size=(500, 1))
    x = latent + rng.normal(scale=[0.5, 0.8, 1.0, 1.5], size=(500, 4))  # correlated drivers
    y = x @ np.array([0.6, 0.3, 0.2, 0.05]) + rng.normal(scale=1.0, size=500)
    data = np.column_stack([x, y])
    n, sums, cross = len(data), data.sum(0), data.T @ data
    corr = correlation_matrix(n, sums, cross)
    assert np.allclose(corr, np.corrcoef(data, rowvar=False))
    weights, r2 = relative_weights(corr)
    assert np.allclose(weights, reference_relative_weights(x, y), atol=1e-10)
    ols = np.linalg.lstsq(np.column_stack([np.ones(n), x]), y, rcond=None)[0]
    fitted = np.column_stack([np.ones(n), x]) @ ols
    assert r2 == pytest.approx(1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    assert list(np.argsort(-weights)) == [0, 1, 2, 3]


def test_relative_weights_split_identical_drivers_evenly() -> None:
    corr = np.array([[1.0, 0.999999, 0.5], [0.999999, 1.0, 0.5], [0.5, 0.5, 1.0]])
    weights, r2 = relative_weights(corr)
    assert weights[0] == pytest.approx(weights[1]) and r2 == pytest.approx(0.25, abs=1e-3)


@pytest.mark.parametrize(("perf", "imp", "expected"), [
    (2.0, 30.0, "concentrate"), (4.5, 30.0, "keep_up"), (2.0, 10.0, "low_priority"), (4.5, 10.0, "overkill"),
    (3.5, 20.0, "keep_up"),  # on both lines counts as high
])
def test_quadrants(perf: float, imp: float, expected: str) -> None:
    assert quadrant(perf, imp, perf_line=3.5, imp_line=20.0) == expected


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo_db(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield request.getfixturevalue("demo_engine")
        return
    engine = make_engine(request.getfixturevalue("demo_pg_url"))
    yield engine
    engine.dispose()


def test_demo_ranking_recovers_planted_weights(demo_db: Engine) -> None:
    kd = key_drivers(demo_db, Filters(), lang="en")
    assert kd.table["code"].tolist() == PLANTED["driver_ranking"]
    assert kd.table["importance"].sum() == pytest.approx(100.0)
    assert 0.3 < kd.r2 < 0.95 and kd.n > 1000
    assert not kd.table["low_n"].any()
    assert set(kd.table["quadrant"]) <= {"concentrate", "keep_up", "low_priority", "overkill"}
    corr = key_drivers(demo_db, Filters(), method="correlation", performance="top2", lang="en")
    assert corr.table["importance"].sum() == pytest.approx(100.0)
    assert corr.table["performance"].between(0, 100).all()


def _rated_rows(engine: Engine) -> pd.DataFrame:
    """Every rating with its response's NPS: fine for the 6,000-row test set, never in the app."""
    stmt = select(Rating.response_id, Rating.attribute_id, Rating.score, Response.nps).join(
        Response, Response.id == Rating.response_id)
    with engine.connect() as conn:
        long = pd.DataFrame(conn.execute(stmt).all())
    wide = long.pivot(index="response_id", columns="attribute_id", values="score")
    wide["y"] = long.groupby("response_id")["nps"].first()
    return wide.dropna()


def test_sql_moments_equal_pandas(demo_db: Engine) -> None:
    wide = _rated_rows(demo_db)
    m = rating_moments(demo_db, Filters(), "nps")
    data = wide[[*m.attribute_ids, "y"]].to_numpy(float)
    assert m.n == len(data)
    assert np.allclose(m.sums, data.sum(0)) and np.allclose(m.cross, data.T @ data)
    assert np.allclose(m.top2, (data[:, :-1] >= 4).sum(0))


def test_sparse_driver_is_flagged_and_left_out(engine: Engine) -> None:
    """A driver rated by few respondents is flagged and does not shrink the model to those few."""
    rng = np.random.default_rng(1)
    n = 200
    x = rng.integers(1, 6, size=(n, 3))
    nps = np.clip(np.rint(2 * x[:, 0] + 0.5 * x[:, 1] - 1 + rng.normal(0, 1, n)), 0, 10).astype(int)
    ratings = {"a1": x[:, 0], "a2": x[:, 1], "a3": np.where(np.arange(n) < 10, x[:, 2], 0)}  # a3: 10 answers
    load_rows(engine, [{"nps": int(v)} for v in nps], ratings)
    kd = key_drivers(engine, Filters(), lang="en", min_n=30)
    table = kd.table.set_index("code")
    assert bool(table.loc["a3", "low_n"]) and pd.isna(table.loc["a3", "importance"])
    assert table.loc["a1", "n"] == n and kd.n == n
    assert table["importance"].dropna().index.tolist() == ["a1", "a2"]
