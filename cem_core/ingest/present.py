"""What the upload page shows: a masked preview, the mapping as an editable table, translated reports.

Kept out of the page script so it is testable without Streamlit. Personal data in a preview, an
error list or the error workbook is masked by the one rule (``privacy.masking``, columns from
``privacy.columns.file_columns``) unless the viewer may see it (``unmask``): the uploader has the file,
but the screen may be shared or recorded, and a workbook travels. The workbook's download is audited.
"""

from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import Engine

from cem_core.auth.roles import User
from cem_core.i18n import t
from cem_core.ingest.load import ImportReport, TablePlan, error_frame, problem_rows
from cem_core.ingest.mapping import ATTRIBUTE, DATE_CHOICES, DATE_FIELD, FIELDS, IGNORE
from cem_core.ingest.validate import as_text
from cem_core.privacy.columns import file_columns
from cem_core.privacy.masking import mask_frame, mask_value
from cem_core.privacy.release import export_file

ATTRIBUTE_CHOICE = "attribute"  # in the editor: "an attribute rating named after this column"
# the date field offered plain (order inferred from the values) and with each order chosen, side by side
CHOICES: tuple[str, ...] = (*(c for f in FIELDS for c in ((f, *DATE_CHOICES) if f == DATE_FIELD else (f,))),
                            ATTRIBUTE_CHOICE, IGNORE)


def choice_label(choice: str, lang: str) -> str:
    if choice == ATTRIBUTE_CHOICE:
        return t("ingest.field.attribute", lang, name="…")
    return t(f"ingest.field.{choice}", lang)


def report_columns(report: ImportReport) -> dict[str, str]:
    """Every header of the report's tables -> kind of personal data (``privacy.columns.file_columns``)."""
    return {h: k for p in report.plans for h, k in file_columns(p.mapping).items()}


def preview(plan: TablePlan, rows: int = 10, *, unmask: bool = False) -> pd.DataFrame:
    """The first data rows under the detected header, personal columns masked."""
    body = plan.table.head[plan.header.row + 1: plan.header.row + 1 + rows]
    frame = pd.DataFrame([list(r) + [None] * (len(plan.header.names) - len(r)) for r in body],
                         columns=plan.header.names, dtype=object)
    return mask_frame(frame.apply(lambda c: as_text(c, False)), file_columns(plan.mapping), unmask)


def mapping_table(plans: list[TablePlan]) -> pd.DataFrame:
    """One row per distinct header across the chosen sheets: header, choice, a sample value."""
    rows: dict[str, tuple[str, str]] = {}
    for plan in plans:
        body = plan.table.head[plan.header.row + 1: plan.header.row + 4]
        kinds = file_columns(plan.mapping)
        for i, (header, f) in enumerate(plan.mapping.items()):
            if header in rows:
                continue
            sample = next((str(r[i]) for r in body if i < len(r) and r[i] not in (None, "")), "")
            choice = ATTRIBUTE_CHOICE if f.startswith(ATTRIBUTE) else f
            rows[header] = (choice, str(mask_value(kinds[header], sample) or ""))  # masked for every role
    return pd.DataFrame([(h, c, s) for h, (c, s) in rows.items()], columns=["header", "field", "sample"])


def mapping_from_table(frame: pd.DataFrame) -> dict[str, str]:
    """The edited table back to ``{header: field}``."""
    return {h: (ATTRIBUTE + h if c == ATTRIBUTE_CHOICE else (c or IGNORE))
            for h, c in zip(frame["header"], frame["field"], strict=True)}


def problems_frame(report: ImportReport, lang: str, *, unmask: bool = False, limit: int = 50) -> pd.DataFrame:
    """The first problems: row, column, value (personal data masked) and the translated reason."""
    kinds = report_columns(report)

    def mask(column: str, value: str) -> str:
        return value if unmask else str(mask_value(kinds.get(column, "text"), value) or "")

    rows = problem_rows(report.problems[:limit], lang, mask)
    frame = pd.DataFrame(rows, columns=["row", "column", "value", "reason"])
    return frame.rename(columns={"row": t("ingest.col.row", lang), "column": t("ingest.col.column", lang),
                                 "value": t("ingest.col.value", lang), "reason": t("ingest.col.reason", lang)})


def reasons_frame(report: ImportReport, lang: str) -> pd.DataFrame:
    """How many cells failed for each reason (all rows, not only the first problems)."""
    items = sorted(report.reason_counts.items(), key=lambda kv: -kv[1])
    return pd.DataFrame([(t(k, lang, lo="", hi="", min="", max="").rstrip(" -（）()"), n) for k, n in items],
                        columns=[t("ingest.col.reason", lang), t("upload.count", lang)])


def error_workbook(engine: Engine, user: User, report: ImportReport, lang: str) -> bytes:
    """The rejected rows as an xlsx download: masked unless ``user`` may unmask, and audited."""
    return export_file(engine, user, {t("ingest.errors_sheet", lang): error_frame(report, lang)}, "xlsx",
                       target=f"import_errors:{report.content_hash[:12] or report.file_name[:40]}",
                       columns=report_columns(report), detail={"rows_skipped": report.rows_skipped})


def plain(text: str) -> str:
    """``text`` shown literally by Markdown-rendering widgets (column names and values are the file's text)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$:])", r"\\\1", text)


def report_notes(report: ImportReport, lang: str) -> tuple[list[str], list[str]]:
    """(how date columns were read, columns that failed in nearly every row), translated and escaped."""
    dates = [plain(p.date_note.message(lang)) for p in report.plans if p.date_note]
    return dates, [plain(c.message(lang)) for c in report.column_issues]
