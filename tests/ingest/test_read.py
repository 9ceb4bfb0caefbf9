"""Readers and header detection on real files: encodings, delimiters, title rows, merged headers, bombs, caps."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc

import pytest

from cem_core.ingest.errors import IngestError
from cem_core.ingest.headers import detect_header
from cem_core.ingest.mapping import auto_mapping, field_for
from cem_core.ingest.read import Caps, detect_encoding, open_tables
from tests.fixtures.ingest_files import (
    HEADER_ZH,
    ROWS_ZH,
    excel_with_title,
    gbk_csv,
    text_renamed_xlsx,
    write_csv,
    xml_bomb_xlsx,
    zip_bomb_xlsx,
)


def _rows(table, skip):
    return [list(r) for frame in table.chunks(skip) for r in frame.itertuples(index=False)]


def test_gbk_csv_with_title_row(tmp_path) -> None:
    path = gbk_csv(tmp_path / "gbk.csv")
    assert detect_encoding(path, "gbk.csv") == "gb18030"
    [table] = open_tables(path, "gbk.csv")
    header = detect_header(table)
    assert header.row == 1 and header.names == HEADER_ZH
    rows = _rows(table, header.row + 1)
    assert rows[0][3] == "前台服务很好" and rows[0][4] == "013800138000"  # leading zero kept
    assert rows[2][3].startswith("=HYPERLINK")  # a formula-looking cell is plain text


@pytest.mark.parametrize(("encoding", "sep"), [("utf-8-sig", ";"), ("utf-16", "\t"), ("utf-8", "|"), ("utf-8", ",")])
def test_encodings_and_delimiters(tmp_path, encoding: str, sep: str) -> None:
    path = write_csv(tmp_path / "f.csv", HEADER_ZH, ROWS_ZH, encoding=encoding, sep=sep)
    [table] = open_tables(path, "f.csv")
    header = detect_header(table)
    assert header.names == HEADER_ZH
    assert _rows(table, header.row + 1)[1][3] == "等待时间太长"


def test_bytes_and_json(tmp_path) -> None:
    records = [{"date": "2024-03-05", "nps": 9, "comment": "好"}, {"date": "2024-03-06", "nps": 3, "comment": "差"}]
    for name, data in (("a.json", json.dumps(records)), ("a.jsonl", "\n".join(json.dumps(r) for r in records))):
        [table] = open_tables(data.encode(), name)
        header = detect_header(table)
        assert header.names == ["date", "nps", "comment"]
        assert _rows(table, 1)[1] == ["2024-03-06", 3, "差"]


def test_xlsx_title_row_and_merged_group_header(tmp_path) -> None:
    path = excel_with_title(tmp_path / "t.xlsx")
    [table] = open_tables(path, "t.xlsx")
    header = detect_header(table)
    assert header.row == 2
    # the blank header cell under the merged "其他" label takes the label
    assert header.names == ["提交时间", "会员号", "手机", "推荐意愿", "满意度", "速度", "其他"]
    mapping = auto_mapping(table, header)
    assert mapping["提交时间"] == "occurred_at" and mapping["推荐意愿"] == "nps" and mapping["会员号"] == "customer_key"
    assert mapping["速度"] == "attribute:速度"
    rows = _rows(table, header.row + 1)
    assert rows[0][0] == dt.datetime(2024, 3, 5, 14, 2)


def test_1904_workbook_flag(tmp_path) -> None:
    [table] = open_tables(excel_with_title(tmp_path / "mac.xlsx", date1904=True), "mac.xlsx")
    assert table.date1904
    assert _rows(table, 3)[0][0] == dt.datetime(2024, 3, 5, 14, 2)  # date cells are converted by the reader
    [table] = open_tables(excel_with_title(tmp_path / "win.xlsx"), "win.xlsx")
    assert not table.date1904


def test_duplicate_and_blank_headers(tmp_path) -> None:
    path = write_csv(tmp_path / "d.csv", ["日期", "评分", "评分", "", "意见"], [["2024-03-05", "4", "5", "x", "好"]])
    [table] = open_tables(path, "d.csv")
    assert detect_header(table).names == ["日期", "评分", "评分_2", "column_4", "意见"]


@pytest.mark.parametrize(("header", "field"), [
    ("推荐意愿", "nps"), ("推荐度（0-10分）", "nps"), ("Likelihood to recommend", "nps"), ("满意度", "csat"),
    ("反馈内容", "comment"), ("Verbatim", "comment"), ("提交时间", "occurred_at"), ("手机号码", "phone"),
    ("会员号", "customer_key"), ("客户ID", "customer_key"), ("门店", "region"), ("消费金额(元)", "spend"),
    ("旅程阶段", "stage"), ("触点", "touchpoint"), ("产品", "product"), ("总体满意度", "overall_sat"),
])
def test_header_synonyms(header: str, field: str) -> None:
    assert field_for(header)[0] == field


def test_renamed_text_empty_header_only(tmp_path) -> None:
    with pytest.raises(IngestError) as err:
        open_tables(text_renamed_xlsx(tmp_path / "fake.xlsx"), "fake.xlsx")
    assert err.value.key == "ingest.err.not_xlsx"
    assert "fake.xlsx" in err.value.message("zh")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        open_tables(tmp_path / "empty.csv", "empty.csv")
    (tmp_path / "blank.csv").write_bytes(b"\r\n\r\n")
    with pytest.raises(IngestError, match="empty"):
        open_tables(tmp_path / "blank.csv", "blank.csv")


def test_size_and_row_caps(tmp_path) -> None:
    path = write_csv(tmp_path / "big.csv", HEADER_ZH, ROWS_ZH * 50)
    with pytest.raises(IngestError) as err:
        open_tables(path, "big.csv", Caps(max_bytes=1000))
    assert err.value.key == "ingest.err.too_big"
    [table] = open_tables(path, "big.csv", Caps(max_rows=100))
    table.chunk_rows = 30
    with pytest.raises(IngestError) as err:
        _rows(table, 1)
    assert err.value.key == "ingest.err.too_many_rows"


def test_zip_bomb_refused_with_bounded_memory(tmp_path) -> None:
    path = zip_bomb_xlsx(tmp_path / "bomb.xlsx", megabytes=100)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(IngestError) as err:  # refused up front by the declared size/ratio
        open_tables(path, "bomb.xlsx")
    assert err.value.key == "ingest.err.bomb"
    tracemalloc.start()
    with pytest.raises(IngestError) as err:  # a lying header would still be stopped by the streaming count
        open_tables(path, "bomb.xlsx", Caps(max_unzipped=20 * 1024**2, max_ratio=10**9))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert err.value.key == "ingest.err.bomb"
    assert peak < 16 * 1024**2, peak


def test_xml_entity_bomb_refused(tmp_path) -> None:
    with pytest.raises(IngestError) as err:
        open_tables(xml_bomb_xlsx(tmp_path / "lol.xlsx"), "lol.xlsx")
    assert err.value.key == "ingest.err.xml_dtd"
