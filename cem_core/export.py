"""Spreadsheet exports that are safe to open: no cell is ever taken as a formula.

OWASP CSV injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading
single quote, in csv and xlsx alike (an xlsx is often re-saved as csv), and xlsx cells are written as
strings, never formulas. Numbers stay numbers. Personal data is masked
before it gets here: downloads go through ``privacy.release.export_file``.
"""

from __future__ import annotations

import io

import pandas as pd

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: object) -> object:
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot be read as formulas by Excel or LibreOffice."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_defuse)
    out.columns = [str(_defuse(str(c))) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel on Chinese Windows opens Chinese text correctly."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One workbook, a sheet per frame (names cut to Excel's 31 characters); strings stay strings."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as xw:
        for name, frame in sheets.items():
            safe_frame(frame).to_excel(xw, sheet_name=name[:31] or "Sheet1", index=False)
    return buffer.getvalue()


DATA_FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def to_bytes(sheets: dict[str, pd.DataFrame], fmt: str) -> bytes:
    """``sheets`` as ``fmt``: csv holds the first sheet, xlsx all of them."""
    if fmt == "csv":
        return to_csv_bytes(next(iter(sheets.values())))
    if fmt == "xlsx":
        return to_xlsx_bytes(sheets)
    raise ValueError(f"unknown data format: {fmt}")
