"""``text_counts`` (migration 0030: analysed comments per batch, kept by triggers on Postgres) equals the stored
comments after every writer, so ``report.cells_complete`` reads no comment rows there and stays right."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cem_core.db.models import ResponseText, text_counts
from cem_core.demo.generator import load_demo, remove_demo
from cem_core.ingest.undo import undo_batch
from cem_core.text import report, store
from cem_core.text.settings import save
from tests.fixtures.writers import import_fail_delete
from tests.text.test_cells import import_rows

T = ResponseText.__table__


def assert_counts_equal_rows(engine: Engine) -> None:
    """Per batch, the triggers' count equals ``count(*)`` of ``response_text`` (Postgres; SQLite counts the rows
    and leaves the table empty), and the text cells' check passes."""
    with engine.connect() as conn:
        direct = dict(conn.execute(select(T.c.batch_id, func.count()).group_by(T.c.batch_id)).all())
        kept = {b: n for b, n in conn.execute(select(text_counts.c.batch_id, text_counts.c.comments)) if n}
    assert kept == (direct if engine.dialect.name == "postgresql" else {})
    assert report.cells_complete(engine)


def test_text_counts_follow_every_writer(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_demo(engine, rows=900, seed=7)
    assert_counts_equal_rows(engine)
    rep = import_fail_delete(engine, tmp_path, import_rows, 200, assert_counts_equal_rows)
    undo_batch(engine, rep.batch_id, "u")
    assert_counts_equal_rows(engine)
    monkeypatch.setattr(store, "CHUNK", 250)
    monkeypatch.setattr(store, "CHUNK_MIN", 100)
    save(engine, "hotel", {"stopwords": ["房间", "room"]}, user="admin", note="t")
    assert store.reanalyse(engine) > 0
    assert_counts_equal_rows(engine)
    remove_demo(engine)
    assert_counts_equal_rows(engine)


def test_a_comment_the_count_misses_sends_reads_to_the_rows(pg_engine: Engine) -> None:
    """A stale count (a writer around the triggers) fails the check: the text reads then use the rows."""
    load_demo(pg_engine, rows=300, seed=8)
    with pg_engine.begin() as conn:
        conn.execute(text_counts.update().values(comments=text_counts.c.comments + 1))
    assert not report.cells_complete(pg_engine)
