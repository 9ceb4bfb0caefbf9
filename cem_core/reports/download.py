"""The overview's one-click report: built only when clicked, scoped to the reader, audited like any export."""

from __future__ import annotations

from sqlalchemy import Engine

from cem_core import audit
from cem_core.analyze.queries import Filters
from cem_core.auth.roles import User
from cem_core.reports.executive import build_report
from cem_core.reports.pdf import to_pdf
from cem_core.reports.xlsx import to_xlsx


def report_bytes(engine: Engine, user: User, f: Filters, lang: str, fmt: str) -> bytes:
    """PDF or xlsx of the executive report for ``user`` (a department lead gets their departments only)."""
    report = build_report(engine, f, lang, user)
    if report is None:
        return b""
    data = to_pdf(report) if fmt == "pdf" else to_xlsx(report)
    audit.record(engine, user.username, "report", target=f"executive.{fmt}",
                 detail={"from": str(report.date_from), "to": str(report.date_to), "lang": lang,
                         "departments": list(user.scope)})
    return data
