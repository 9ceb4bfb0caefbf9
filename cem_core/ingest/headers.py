"""Find the header row and name every column.

Exports often start with a title row ("2024年3月门店满意度调查") or a row of merged group labels
("客户信息" over two columns, "评分" over three) above the real header. The header is the first row
whose cells are mostly distinct text (not numbers or dates); a row of merged group labels directly
above it names the header cells left blank under it. Blank names become ``column_N`` and duplicates
get ``_2``, ``_3`` so every column can be mapped and reported unambiguously.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from cem_core.ingest.read import RawTable

SCAN_ROWS = 30
MAX_NAME = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_VALUE = re.compile(r"^[\s¥￥$+\-]*[\d０-９][\d０-９,，.．:：/\-年月日号时分秒 T]*[分元%]?\s*$")


@dataclass(frozen=True)
class Header:
    row: int  # table row (0-based) holding the header; data starts at row + 1
    names: list[str]


def _filled(table: RawTable) -> list[list[object]]:
    """The head rows with merged cells' values copied into every cell they cover."""
    rows = [list(r) for r in table.head[:SCAN_ROWS]]
    for (r0, c0), (r1, c1) in table.merged:
        if r0 >= len(rows):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else None
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, table.width - 1) + 1):
                rows[r][c] = value
    return rows


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _is_text(value: object) -> bool:
    if _blank(value) or isinstance(value, int | float | dt.date | dt.datetime | dt.time):
        return False
    return not _VALUE.match(str(value))


def detect_header(table: RawTable) -> Header:
    rows = _filled(table)
    if table.keyed:
        return Header(0, _names(rows[0], None))
    width = max((sum(not _blank(c) for c in r) for r in rows), default=0)
    need = max(1, math.ceil(0.5 * width))
    idx = 0
    for i, row in enumerate(rows):
        texts = [str(c).strip() for c in row if _is_text(c)]
        values = sum(1 for c in row if not _blank(c) and not _is_text(c))
        if len(set(texts)) >= need and values == 0:
            idx = i
            break
    above = rows[idx - 1] if idx > 0 else None
    return Header(idx, _names(rows[idx], above))


def _clean(value: object) -> str:
    """A header cell as a column name: spaces collapsed, control characters dropped, at most ``MAX_NAME``
    characters (a megabyte-long header cell would otherwise be matched, stored in templates and shown)."""
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    name = _CONTROL.sub("", re.sub(r"\s+", " ", str(value))).strip()
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def _names(row: list[object], above: list[object] | None) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(row):
        name = _clean(cell)
        if not name and above is not None and i < len(above):
            name = _clean(above[i])  # a blank cell under a merged group label takes the label
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        names.append(name)
    return names
