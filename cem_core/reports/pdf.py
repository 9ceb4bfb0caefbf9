"""The executive report as an A4 PDF: cover with period and filters, KPI table with CIs, the overview's
figures as vector charts (NPS, CSAT and CES trends, NPS by stage and channel; ``reports.charts``), drivers,
topics and alerts, page numbers; the CJK font embedded (subset) so Chinese text shows and extracts on any
machine.

The font: reportlab embeds TrueType outlines only, and the OFL Noto Sans SC subset the text module
ships is CFF (.otf), as is Debian's fonts-noto-cjk. ``data/fonts/NotoSansSC-Regular-subset.ttf`` is the
same subset converted to TrueType outlines with fontTools (cu2qu); see data/fonts/README.md.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cem_core.config import CJK_FONT
from cem_core.i18n import t
from cem_core.reports import charts
from cem_core.reports.executive import ExecutiveReport

FONT = "NotoSansSC"
FONT_FILE = CJK_FONT
WIDTH = A4[0] - 36 * mm


@cache
def register_font() -> str:
    """Registered once per process (reading the font file costs ~0.3 s); reportlab embeds only the glyphs
    each document uses."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = register_font()
    return {"title": ParagraphStyle("title", fontName=font, fontSize=22, leading=30, spaceAfter=12),
            "h": ParagraphStyle("h", fontName=font, fontSize=14, leading=20, spaceBefore=10, spaceAfter=6),
            "p": ParagraphStyle("p", fontName=font, fontSize=10, leading=14),
            "cell": ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11)}


def _fmt(value: object, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _table(frame: pd.DataFrame, columns: list[str], lang: str, styles: dict, digits: dict[str, int] | None = None
           ) -> Table | Paragraph:
    if frame.empty:
        return Paragraph(escape(t("report.none", lang)), styles["p"])
    digits = digits or {}
    head = [Paragraph(escape(t(f"report.col.{c}", lang)), styles["cell"]) for c in columns]
    body = [[Paragraph(escape(_fmt(row[c], digits.get(c, 1))), styles["cell"]) for c in columns]
            for row in frame.to_dict("records")]
    table = Table([head, *body], repeatRows=1, colWidths=[WIDTH / len(columns)] * len(columns))
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                               ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c4")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _trend_chart(frame: pd.DataFrame, period: str, value: str, y_title: str, key: str, lang: str,
                 marked: bool = False) -> charts.Chart:
    """A monthly trend with its CI band; ``marked``: significant changes as triangles (the Analysis page's)."""
    legend = (t("analysis.trend.up", lang), t("analysis.trend.down", lang)) if marked else None
    drawing = charts.trend(pd.to_datetime(frame[period]).dt.strftime("%Y-%m").tolist(), frame[value].tolist(),
                           frame["low"].tolist(), frame["high"].tolist(), y_title, FONT, WIDTH,
                           direction=frame["direction"].tolist() if marked else None, legend=legend)
    return charts.Chart(drawing, key)


def _bar_chart(frame: pd.DataFrame, key: str, lang: str) -> charts.Chart:
    drawing = charts.bars(frame["name"].tolist(), frame["nps"].tolist(), frame["low"].tolist(),
                          frame["high"].tolist(), t("chart.nps", lang), FONT, WIDTH)
    return charts.Chart(drawing, key)


#: Decimals per KPI row, as ``stats --json`` rounds them, so the PDF shows the same figures.
KPI_DIGITS = (0, 2, 2, 3)  # responses, NPS, CSAT, CES (rows of ``executive.kpi_table``)
#: Decimals of each row's CI, as the overview's cards show it (a CES interval is a fraction of a point wide).
CI_DIGITS = (1, 1, 1, 2)


