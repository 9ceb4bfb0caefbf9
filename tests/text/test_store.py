"""Stored analysis: every writer keeps the term and topic rollups equal to the stored comments, on
SQLite and Postgres with equal results; the demo's planted truth shows as the weak touchpoints' top
negative topics."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from cem_core.analyze.queries import Filters, read_frame
from cem_core.db import write_transaction
from cem_core.db.models import Response, ResponseText, TextTermRollup, TextTopicRollup, Touchpoint
from cem_core.demo.generator import load_demo, remove_demo
from cem_core.privacy.deletion import delete_customers
from cem_core.text import report, store
from cem_core.text.dictionaries import default_config
from cem_core.text.settings import active_config_of, save, stale

R, RT, TR, PR = Response.__table__, ResponseText.__table__, TextTermRollup.__table__, TextTopicRollup.__table__


def rollups(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    terms = read_frame(engine, select(TR.c.kind, TR.c.term, TR.c.sentiment, func.sum(TR.c.n).label("n"))
                       .group_by(TR.c.kind, TR.c.term, TR.c.sentiment))
    topics = read_frame(engine, select(PR.c.topic, PR.c.sentiment, PR.c.touchpoint_id, func.sum(PR.c.n).label("n"),
                                       func.sum(PR.c.promoters).label("p"), func.sum(PR.c.detractors).label("d"))
                        .group_by(PR.c.topic, PR.c.sentiment, PR.c.touchpoint_id))
    order = (["kind", "term", "sentiment"], ["topic", "sentiment", "touchpoint_id"])
    # a re-analysis adds rows of differences: a key whose differences cancel sums to 0, as if absent
    return tuple(df[df["n"] != 0].sort_values(o).reset_index(drop=True)
                 for df, o in zip((terms, topics), order, strict=True))


def recounted(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rollups recomputed from the stored per-comment analysis (what ``rebuild_batches`` does)."""
    with write_transaction(engine) as conn:
        batches = conn.execute(select(R.c.batch_id).distinct()).scalars().all()
        store.rebuild_batches(conn, batches)
    return rollups(engine)


def assert_consistent(engine: Engine) -> None:
    before = rollups(engine)
    after = recounted(engine)
    for a, b in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    with engine.connect() as conn:
        comments = conn.execute(select(func.count()).select_from(R).where(R.c.comment.is_not(None),
                                                                         func.trim(R.c.comment) != "")).scalar()
        analysed = conn.execute(select(func.count()).select_from(RT)).scalar()
        everything = conn.execute(select(func.coalesce(func.sum(PR.c.n), 0)).where(PR.c.topic == "*")).scalar()
    assert comments == analysed == everything


def test_rollups_follow_demo_import_deletion_and_removal(engine: Engine) -> None:
    load_demo(engine, rows=1_500, seed=3)
    assert_consistent(engine)
    with engine.connect() as conn:
        victims = conn.execute(select(R.c.customer_id).where(R.c.comment.is_not(None)).limit(5)).scalars().all()
    delete_customers(engine, list(set(victims)), actor="test", matched_by="id")
    assert_consistent(engine)
    remove_demo(engine)
    with engine.connect() as conn:
        for table in (RT, TR, PR):
            assert conn.execute(select(func.count()).select_from(table)).scalar() == 0


def test_import_analyses_comments_in_its_transaction(engine: Engine, tmp_path) -> None:
    from cem_core.ingest.load import import_file

    path = tmp_path / "f.csv"
    path.write_text("date,nps,comment\n2026-01-05,2,前台办理入住等了一个小时，太慢了\n"
                    "2026-01-06,10,The breakfast was excellent\n2026-01-07,7,\n", encoding="utf-8")
    rep = import_file(engine, path, user="t")
    assert rep.status == "done"
    with engine.connect() as conn:
        labels = dict(conn.execute(select(R.c.nps, RT.c.label).join(RT, RT.c.response_id == R.c.id)).all())
    assert labels == {2: "negative", 10: "positive"}
    terms = report.term_counts(engine, Filters(), top=50)
    assert {"前台", "breakfast"} <= set(terms["term"])
    assert_consistent(engine)


def stored_analysis(engine: Engine) -> tuple[list[tuple], pd.DataFrame, pd.DataFrame]:
    with engine.connect() as conn:
        rows = conn.execute(select(RT).order_by(RT.c.response_id)).all()
    return [tuple(r) for r in rows], *rollups(engine)


