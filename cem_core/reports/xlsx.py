"""The executive report as xlsx: one sheet per section, numbers stored as numbers (not text)."""

from __future__ import annotations

import io

import pandas as pd

from cem_core.i18n import MESSAGES, t
from cem_core.reports.executive import ExecutiveReport


def _labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Column headers in the reader's language where the report has a label for them."""
    return frame.rename(columns={c: t(f"report.col.{c}", lang) for c in frame.columns if f"report.col.{c}" in MESSAGES})


def _months(trend: pd.DataFrame, measure: str) -> pd.DataFrame:
    """A CSAT or CES trend as the overview draws it: month, the measure, CI, n and the change to the month
    before."""
    out = trend[["period", "value", "low", "high", "n", "change"]].rename(columns={"period": "month", "value": measure})
    return out.assign(month=pd.to_datetime(out["month"]).dt.strftime("%Y-%m"))


def sheets(report: ExecutiveReport) -> dict[str, pd.DataFrame]:
    """Sheet title -> frame, in report order."""
    L = report.lang
    ov = report.overview
    trend = ov.trend.assign(month=ov.trend["month"].dt.strftime("%Y-%m"))[["month", "nps", "low", "high", "n"]]
    cover = pd.DataFrame([(t("report.period", L, date_from=report.date_from, date_to=report.date_to), ""),
                          *report.filters], columns=[t("report.filters", L), ""])
    out = {
        t("report.filters", L): cover,
        t("report.sec.kpis", L): report.kpis,
        t("report.sec.trend", L): trend,
        **{t(f"report.sec.{m}_trend", L): _months(frame, t(f"report.kpi.{m}", L))
           for m, frame in (("csat", ov.csat_trend), ("ces", ov.ces_trend))},
        t("report.sec.stage", L): ov.by_stage[["name", "nps", "low", "high", "n"]],
        t("report.sec.channel", L): ov.by_channel[["name", "nps", "low", "high", "n"]],
        t("report.sec.drivers", L): report.drivers,
        t("report.sec.topics", L): report.topics.drop(columns=["topic"], errors="ignore"),
        t("report.sec.verbatims", L): report.verbatims,
        t("report.sec.hot_spots", L): report.hot_spots,
        t("report.sec.loop", L): report.loop,
        t("report.sec.alerts", L): report.alerts,
    }
    return {name[:31]: _labelled(frame, L) for name, frame in out.items()}


def to_xlsx(report: ExecutiveReport) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as writer:
        for name, frame in sheets(report).items():
            frame.to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].set_column(0, max(len(frame.columns) - 1, 0), 18)
    return buf.getvalue()
