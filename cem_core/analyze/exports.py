"""Downloads of an analysis: its chart as an image (png/svg), audited.

Chart images render through vl-convert (no browser needed). An analysis's data (csv/xlsx) leaves
through ``privacy.release.export_file`` like every other download: masked per role, audited.
"""

from __future__ import annotations

import io

import altair as alt
from sqlalchemy import Engine

from cem_core import audit

IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def chart_bytes(chart: alt.TopLevelMixin, fmt: str) -> bytes:
    """The chart as PNG (2x scale, readable in slides) or SVG."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format: {fmt}")
    buffer = io.BytesIO() if fmt == "png" else io.StringIO()
    chart.save(buffer, format=fmt, **({"scale_factor": 2} if fmt == "png" else {}))
    value = buffer.getvalue()
    return value if isinstance(value, bytes) else value.encode("utf-8")


def audited(engine: Engine, actor: str, name: str, fmt: str, rows: int) -> None:
    """Record one chart image export in the audit log: what, which format, how many rows behind it."""
    audit.record(engine, actor, "export", target=f"analysis:{name}", rows=rows,
                 detail={"analysis": name, "format": fmt})