def test_import_analysis_as_read_equals_analysis_of_stored_comments(engine: Engine, tmp_path) -> None:
    """The import analyses each chunk as it reads it and stores it with the chunk: the result is what
    analysing the stored comments gives (``reanalyse``), duplicates dropped, blanks skipped, repeated
    comments analysed once."""
    from cem_core.ingest.load import import_file

    texts = ["前台办理入住等了一个小时，太慢了", "The breakfast was excellent", "", "房间干净，但是空调有噪音",
             "虽然价格偏高，但是服务很好", "Staff were rude, not clean at all", "还行吧", "6分"]
    lines = [f"2026-01-{1 + i % 28:02d},{i % 11},{texts[i % len(texts)]}" for i in range(300)]
    first = tmp_path / "a.csv"
    first.write_text("date,nps,comment\n" + "\n".join(lines[:100]) + "\n", encoding="utf-8")
    assert import_file(engine, first, user="t").status == "done"
    both = tmp_path / "b.csv"  # its first 100 rows are duplicates of a.csv's
    both.write_text("date,nps,comment\n" + "\n".join(lines) + "\n", encoding="utf-8")
    rep = import_file(engine, both, user="t", chunk_rows=64)
    assert rep.status == "done" and (rep.rows_imported, rep.rows_duplicate) == (200, 100)
    imported = stored_analysis(engine)
    assert len(imported[0]) == 300 - 300 // len(texts) - (1 if 300 % len(texts) > 2 else 0)
    store.reanalyse(engine)
    again = stored_analysis(engine)
    assert imported[0] == again[0]
    for a, b in zip(imported[1:], again[1:], strict=True):
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert_consistent(engine)


def test_settings_version_and_reanalyse(engine: Engine) -> None:
    load_demo(engine, rows=800, seed=5)
    assert active_config_of(engine).version == 0
    version = save(engine, "hotel", {"stopwords": ["房间", "room"]}, user="admin", note="drop room")
    assert version == 1 and stale(engine) > 0
    seen: list[float] = []
    done = store.reanalyse(engine, lambda frac, _msg: seen.append(frac))
    assert done > 0 and seen[-1] == 1.0 and stale(engine) == 0
    terms = set(report.term_counts(engine, Filters(), top=500)["term"])
    assert "房间" not in terms and "room" not in terms
    assert_consistent(engine)


def test_sqlite_and_postgres_give_equal_results(demo_engine: Engine, demo_pg_url: str) -> None:
    from cem_core.db import make_engine

    pg = make_engine(demo_pg_url)
    cfg = default_config("hotel")
    f = Filters(channels=("app", "sms_survey", "wechat_mini", "review_site"))
    try:
        for fn in (lambda e: report.term_counts(e, f, top=30),
                   lambda e: report.term_counts(e, f, sentiment="negative", bigrams=True, top=30),
                   lambda e: report.topic_table(e, f, cfg, "en"),
                   lambda e: report.topic_trends(e, f, cfg, "zh"),
                   lambda e: report.topics_by(e, f, cfg, "stage", "en", sentiment="negative")):
            a, b = fn(demo_engine), fn(pg)
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)
        a, n_a = report.term_comments(demo_engine, f, "前台", page=1, page_size=5)
        b, n_b = report.term_comments(pg, f, "前台", page=1, page_size=5)
        assert n_a == n_b > 5 and a["id"].tolist() == b["id"].tolist()
    finally:
        pg.dispose()


def test_row_path_equals_rollup_path(demo_engine: Engine) -> None:
    """A free-text filter matching every row reads the stored rows instead of the rollups: same answer."""
    with demo_engine.connect() as conn:
        regions = tuple(conn.execute(select(R.c.region).distinct()).scalars())
    cfg = default_config("hotel")
    a = report.topic_table(demo_engine, Filters(), cfg)
    b = report.topic_table(demo_engine, Filters(regions=regions), cfg)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    a = report.term_counts(demo_engine, Filters(), top=20)
    b = report.term_counts(demo_engine, Filters(regions=regions), top=20)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


@pytest.mark.parametrize(("touchpoint", "expected"), [("check_in", {"check_in", "waiting"}),
                                                      ("complaint", {"complaint_handling"}),
                                                      ("wifi", {"facilities"})])
def test_demo_truth_weak_touchpoints_top_negative_topics(demo_engine: Engine, touchpoint: str,
                                                         expected: set[str]) -> None:
    """The demo plants detractor comments naming what went wrong at weak touchpoints (check-in, the
    complaint line, Wi-Fi): their top negative topics must name exactly that."""
    with demo_engine.connect() as conn:
        tp = conn.execute(select(Touchpoint.__table__.c.id).where(Touchpoint.__table__.c.code == touchpoint)).scalar()
    top = report.top_negative_topics(demo_engine, Filters(), default_config("hotel"), tp, top=2)
    assert expected & set(top), top
    assert top[0] in expected