def _kpis(report: ExecutiveReport) -> pd.DataFrame:
    rows = []
    for digits, ci_digits, row in zip(KPI_DIGITS, CI_DIGITS, report.kpis.to_dict("records"), strict=True):
        def num(v: object, d: int = digits) -> str:
            return "–" if v is None or pd.isna(v) else f"{float(v):,.{d}f}"  # type: ignore[arg-type]
        ci = "–" if row["low"] is None or pd.isna(row["low"]) else \
            f"[{row['low']:.{ci_digits}f}, {row['high']:.{ci_digits}f}]"
        rows.append({"metric": row["metric"], "value": num(row["value"]), "previous": num(row["previous"]),
                     "change": num(row["change"]), "ci": ci, "n": f"{int(row['n']):,}"})
    return pd.DataFrame(rows)


def to_pdf(report: ExecutiveReport, generated: dt.datetime | None = None) -> bytes:
    L = report.lang
    s = _styles()
    generated = generated or dt.datetime.now()
    story: list = [
        Paragraph(escape(t("report.title", L)), s["title"]),
        Paragraph(escape(t("report.period", L, date_from=report.date_from, date_to=report.date_to)), s["p"]),
        Paragraph(escape(t("report.generated", L, at=f"{generated:%Y-%m-%d %H:%M}")), s["p"]),
        Paragraph(escape(t("report.filters", L)), s["h"]),
        *[Paragraph(escape(f"{label}{': ' + value if value else ''}"), s["p"]) for label, value in report.filters],
        Paragraph(escape(t("report.sec.kpis", L)), s["h"]),
        _table(_kpis(report), ["metric", "value", "previous", "change", "ci", "n"], L, s),
    ]
    ov = report.overview
    if not ov.trend.empty:
        story += [Paragraph(escape(t("report.sec.trend", L)), s["h"]),
                  _trend_chart(ov.trend, "month", "nps", t("chart.nps", L), "nps_trend", L)]
    story.append(PageBreak())
    for measure, frame in (("csat", ov.csat_trend), ("ces", ov.ces_trend)):  # the overview's own charts
        story.append(Paragraph(escape(t(f"report.sec.{measure}_trend", L)), s["h"]))
        story.append(_trend_chart(frame, "period", "value", t(f"analysis.measure.{measure}", L),
                                  f"{measure}_trend", L, marked=True) if not frame.empty
                     else Paragraph(escape(t("report.none", L)), s["p"]))
    story.append(PageBreak())
    for key, frame in (("stage", ov.by_stage), ("channel", ov.by_channel.sort_values("nps", ascending=False))):
        story.append(Paragraph(escape(t(f"report.sec.{key}", L)), s["h"]))
        if not frame.empty:
            story.append(_bar_chart(frame, key, L))
        story.append(_table(frame, ["name", "nps", "n"], L, s))
    story += [Paragraph(escape(t("report.sec.drivers", L)), s["h"]),
              _table(report.drivers, ["name", "importance", "performance", "quadrant"], L, s,
                     {"importance": 3, "performance": 2})]
    concentrate = report.drivers[report.drivers["quadrant"] == t("report.quadrant.concentrate", L)] \
        if not report.drivers.empty else report.drivers
    story += [Paragraph(escape(t("report.sec.concentrate", L)), s["h"]),
              Paragraph(escape(", ".join(concentrate["name"]) if not concentrate.empty else t("report.none", L)),
                        s["p"]),
              Paragraph(escape(t("report.sec.topics", L)), s["h"]),
              _table(report.topics, ["name", "n", "negative", "net_sentiment", "nps_impact"], L, s,
                     {"nps_impact": 2}),
              Paragraph(escape(t("report.sec.verbatims", L)), s["h"]),
              _table(report.verbatims, ["name", "comment"], L, s),
              Paragraph(escape(t("report.sec.hot_spots", L)), s["h"]),
              _table(report.hot_spots, ["stage", "touchpoint", "nps", "nps_n", "neg_share", "top_topic"], L, s),
              Paragraph(escape(t("report.sec.loop", L)), s["h"]),
              _table(report.loop, ["department", "opened", "closure_rate", "breach_rate", "open_overdue",
                                   "recovery_rate"], L, s),
              Paragraph(escape(t("report.sec.alerts", L)), s["h"]),
              _table(report.alerts, ["title", "text"], L, s), Spacer(1, 6)]

    def page_number(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, t("report.page", L, n=doc.page))
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=t("report.title", L), author="CEM Dashboard")
    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()
