"""The text of an alert: figures only (measure, where, values, n, p, period), never a customer's data."""

from __future__ import annotations

from dataclasses import dataclass

from cem_core.i18n import t


@dataclass(frozen=True)
class AlertText:
    title: str
    body: str  # plain text lines
    figures: dict[str, object]  # for the generic JSON webhook


def _fmt(measure: str, value: float) -> str:
    return f"{value:.2f}" if measure == "ces" else f"{value:.1f}"


def alert_text(alert: dict[str, object], where: str, lang: str) -> AlertText:
    """``alert``: a row of ``alerts``; ``where``: the dimension value's display name (or overall)."""
    measure = str(alert["measure"])
    spike = measure in ("negative", "topic", "sla")
    label = t(f"alerts.measure.{measure}", lang) if spike else measure.upper()
    kind = "sla" if measure == "sla" else "spike" if spike else ""
    title = t(f"alerts.msg.{kind}_title" if kind else "alerts.msg.title", lang, measure=label, where=where)
    body = t(f"alerts.msg.{kind}_body" if kind else "alerts.msg.body", lang, measure=label, where=where,
             previous=_fmt(measure, float(alert["previous"])),  # type: ignore[arg-type]
             current=_fmt(measure, float(alert["current"])),  # type: ignore[arg-type]
             n_previous=f"{int(alert['n_previous']):,}", n_current=f"{int(alert['n_current']):,}",  # type: ignore[call-overload]
             p=f"{float(alert['p_value']):.2g}", date_from=alert["date_from"], date_to=alert["date_to"])  # type: ignore[arg-type]
    figures = {k: alert[k] for k in ("measure", "dimension", "dim_key", "current", "previous", "n_current",
                                     "n_previous", "p_value")}
    figures.update(where=where, date_from=str(alert["date_from"]), date_to=str(alert["date_to"]), id=alert["id"])
    return AlertText(title, body, figures)
