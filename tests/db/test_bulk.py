"""The large-import paths, on SQLite and Postgres (``engine`` fixture), with real files made small by
lowering the thresholds: bulk-load mode (an import that at least doubles the table holds the stored keys in
memory; on SQLite it rebuilds the secondary indexes once before the commit, ``cem_core.db.bulk.deferred_indexes``,
while on Postgres it keeps indexes and foreign keys, whose DDL would lock readers out) and imports read in
several chunks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError

from cem_core.db import bulk
from cem_core.db.models import Rating, Response
from cem_core.ingest import load
from cem_core.ingest.errors import ImportFailed
from cem_core.ingest.load import check_file, import_file
from cem_core.ingest.read import Caps
from cem_core.ingest.undo import undo_batch
from cem_core.text import store as text_store
from tests.fixtures.ingest_files import write_csv
from tests.ingest.test_load import counts, many_rows, rollup_total

HEADER = ["提交时间", "推荐度", "满意度", "意见", "手机号", "门店", "渠道", "服务态度"]


def schema_of(engine: Engine) -> dict[str, object]:
    """Every index (name, columns, unique) and foreign key of the bulk-loaded tables, from the catalog."""
    insp = inspect(engine)
    out: dict[str, object] = {}
    for table in ("responses", "ratings", "customers", "response_text", *(t.name for t in text_store.ROLLUPS)):
        out[f"{table}.indexes"] = sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                         for i in insp.get_indexes(table))
        out[f"{table}.fks"] = sorted((tuple(f["constrained_columns"]), f["referred_table"],
                                      (f.get("options") or {}).get("ondelete")) for f in insp.get_foreign_keys(table))
    return out


def sqlite_cache_sizes(engine: Engine) -> set[int]:
    """SQLite's page cache setting on every pooled connection (bulk loading raises it for a while)."""
    if engine.dialect.name != "sqlite":
        return {-65536}
    conns = [engine.connect() for _ in range(max(1, engine.pool.checkedin()))]
    try:
        return {c.exec_driver_sql("PRAGMA cache_size").scalar_one() for c in conns}
    finally:
        for c in conns:
            c.close()


def insert_copy_of_a_row_key(engine: Engine) -> None:
    """Store a second response with the first one's row key (the unique index must refuse it)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO responses (id, batch_id, row_key, occurred_at, occurred_date) "
                             "SELECT id + 1000000, batch_id, row_key, occurred_at, occurred_date FROM responses "
                             "WHERE id = (SELECT MIN(id) FROM responses)")


@pytest.fixture
def bulk_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)


def test_threshold() -> None:
    assert bulk.bulk_worth_it(1_000_000, 0)
    assert bulk.bulk_worth_it(600_000, 500_000)
    assert not bulk.bulk_worth_it(400_000, 500_000)  # maintaining costs less than rebuilding the bigger table
    assert not bulk.bulk_worth_it(bulk.BULK_MIN_ROWS - 1, 0)  # small files: nothing to win, keep it simple


def test_bulk_import_rebuilds_every_index_and_foreign_key(engine: Engine, tmp_path: Path, bulk_always: None) -> None:
    before = schema_of(engine)
    assert before["responses.indexes"] and before["ratings.indexes"]
    report = import_file(engine, write_csv(tmp_path / "a.csv", HEADER, many_rows(300)), user="u", chunk_rows=100)
    assert report.status == "done" and report.rows_imported == 300 and report.bulk_load
    assert schema_of(engine) == before and sqlite_cache_sizes(engine) == {-65536}
    assert counts(engine)["responses"] == 300 and counts(engine)["ratings"] == 300 and rollup_total(engine) == 300
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(Response.batch_id == report.batch_id)).scalar_one() == 300
    # The foreign key is enforced (neither database drops it), and so is the rebuilt (SQLite) or kept unique row key.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(Rating.__table__.insert().values(response_id=10**9, attribute_id=1, score=3))
    assert ("ux_responses_row_key", ("row_key",), True) in before["responses.indexes"]
    with engine.connect() as conn:  # ... which a bulk load keeps: each chunk looks its row keys up by it
        dropped = [drop for drop, _ in bulk._secondary(conn, load.BULK_TABLES, load.LOOKUP_INDEXES)]
    assert dropped and not any(name in drop for drop in dropped for name in load.LOOKUP_INDEXES)
    with pytest.raises(IntegrityError):
        insert_copy_of_a_row_key(engine)
    # A second, smaller import into the now larger table maintains the indexes row by row instead.
    second = import_file(engine, write_csv(tmp_path / "b.csv", HEADER, many_rows(400)[300:]), user="u")
    assert second.rows_imported == 100 and not second.bulk_load and schema_of(engine) == before
    assert undo_batch(engine, report.batch_id, "u") == 300
    assert counts(engine)["responses"] == 100 and counts(engine)["ratings"] == 100


def test_failed_bulk_import_leaves_indexes_and_no_rows(engine: Engine, tmp_path: Path, bulk_always: None) -> None:
    before = schema_of(engine)
    path = write_csv(tmp_path / "a.csv", HEADER, many_rows(300))
    with pytest.raises(ImportFailed):
        import_file(engine, path, user="u", chunk_rows=100, fail_after=200)
    assert schema_of(engine) == before and sqlite_cache_sizes(engine) == {-65536}
    assert counts(engine) == {"responses": 0, "customers": 0, "ratings": 0, "response_rollup": 0}
    retry = import_file(engine, path, user="u", chunk_rows=100)
    assert retry.rows_imported == 300 and retry.bulk_load
    assert schema_of(engine) == before


def test_bulk_import_dedupes_against_stored_rows_and_customers(engine: Engine, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first = import_file(engine, write_csv(tmp_path / "a.csv", HEADER, many_rows(100)), user="u")
    assert first.rows_imported == 100 and not first.bulk_load
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    # Rows 0-99 again inside a bigger file: found by the indexes the bulk load keeps, as are earlier chunks'.
    second = import_file(engine, write_csv(tmp_path / "b.csv", HEADER, many_rows(300)), user="u", chunk_rows=64)
    assert second.bulk_load and (second.rows_imported, second.rows_duplicate) == (200, 100)
    assert counts(engine)["responses"] == 300 and counts(engine)["customers"] == 300


def test_unique_row_key_index_refuses_a_duplicate_the_lookup_missed(engine: Engine, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The lookup of each chunk's row keys is the first check; the unique index, kept through a bulk load,
    is the last: with the lookup blinded, the first duplicate is refused and the load rolled back."""
    first = import_file(engine, write_csv(tmp_path / "a.csv", HEADER, many_rows(100)), user="u")
    assert first.rows_imported == 100
    before = schema_of(engine)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(load, "_existing_keys", lambda conn, keys: set())
    with pytest.raises(ImportFailed, match="row_key"):
        import_file(engine, write_csv(tmp_path / "b.csv", HEADER, many_rows(300)), user="u", chunk_rows=64)
    assert schema_of(engine) == before and counts(engine)["responses"] == 100 and rollup_total(engine) == 100


