"""The atomic, idempotent import and undo, on SQLite and Postgres (``engine`` fixture), real files only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from cem_core.db.models import AuditEntry, Channel, Customer, ImportBatch, Rating, Response, ResponseRollup
from cem_core.ingest.errors import ImportFailed
from cem_core.ingest.load import check_file, error_frame, import_file, read_plans
from cem_core.ingest.mapping import save_template
from cem_core.ingest.undo import undo_batch
from tests.fixtures.ingest_files import HEADER_ZH, ROWS_ZH, excel_with_title, gbk_csv, write_csv


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {m.__tablename__: conn.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (Response, Customer, Rating, ResponseRollup)}


def rollup_total(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(ResponseRollup.responses), 0))).scalar_one())


def batch_status(engine: Engine, batch_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(select(ImportBatch.status).where(ImportBatch.id == batch_id)).scalar_one()


def many_rows(n: int) -> list[list[str]]:
    return [[f"2024-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}", str(i % 11), str(1 + i % 5), f"意见 {i}",
             f"139{i:08d}", "上海", "微信小程序", str(1 + i % 5)] for i in range(n)]


def test_gbk_import_then_same_file_and_same_rows_add_nothing(engine: Engine, tmp_path: Path) -> None:
    report = import_file(engine, gbk_csv(tmp_path / "门店.csv"), user="alice")
    assert report.status == "done", report.message("en")
    assert (report.rows_imported, report.rows_skipped, report.rows_duplicate) == (4, 0, 0)
    assert report.created == {"attribute": ["服务态度"]}  # channels matched by their Chinese names
    after = counts(engine)
    assert after["responses"] == 4 and after["ratings"] == 4 and after["customers"] == 3
    assert rollup_total(engine) == 4

    again = import_file(engine, tmp_path / "门店.csv", user="bob")
    assert again.status == "duplicate_file" and again.previous["user"] == "alice"
    assert "alice" in again.message("zh")
    # The same responses inside a different file (UTF-8 BOM, semicolons, an extra row) are stored once.
    other = write_csv(tmp_path / "other.csv", HEADER_ZH, [*ROWS_ZH, many_rows(1)[0]], encoding="utf-8-sig", sep=";")
    report2 = import_file(engine, other, user="bob")
    assert (report2.rows_imported, report2.rows_duplicate) == (1, 4)
    assert counts(engine)["responses"] == 5

    with engine.connect() as conn:
        rows = conn.execute(select(Response.occurred_at, Response.nps, Response.comment, Response.language)
                            .order_by(Response.id)).all()
        entries = conn.execute(select(AuditEntry.action, AuditEntry.rows, AuditEntry.detail)
                               .order_by(AuditEntry.id)).all()
    assert rows[1].occurred_at.hour == 14 and rows[2].nps == 10  # "2024/3/6 14:02"; full-width "１０"
    assert rows[2].comment.startswith("=HYPERLINK")  # stored as text, never evaluated
    assert rows[0].language == "zh"
    assert [(e.action, e.rows) for e in entries] == [("import", 4), ("import", 1)]
    assert "1380013" not in "".join(e.detail for e in entries)


def test_customers_are_one_person_across_files(engine: Engine, tmp_path: Path) -> None:
    survey = write_csv(tmp_path / "survey.csv", ["日期", "会员号", "手机号", "推荐度"],
                       [["2024-03-05", "M1", "013800138000", "9"], ["2024-03-06", "M2", "13900000000", "3"]])
    weibo = write_csv(tmp_path / "weibo.csv", ["发布时间", "手机", "评论"],
                      [["2024-03-07", "0138-0013-8000", "又来了，很好"], ["2024-03-08", "13700000000", "一般"]])
    import_file(engine, survey, user="u")
    import_file(engine, weibo, user="u", source="weibo")
    with engine.connect() as conn:
        owners = conn.execute(select(Response.customer_id).order_by(Response.id)).scalars().all()
        weibo_id = conn.execute(select(Channel.id).where(Channel.code == "weibo")).scalar_one()
        channels = conn.execute(select(Response.channel_id).order_by(Response.id)).scalars().all()
        stored = conn.execute(select(Customer.phone_hash).where(Customer.id == owners[0])).scalar_one()
    assert owners[2] == owners[0]  # the same phone, typed differently, is the same customer
    assert len(set(owners)) == 3
    assert channels[2:] == [weibo_id, weibo_id]  # --source names the channel of a file without one
    assert stored and "13800138000" not in stored  # only a keyed hash is used for matching


def test_failure_after_n_rows_leaves_nothing_and_retry_succeeds(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", HEADER_ZH, many_rows(500))
    with pytest.raises(ImportFailed) as err:
        import_file(engine, path, user="u", chunk_rows=100, fail_after=200)
    assert counts(engine) == {"responses": 0, "customers": 0, "ratings": 0, "response_rollup": 0}
    assert batch_status(engine, err.value.batch_id) == "failed"
    retry = import_file(engine, path, user="u", chunk_rows=100)
    assert retry.status == "done" and retry.rows_imported == 500
    assert counts(engine)["responses"] == 500 and rollup_total(engine) == 500


@pytest.mark.postgres
def test_postgres_connection_killed_mid_import(pg_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", HEADER_ZH, many_rows(600))
    killer = create_engine(pg_engine.url, isolation_level="AUTOCOMMIT")
    killed: list[int] = []

    def kill_the_importer(_frac: float, rows: int) -> None:
        if not killed and rows >= 200:  # the import transaction is open and holds 200 written rows
            with killer.connect() as conn:
                killed.extend(conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalars())

    with pytest.raises(ImportFailed) as err:
        import_file(pg_engine, path, user="u", chunk_rows=100, progress=kill_the_importer)
    killer.dispose()
    assert killed and any(killed)
    assert counts(pg_engine)["responses"] == 0
    assert batch_status(pg_engine, err.value.batch_id) == "failed"
    retry = import_file(pg_engine, path, user="u", chunk_rows=100)
    assert retry.status == "done" and counts(pg_engine)["responses"] == 600


def test_reject_mode_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", ["日期", "推荐度", "意见"],
                     [["2024-03-05", "9", "好"], ["2024-03-06", "15", "差"], ["明天", "8", "还行"]])
    checked = check_file(engine, path, "bad.csv")
    assert (checked.rows_valid, checked.rows_skipped) == (1, 2)
    rejected = error_frame(checked, "zh")
    assert rejected["推荐度"].tolist() == ["15", "8"] and len(rejected.columns) == 5  # row, 3 columns, reason
    report = import_file(engine, path, user="u", on_invalid="reject")
    assert report.status == "rejected" and not report.ok
    assert counts(engine)["responses"] == 0
    assert batch_status(engine, report.batch_id) == "rejected"
    skipped = import_file(engine, path, user="u", on_invalid="skip")
    assert (skipped.status, skipped.rows_imported, skipped.rows_skipped) == ("done", 1, 2)


def test_required_columns_and_header_only(engine: Engine, tmp_path: Path) -> None:
    no_date = write_csv(tmp_path / "nodate.csv", ["推荐度", "意见"], [["9", "好"]])
    report = import_file(engine, no_date, user="u")
    assert report.status == "rejected" and report.error.key == "ingest.err.required"
    header_only = write_csv(tmp_path / "h.csv", ["日期", "推荐度"], [])
    report = import_file(engine, header_only, user="u")
    assert report.status == "rejected" and report.error.key == "ingest.err.no_rows"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportBatch)).scalar_one() == 0


def test_xlsx_1904_serials_and_mapping_template(engine: Engine, tmp_path: Path) -> None:
    path = excel_with_title(tmp_path / "mac.xlsx", date1904=True, serial_dates=True)
    [plan] = read_plans(engine, path, "mac.xlsx")
    assert plan.mapping["其他"] == "ignore"
    save_template(engine, "小程序导出", plan.header.names, {**plan.mapping, "其他": "comment"}, "alice")
    report = import_file(engine, path, user="u", source="wechat_mini")
    assert report.status == "done" and report.rows_imported == 3
    assert report.plans[0].template == "小程序导出"
    with engine.connect() as conn:
        rows = conn.execute(select(Response.occurred_date, Response.comment).order_by(Response.id)).all()
        keys = conn.execute(select(Customer.customer_key).order_by(Customer.id)).scalars().all()
    assert str(rows[0].occurred_date) == "2024-03-05" and rows[0].comment == "很满意"
    assert str(rows[2].occurred_date) == "2024-03-05"  # serial 43894 in the 1904 system (1900 would be 2020)
    assert keys == ["M001", "M002", "M003"]


def test_undo_restores_counts_and_keeps_shared_customers(engine: Engine, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", ["日期", "会员号", "推荐度", "渠道"],
                      [["2024-03-05", "M1", "9", "全新渠道"], ["2024-03-06", "M2", "3", "微博"]])
    second = write_csv(tmp_path / "b.csv", ["日期", "会员号", "推荐度"],
                       [["2024-03-07", "M1", "10"], ["2024-03-08", "M3", "6"]])
    a = import_file(engine, first, user="u")
    assert a.created == {"channel": ["全新渠道"]}
    before_b = counts(engine)
    b = import_file(engine, second, user="u", source="sms_survey")
    assert counts(engine)["responses"] == 4
    assert undo_batch(engine, b.batch_id, "admin") == 2
    assert counts(engine) == before_b
    assert batch_status(engine, b.batch_id) == "undone"

    b2 = import_file(engine, tmp_path / "b.csv", user="u", source="sms_survey")  # undone: may come again
    assert b2.status == "done" and b2.rows_imported == 2
    # Undo the batch that created customer M1 while the later batch still refers to M1: M1 survives.
    undo_batch(engine, a.batch_id, "admin")
    with engine.connect() as conn:
        left = conn.execute(select(Customer.customer_key).order_by(Customer.customer_key)).scalars().all()
        new_channel = conn.execute(select(func.count()).where(Channel.name_zh == "全新渠道")).scalar_one()
        undo_entry = conn.execute(select(AuditEntry.detail).where(AuditEntry.action == "undo")).scalars().first()
    assert left == ["M1", "M3"]
    assert counts(engine)["responses"] == 2 and rollup_total(engine) == 2
    assert new_channel == 0  # the channel the undone batch created, used by nothing else, is gone
    assert json.loads(undo_entry)["rows_removed"] == 2
