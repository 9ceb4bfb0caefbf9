"""Every analysis chart renders to an image (SVG, and PNG for one) and its data to csv/xlsx; exports are audited."""

from __future__ import annotations

import io

import pandas as pd
from sqlalchemy import Engine, select

from cem_core.analyze.distributions import histogram, score_cube
from cem_core.analyze.drivers import attribute_histogram, key_drivers
from cem_core.analyze.exports import audited, chart_bytes
from cem_core.analyze.matrix import heat_matrix
from cem_core.analyze.queries import Filters
from cem_core.analyze.segments import segments
from cem_core.analyze.spend import spend_summary
from cem_core.analyze.trends import bucket, daily, trend
from cem_core.charts import analysis as charts
from cem_core.db.models import AuditEntry
from cem_core.export import to_bytes


def test_every_chart_renders_to_images(demo_engine: Engine) -> None:
    f = Filters()
    cube = score_cube(demo_engine, f)
    kd = key_drivers(demo_engine, f, lang="en")
    summary = spend_summary(cube)
    built = [
        charts.score_histogram(histogram(cube, "nps"), "nps", "en"),
        charts.score_histogram(
            histogram(score_cube(demo_engine, f, "stage", "csat"), "csat", demo_engine, "stage", "en"),
            "csat", "en", "Stage"),
        charts.rating_histograms(attribute_histogram(demo_engine, f, "en"), "en"),
        charts.driver_matrix(kd.table, kd.perf_line, kd.imp_line, "en", "Performance"),
        charts.heat_matrix(heat_matrix(demo_engine, f, "stage", "channel", "en"), "en", "Stage", "Channel"),
        charts.trend_chart(trend(bucket(daily(demo_engine, f), "month"), "nps"), "nps", "zh"),
        charts.segment_bars(segments(demo_engine, f, "region", "en"), "en", "Region"),
        charts.spend_groups(summary.by_group, "en"),
        charts.spend_by_score(summary.by_score, "en"),
    ]
    for chart in built:
        svg = chart_bytes(chart, "svg")
        assert svg.lstrip().startswith(b"<svg") and len(svg) > 2000
    assert chart_bytes(built[4], "png").startswith(b"\x89PNG")


def test_data_files_and_audit(engine: Engine) -> None:
    frame = pd.DataFrame({"name": ["=cmd", "East"], "nps": [10.0, -5.0]})
    assert to_bytes({"x": frame}, "csv").decode("utf-8-sig").splitlines()[1].startswith("'=cmd")
    back = pd.read_excel(io.BytesIO(to_bytes({"x": frame}, "xlsx")), engine="calamine")
    assert back["nps"].tolist() == [10.0, -5.0]
    audited(engine, "ana", "matrix_stage_channel", "png", 17)
    audited(engine, "ana", "trend_nps_month", "svg", 20)
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.rows,
                                   AuditEntry.detail).order_by(AuditEntry.id)).all()
    assert [(r.actor, r.action, r.target, r.rows) for r in rows] == [
        ("ana", "export", "analysis:matrix_stage_channel", 17), ("ana", "export", "analysis:trend_nps_month", 20)]
    assert '"format": "svg"' in rows[1].detail