def test_chunked_import_reports_what_a_check_reports(engine: Engine, tmp_path: Path) -> None:
    rows = many_rows(300)
    rows[7][1] = "11"  # NPS out of range
    rows[250][0] = "not a date"
    path = write_csv(tmp_path / "a.csv", HEADER, rows)
    local = check_file(engine, path, "a.csv", chunk_rows=100)
    seen: list[tuple[float, int]] = []
    report = import_file(engine, path, user="u", chunk_rows=100, progress=lambda f, n: seen.append((f, n)))
    assert report.status == "done" and (report.rows_imported, report.rows_skipped) == (298, 2)
    # The report an import builds is the one a check builds.
    assert report.problems == local.problems and report.reason_counts == local.reason_counts
    assert [len(f) for f in report.error_rows] == [len(f) for f in local.error_rows] == [1, 1]
    assert [n for _f, n in seen] == [100, 200, 300, 300] and seen[-1][0] == 1.0
    assert counts(engine)["responses"] == 298 and rollup_total(engine) == 298


def test_chunked_import_errors_and_failures_leave_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER, many_rows(300))
    capped = import_file(engine, path, user="u", chunk_rows=100, caps=Caps(max_rows=150))
    assert capped.status == "rejected" and capped.error.key == "ingest.err.too_many_rows"  # raised while reading
    assert "a.csv" in capped.message("zh")
    with pytest.raises(ImportFailed):
        import_file(engine, path, user="u", chunk_rows=100, fail_after=100)  # the writer fails mid-file
    assert counts(engine) == {"responses": 0, "customers": 0, "ratings": 0, "response_rollup": 0}
    bad = write_csv(tmp_path / "b.csv", HEADER, [*many_rows(5), ["x", "5", "", "", "", "", "", ""]])
    rejected = import_file(engine, bad, user="u", on_invalid="reject")
    assert rejected.status == "rejected" and counts(engine)["responses"] == 0
    assert import_file(engine, path, user="u", chunk_rows=100).rows_imported == 300



@pytest.mark.postgres
def test_copy_in_slices_writes_every_row_once(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """``insert_columns`` renders a long COPY a slice at a time (binary: one header, one trailer; CSV): the
    same rows as one piece, NULLs and text included, whatever the slice size."""
    import numpy as np
    from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, text

    monkeypatch.setattr(bulk, "COPY_SLICE", 3)
    texts = ["x", None, 'q"uo,te', "多\nline", "", "y", None]
    ints = Table("copy_ints", MetaData(), Column("a", BigInteger), Column("b", Integer))
    rows = Table("copy_rows", MetaData(), Column("a", BigInteger), Column("s", Text))
    with pg_engine.begin() as conn:
        ints.create(conn)
        rows.create(conn)
        bulk.insert_columns(conn, ints, {"a": np.arange(10, dtype=np.int64), "b": np.arange(10) * 2})
        bulk.insert_columns(conn, rows, {"a": np.arange(7, dtype=np.int64),
                                         "s": np.array(texts, dtype=object)})
        assert conn.execute(text("SELECT a, b FROM copy_ints ORDER BY a")).all() == [(i, 2 * i) for i in range(10)]
        assert [r.s for r in conn.execute(text("SELECT s FROM copy_rows ORDER BY a"))] == texts
