"""The close-the-loop rollups kept by triggers equal a rebuild from the items, whoever wrote them; a later
answer arriving in an import recovers a resolved detractor. SQLite and Postgres."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from cem_core.act.loop_rollup import backfill
from cem_core.db import write_transaction
from cem_core.ingest.undo import undo_batch
from tests.act.test_figures import assert_equal_pandas, build
from tests.act_data import import_rows, row

TABLES = {"action_rollup": "day, department_id", "action_contact_hist": "department_id, minutes, day"}


def kept(engine: Engine) -> dict[str, list[tuple]]:
    """The rollups without their zero rows (left behind by moves and deletions), and every item's recovery."""
    with engine.connect() as conn:
        out = {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY {keys}"))
                   if any(v for v in tuple(r)[len(keys.split(",")):])] for t, keys in TABLES.items()}
        out["recovered"] = [tuple(r) for r in conn.execute(text("SELECT id, recovered FROM action_items ORDER BY id"))]
    return out


def rebuilt(engine: Engine) -> dict[str, list[tuple]]:
    """What the migration's backfill makes of the same items (rolled back afterwards)."""
    with engine.connect() as conn:
        conn.execute(text("UPDATE action_items SET recovered = NULL"))  # no trigger recomputes it
        conn.execute(text("DELETE FROM action_rollup"))
        conn.execute(text("DELETE FROM action_contact_hist"))
        backfill(conn)
        out = {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY {keys}"))]
               for t, keys in TABLES.items()}
        out["recovered"] = [tuple(r) for r in conn.execute(text("SELECT id, recovered FROM action_items ORDER BY id"))]
        conn.rollback()
    return out


def test_triggers_equal_the_backfill(engine: Engine, tmp_path: Path) -> None:
    """Routing inside imports, bulk SQL updates (``build``), moves between departments and days, and a
    deletion: the kept rollups equal the backfill over the items as they are."""
    build(engine, tmp_path)
    with write_transaction(engine) as conn:
        conn.execute(text("UPDATE action_items SET department_id = department_id + 100, "
                          "created_at = due_at WHERE id % 5 = 0"))
        conn.execute(text("DELETE FROM action_items WHERE id % 7 = 0"))
    got, want = kept(engine), rebuilt(engine)
    assert len(want["action_rollup"]) > 5 and len(want["action_contact_hist"]) > 5
    assert any(v == 1 for _, v in want["recovered"])
    assert got == want


def test_a_later_answer_recovers(engine: Engine, tmp_path: Path) -> None:
    """A resolved detractor not yet recovered: an import of their answer at NPS 9 after the resolution
    recovers them (the trigger on responses); the figures still equal pandas."""
    build(engine, tmp_path)
    with engine.connect() as conn:
        key = conn.execute(text("SELECT c.customer_key FROM action_items i JOIN customers c ON c.id = i.customer_id "
                                "GROUP BY c.customer_key HAVING max(i.recovered) = 0 ORDER BY c.customer_key LIMIT 1")
                           ).scalar_one()
    before = assert_equal_pandas(engine)
    import_rows(engine, tmp_path / "d.csv", [row("2026-05-20 10:00", key, nps=9)])
    after = assert_equal_pandas(engine)
    assert after["recovered"].iloc[-1] == before["recovered"].iloc[-1] + 1  # answered after March: still counts


def test_undo_of_the_source_batch_keeps_worked_items_out_of_recovery(engine: Engine, tmp_path: Path) -> None:
    """Undoing the batch the items came from keeps the worked ones (``source undone``, no source response):
    they leave the recovery figure and the rollups still equal the backfill."""
    build(engine, tmp_path)
    with write_transaction(engine) as conn:
        first = conn.execute(text("SELECT min(id) FROM import_batches")).scalar_one()
        conn.execute(text("UPDATE action_items SET version = 2 WHERE id % 2 = 0"))
    assert assert_equal_pandas(engine)["recoverable"].iloc[-1] > 0
    undo_batch(engine, first, "admin")
    with engine.connect() as conn:
        orphans = conn.execute(text("SELECT count(*), count(recovered) FROM action_items WHERE response_id IS NULL")
                               ).one()
    assert orphans[0] > 0 and orphans[1] == 0
    assert_equal_pandas(engine)
    assert kept(engine) == rebuilt(engine)
