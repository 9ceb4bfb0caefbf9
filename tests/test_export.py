"""Exports never turn text into formulas."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from cem_core.export import to_csv_bytes, to_xlsx_bytes

FRAME = pd.DataFrame({"comment": ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "normal", "-2+3"],
                      "score": [1, 2, 3, 4, -5]})


def test_xlsx_cells_are_strings_not_formulas() -> None:
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes({"data": FRAME}))).active
    cells = [ws.cell(row=r, column=1) for r in range(2, 7)]
    assert all(c.data_type == "s" for c in cells)
    assert cells[0].value == "'=HYPERLINK(\"http://x\")"
    assert cells[3].value == "normal"
    assert ws.cell(row=6, column=2).value == -5  # numbers stay numbers


def test_csv_is_bom_utf8_and_defused() -> None:
    data = to_csv_bytes(pd.DataFrame({"意见": ["=1+1", "好"]}))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=1+1" in text and "意见" in text
