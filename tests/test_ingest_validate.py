"""Validation rules on real cell values: dates (Chinese, serial 1900/1904), scores, phones, widths, lengths."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cem_core.i18n import t
from cem_core.ingest.validate import as_text, parse_dates, parse_int, parse_phone, validate_chunk
from cem_core.privacy.hashing import normalise_phone


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024年3月5日", dt.datetime(2024, 3, 5)),
    ("2024年3月5日 14时02分", dt.datetime(2024, 3, 5, 14, 2)),
    ("2024/3/5 14:02", dt.datetime(2024, 3, 5, 14, 2)),
    ("2024.3.5", dt.datetime(2024, 3, 5)),
    ("2024-03-05T14:02:09+08:00", dt.datetime(2024, 3, 5, 14, 2, 9)),
    ("２０２４－０３－０５", dt.datetime(2024, 3, 5)),
    ("20240305", dt.datetime(2024, 3, 5)),
    ("45356", dt.datetime(2024, 3, 5)),
    ("45356.5", dt.datetime(2024, 3, 5, 12)),
])
def test_text_dates(raw: str, expected: dt.datetime) -> None:
    values, _ = parse_dates(pd.Series([raw]), True, False)
    assert values.iloc[0] == pd.Timestamp(expected)


def test_excel_serials_in_both_date_systems() -> None:
    cells = pd.Series([43894.0, dt.datetime(2024, 3, 5, 9, 30), "2024年3月6日"], dtype=object)
    v1900, _ = parse_dates(cells, False, False)
    v1904, _ = parse_dates(cells, False, True)
    assert v1900.iloc[0] == pd.Timestamp("2020-03-04")
    assert v1904.iloc[0] == pd.Timestamp("2024-03-05")  # 1462 days later in the 1904 system
    assert v1900.iloc[1] == v1904.iloc[1] == pd.Timestamp("2024-03-05 09:30")
    assert v1904.iloc[2] == pd.Timestamp("2024-03-06")


def test_bad_and_out_of_range_dates() -> None:
    values, checks = parse_dates(pd.Series(["昨天", "1980-01-01", "2999-01-01", ""]), True, False)
    masks = {key: mask.tolist() for mask, key, _ in checks}
    assert masks["ingest.reason.bad_date"] == [True, False, False, False]
    assert masks["ingest.reason.date_range"] == [False, True, True, False]
    assert masks["ingest.reason.no_date"] == [False, False, False, True]
    assert values.isna().all()


def test_scores_full_width_and_ranges() -> None:
    values, checks = parse_int(pd.Series(["１０", "9分", "4.5", "11", "x", ""]), 0, 10)
    assert values.tolist()[:2] == [10, 9]
    masks = {key: mask.tolist() for mask, key, _ in checks}
    assert masks["ingest.reason.not_whole"][2] and masks["ingest.reason.range"][3]
    assert masks["ingest.reason.not_number"][4] and not any(m[5] for m in masks.values())


@pytest.mark.parametrize("raw", ["013800138000", "+86 138 0013 8000", "0086-13800138000", "１３８００１３８０００",
                                 "010-6552 1234"])
def test_phones_match_the_pii_rule(raw: str) -> None:
    values, checks = parse_phone(pd.Series([raw]))
    assert values.iloc[0] == normalise_phone(raw)
    assert not checks[0][0].iloc[0]


def test_chunk_report_names_row_column_value_reason() -> None:
    raw = pd.DataFrame({0: ["2024-03-05", "2024-03-06", "", "2024-03-07", "2024-03-08"],
                        1: ["9", "12", "", "", "8"], 2: ["好", "差", "", "", "x" * 5001], 3: ["", "123", "", "", ""]})
    raw.index = range(1, 6)  # table rows 1..5 (row 0 is the header) -> file rows 2..6
    checked = validate_chunk(raw, {"occurred_at": 0, "nps": 1, "comment": 2, "phone": 3}, {},
                             ["日期", "推荐度", "意见", "手机"], text_cells=True, date1904=False)
    assert checked.valid.tolist() == [True, False, False, False, False]
    assert checked.blank.tolist() == [False, False, True, False, False]  # blank lines are not errors
    found = {(p.row, p.column, p.reason) for p in checked.problems}
    assert (3, "推荐度", "ingest.reason.range") in found
    assert (3, "手机", "ingest.reason.phone") in found
    assert (5, "", "ingest.reason.no_measure") in found
    assert (6, "意见", "ingest.reason.too_long") in found
    long = next(p for p in checked.problems if p.reason == "ingest.reason.too_long")
    assert t(long.reason, "zh", **dict(long.values)) == "文本过长（最多 5,000 个字符）"
    assert checked.data["language"].iloc[0] == "zh"


def test_ten_point_attribute_folds_to_five() -> None:
    raw = pd.DataFrame({0: ["2024-03-05"] * 4, 1: ["1", "2", "9", "10"], 2: ["好"] * 4})
    checked = validate_chunk(raw, {"occurred_at": 0, "comment": 2}, {"speed": (1, 10)}, ["d", "speed", "c"],
                             text_cells=True, date1904=False)
    assert checked.data["attribute:speed"].tolist() == [1, 1, 5, 5]


@pytest.mark.parametrize(("cells", "expected"), [
    # Typed workbook cells as text: whole floats lose ".0" (phones, ids), others keep their form.
    ([13800138000.0, 2.5, None, float("nan"), -3.0, 1e17], ["13800138000", "2.5", "", "", "-3", "1e+17"]),
    ([7, None, 10**17], ["7", "", "100000000000000000"]),
    ([" 上海 ", None, "0138"], ["上海", "", "0138"]),
    ([None, None], ["", ""]),
    ([dt.datetime(2024, 3, 5, 14, 2), 1.0, "x", True], ["2024-03-05 14:02:00", "1", "x", "True"]),
])
def test_workbook_cells_as_text(cells: list[object], expected: list[str]) -> None:
    assert as_text(pd.Series(cells, dtype=object), text_cells=False).tolist() == expected
