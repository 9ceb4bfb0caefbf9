"""Downloads of an analysis: its data (csv/xlsx) and its chart (png/svg), each one audited.

Chart images render through vl-convert (no browser needed); data goes through ``cem_core.export``,
which defuses spreadsheet formulas. The caller decides what the frame may contain (drill-down rows are
masked before they get here unless the user may see personal data).
"""

from __future__ import annotations

import io

import altair as alt
import pandas as pd
from sqlalchemy import Engine

from cem_core import audit
from cem_core.export import to_csv_bytes, to_xlsx_bytes

DATA_FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def data_bytes(frame: pd.DataFrame, fmt: str, sheet: str = "data") -> bytes:
    if fmt == "csv":
        return to_csv_bytes(frame)
    if fmt == "xlsx":
        return to_xlsx_bytes({sheet: frame})
    raise ValueError(f"unknown data format: {fmt}")


def chart_bytes(chart: alt.TopLevelMixin, fmt: str) -> bytes:
    """The chart as PNG (2x scale, readable in slides) or SVG."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format: {fmt}")
    buffer = io.BytesIO() if fmt == "png" else io.StringIO()
    chart.save(buffer, format=fmt, **({"scale_factor": 2} if fmt == "png" else {}))
    value = buffer.getvalue()
    return value if isinstance(value, bytes) else value.encode("utf-8")


def audited(engine: Engine, actor: str, name: str, fmt: str, rows: int, *, masked: bool | None = None) -> None:
    """Record one export in the audit log: what, which format, how many rows (never the data itself)."""
    detail: dict[str, object] = {"analysis": name, "format": fmt}
    if masked is not None:
        detail["masked"] = masked
    audit.record(engine, actor, "export", target=f"analysis:{name}", rows=rows, detail=detail)
