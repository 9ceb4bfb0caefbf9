"""The per-department Excel round trip: export open items, let the department work the sheet, re-import.

Export (xlsxwriter): a sheet per department; id and source columns locked by sheet protection (no
password: it guards against slips, not people), status and root cause as drop-down lists (data
validation against a hidden list sheet), due dates as real dates, personal data masked unless the role
may unmask, every text cell written as a string and defused against formula injection
(``export.safe_value``). A very hidden ``_meta`` sheet carries the export's token; two hidden columns
carry each item's version and a fingerprint of its editable cells at export time. Audited.

Re-import (openpyxl, read-only, size-capped) in one transaction: a row whose editable cells still match
their fingerprint was not touched and is skipped; a row whose wanted values already hold is unchanged
(so a second import of the same workbook changes nothing); otherwise, if the item's version moved on
since the export, the row is a conflict and nothing is overwritten; else ``items.apply_change`` applies
it under the same rules as the app. Unknown ids, invalid statuses or root causes, a resolve without root
cause, a row of another department's item: row-level messages (keys, translated when shown).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import secrets
import string
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import openpyxl
import pandas as pd
import xlsxwriter
from sqlalchemy import Connection, Engine, select
from xlsxwriter.utility import xl_col_to_name

from cem_core import audit
from cem_core.act.items import KINDS, PRIORITIES, STATUSES, ActionError, ConflictError, apply_change
from cem_core.act.worklist import open_items
from cem_core.auth.roles import User
from cem_core.db import write_transaction
from cem_core.db.models import ActionExport, ActionItem, Department, RootCause
from cem_core.export import safe_value
from cem_core.i18n import name_col, t
from cem_core.privacy.masking import mask_record

META_SHEET, LIST_SHEET = "_meta", "_lists"
MAX_BYTES = 20 * 1024 * 1024
#: (column key, editable). Hidden at the end: the item's version and the fingerprint of editable cells.
COLUMNS: tuple[tuple[str, bool], ...] = (
    ("id", False), ("department", False), ("kind", False), ("priority", False), ("touchpoint", False),
    ("created_at", False), ("due_at", False), ("name", False), ("phone", False), ("nps", False),
    ("comment", False), ("status", True), ("owner", True), ("first_contact_at", True), ("root_cause", True),
    ("resolution_note", True), ("_version", False), ("_check", False))
KEYS = [k for k, _ in COLUMNS]
EDITABLE = [k for k, e in COLUMNS if e]
#: Masked unless the role may unmask. Not the editable note: staff write it, and a masked cell read back
#: would overwrite the stored note.
PII = {"name": "name", "phone": "phone", "comment": "text"}
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowMessage:
    sheet: str
    row: int
    item: int | None
    key: str
    values: dict[str, object] = field(default_factory=dict)

    def as_dict(self, lang: str) -> dict[str, object]:
        return {"sheet": self.sheet, "row": self.row, "item": self.item, "message": t(self.key, lang, **self.values)}


@dataclass
class ImportResult:
    updated: int = 0
    unchanged: int = 0
    conflicts: list[RowMessage] = field(default_factory=list)
    errors: list[RowMessage] = field(default_factory=list)
    notices: list[tuple[str, dict[str, object]]] = field(default_factory=list)  # workbook-level (key, values)

    def summary(self, lang: str = "en") -> dict[str, object]:
        return {"updated": self.updated, "unchanged": self.unchanged,
                "conflicts": [m.as_dict(lang) for m in self.conflicts],
                "errors": [m.as_dict(lang) for m in self.errors],
                "notices": [t(k, lang, **v) for k, v in self.notices]}


def _minute(value: object) -> str | None:
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d} 00:00"
    return str(value)


def fingerprint(values: dict[str, object]) -> str:
    """Of the editable cells, normalised the same way on export and import."""
    text = json.dumps([values.get(k) if k != "first_contact_at" else _minute(values.get(k)) for k in EDITABLE],
                      ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _labels(conn: Connection, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """(status code -> label, root-cause code -> label) in ``lang``."""
    n = name_col(lang)
    causes = dict(conn.execute(select(RootCause.code, RootCause.__table__.c[n]).where(
        RootCause.active.is_(True)).order_by(RootCause.id)).all())
    return {s: t(f"act.status.{s}", lang) for s in STATUSES}, causes


def export_workbook(engine: Engine, user: User, departments: Collection[str] | None, lang: str,
                    *, unmask: bool | None = None) -> tuple[bytes, int]:
    """The open items of ``departments`` (codes; None: every department the user may see), one sheet each;
    (xlsx bytes, items written). Only items of the user's scope are ever written."""
    unmask = user.can("unmask_pii") if unmask is None else unmask and user.can("unmask_pii")
    with engine.connect() as conn:
        all_depts = conn.execute(select(Department.id, Department.code, Department.__table__.c[name_col(lang)])
                                 .order_by(Department.id)).all()
        statuses, causes = _labels(conn, lang)
    allowed = [d for d in all_depts if (not user.scope or d.code in user.scope)
               and (departments is None or d.code in departments)]
    if not allowed or (departments is not None and {d.code for d in allowed} != set(departments)):
        raise ActionError("act.xl.err.department", departments=", ".join(sorted(departments or ())) or "-")
    items = open_items(engine, [d.id for d in allowed], lang)
    if departments is None and items:  # "all": a sheet for each department that has open items
        allowed = [d for d in allowed if d.code in {i["department_code"] for i in items}]
    token = _token()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "remove_timezone": True})
    head = book.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True})
    head_edit = book.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1, "text_wrap": True})
    locked_date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    edit = book.add_format({"locked": False, "bg_color": "#FFFBEA"})
    edit_date = book.add_format({"locked": False, "bg_color": "#FFFBEA", "num_format": "yyyy-mm-dd hh:mm"})
    kinds = {k: t(f"act.kind.{k}", lang) for k in KINDS}
    priorities = {p: t(f"act.priority.{p}", lang) for p in PRIORITIES}
    sheets = []
    data_rows: list[list[tuple[object, ...]]] = []  # per department sheet, written into its XML after close
    for dept in allowed:
        rows = [i for i in items if i["department_code"] == dept.code]
        sheet_name = _sheet_name(dept.code, [s for s, _ in sheets])
        ws = book.add_worksheet(sheet_name)
        sheets.append((sheet_name, dept.code))
        for col, (key, editable) in enumerate(COLUMNS):
            ws.write_string(0, col, t(f"act.col.{key.lstrip('_')}", lang), head_edit if editable else head)
        cells_of_sheet = []
        for item in rows:
            shown = {k: item[k] for k in ("touchpoint", "name", "phone", "comment", "owner", "resolution_note")}
            shown.update(mask_record({k: item[k] for k in PII}, PII, unmask))
            text = {k: safe_value(v) for k, v in shown.items()}
            raw = {"status": statuses[item["status"]], "owner": _none(item["owner"]),
                   "first_contact_at": item["first_contact_at"], "root_cause": causes.get(item["root_cause"]),
                   "resolution_note": _none(item["resolution_note"])}
            cells_of_sheet.append((
                int(item["id"]), dept[2], kinds[item["kind"]], priorities[item["priority"]], text["touchpoint"],
                item["created_at"], item["due_at"], text["name"], text["phone"], item["nps"], text["comment"],
                raw["status"], text["owner"], item["first_contact_at"], raw["root_cause"], text["resolution_note"],
                int(item["version"]), fingerprint(raw)))
        data_rows.append(cells_of_sheet)
        last = max(len(rows), 1) + 500  # room for the drop-downs; rows below are not imported anyway
        status_col, cause_col = KEYS.index("status"), KEYS.index("root_cause")
        ws.data_validation(1, status_col, last, status_col, {
            "validate": "list", "source": f"={LIST_SHEET}!$A$1:$A${len(statuses)}",
            "error_title": t("act.col.status", lang), "error_message": t("act.xl.pick_from_list", lang)})
        ws.data_validation(1, cause_col, last, cause_col, {
            "validate": "list", "source": f"={LIST_SHEET}!$B$1:$B${max(len(causes), 1)}",
            "error_title": t("act.col.root_cause", lang), "error_message": t("act.xl.pick_from_list", lang)})
        widths = {"id": 8, "comment": 40, "resolution_note": 30, "created_at": 16, "due_at": 16,
                  "first_contact_at": 16}
        for col, key in enumerate(KEYS):
            options = {"hidden": True} if key.startswith("_") else None
            ws.set_column(col, col, widths.get(key, 12), None, options)
        ws.freeze_panes(1, 1)
        ws.autofilter(0, 0, max(len(rows), 1), len(KEYS) - 3)
        ws.protect("", {"autofilter": True, "sort": False, "format_columns": True, "select_locked_cells": True,
                        "select_unlocked_cells": True})
    lists = book.add_worksheet(LIST_SHEET)  # after the department sheets: the first sheet cannot be hidden
    lists.write_column(0, 0, list(statuses.values()))
    lists.write_column(0, 1, list(causes.values()) or [""])
    for col, fmt in enumerate((locked_date, edit, edit_date), start=3):  # xlsxwriter styles only formats in use
        lists.write_blank(0, col, None, fmt)
    meta = book.add_worksheet(META_SHEET)
    meta.write_column(0, 0, ["token", "exported_at", "exported_by", "lang", "columns", "sheets"])
    meta.write_column(0, 1, [token, dt.datetime.now().isoformat(timespec="seconds"), user.username, lang,
                             json.dumps(KEYS), json.dumps(sheets, ensure_ascii=False)])
    meta.very_hidden()
    lists.hide()
    book.close()
    styles = [(edit_date if e else locked_date, edit if e else None) for _k, e in COLUMNS]
    xlsx = _with_rows(buffer.getvalue(), data_rows, [(d.xf_index, f.xf_index if f else 0) for d, f in styles])
    with write_transaction(engine) as conn:
        conn.execute(ActionExport.__table__.insert().values(
            token=token, at=dt.datetime.now(), actor=user.username,
            departments=json.dumps([d.code for d in allowed]), items=len(items)))
        audit.record(conn, user.username, "actions_export", target="actions", rows=len(items),
                     detail={"departments": [d.code for d in allowed], "unmasked": bool(unmask), "token": token})
    return xlsx, len(items)


def _token() -> str:
    """The export's identity: 26 random letters (122 bits). Letters only: a hex token sometimes held a run
    of digits that reads as a phone number, and the audit log refused the export's entry."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(26))


def _none(value: object) -> object:
    """None for every kind of blank pandas hands back (None, NaN, NaT, NA); cheap, it runs per cell."""
    if value is None or value is pd.NaT or value is pd.NA or (type(value) is float and value != value):
        return None
    return value


def _sheet_name(code: str, taken: list[str]) -> str:
    name = code[:31] or "sheet"
    return name if name not in taken and not name.startswith("_") else f"d{len(taken)}_{code}"[:31]


_LETTERS = [xl_col_to_name(c) for c in range(len(KEYS))]
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CELL_LIMIT = 32767  # characters Excel holds in one cell
_DAY = dt.timedelta(days=1)
_EPOCH = dt.datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system (right for every date after Feb 1900)


def _sheet_rows(rows: list[tuple[object, ...]], styles: list[tuple[int, int]]) -> str:
    """The ``<row>`` elements of one sheet's items, from row 2: numbers, dates as Excel serial numbers in
    a date format, blanks that keep their (un)locked style, text as inline strings (no shared-strings
    table to merge into). One loop with the per-column parts prepared once: it runs for every cell."""
    attrs = [(f' s="{date_style}"', f' s="{style}"' if style else "") for date_style, style in styles]
    out: list[str] = []
    add = out.append
    for r, cells in enumerate(rows, start=2):
        add(f'<row r="{r}">')
        for letter, (date_s, s), value in zip(_LETTERS, attrs, cells, strict=True):
            kind = type(value)
            if kind is str:
                text = xml_escape(_XML_BAD.sub("", value)[:_CELL_LIMIT]) if value else ""
                add(f'<c r="{letter}{r}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
            elif kind is int or (kind is float and value == value):
                add(f'<c r="{letter}{r}"{s}><v>{value!r}</v></c>')
            elif kind is dt.datetime or kind is pd.Timestamp:
                if value is pd.NaT:
                    if s:
                        add(f'<c r="{letter}{r}"{s}/>')
                    continue
                serial = (value.replace(tzinfo=None) - _EPOCH) / _DAY  # type: ignore[union-attr]
                add(f'<c r="{letter}{r}"{date_s}><v>{serial!r}</v></c>')
            elif _none(value) is None:
                if s:
                    add(f'<c r="{letter}{r}"{s}/>')
            else:  # anything else (Decimal, numpy numbers) as its text
                add(f'<c r="{letter}{r}"{s} t="inlineStr"><is><t>{xml_escape(str(value))}</t></is></c>')
        add("</row>")
    return "".join(out)


def _with_rows(xlsx: bytes, sheets: list[list[tuple[object, ...]]], styles: list[tuple[int, int]]) -> bytes:
    """The workbook with each department sheet's item rows put into its ``sheetData``.

    xlsxwriter writes everything else (header, formats, drop-downs, protection, hidden sheets) but
    spends ~0.4 ms per row building cells one call at a time; these rows are plain strings joined once,
    about ten times faster. The department sheets are the first ones added, so ``sheetN.xml`` is the
    N-th department; the formats' ``xf_index`` is fixed once the workbook is closed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            name = info.filename
            if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
                n = int(name.removeprefix("xl/worksheets/sheet").removesuffix(".xml")) - 1
                if n < len(sheets) and sheets[n]:
                    rows = _sheet_rows(sheets[n], styles)
                    xml = data.decode("utf-8").replace("</sheetData>", rows + "</sheetData>", 1)
                    xml = re.sub(r'<dimension ref="[^"]*"/>',
                                 f'<dimension ref="A1:{_LETTERS[-1]}{len(sheets[n]) + 1}"/>', xml, count=1)
                    data = xml.encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


# --- re-import ---------------------------------------------------------------------------------------


def _undefuse(value: object) -> object:
    """Undo the export's formula guard on a text cell, so an untouched cell reads back as stored."""
    if isinstance(value, str):
        value = value.strip()
        if len(value) > 1 and value[0] == "'" and value[1] in _DANGEROUS:
            return value[1:]
        return value or None
    return value


def _parse_time(value: object) -> dt.datetime | str | None:
    """A datetime, None for a blank cell, or the text "invalid"."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    try:
        return dt.datetime.fromisoformat(str(value).strip().replace("/", "-")).replace(second=0, microsecond=0)
    except ValueError:
        return "invalid"


def _vocab(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    """Label or code (either language, case-insensitive) -> code, for statuses and root causes."""
    status = {s: s for s in STATUSES}
    for lang in ("zh", "en"):
        status.update({t(f"act.status.{s}", lang).lower(): s for s in STATUSES})
    causes: dict[str, str] = {}
    for code, zh, en in conn.execute(select(RootCause.code, RootCause.name_zh, RootCause.name_en)):
        causes.update({code.lower(): code, zh.lower(): code, en.lower(): code})
    return status, causes


def _read(data: bytes) -> tuple[dict[str, str], dict[str, list[tuple[object, ...]]]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        meta: dict[str, str] = {}
        if META_SHEET in book.sheetnames:
            for key, value, *_ in book[META_SHEET].iter_rows(min_row=1, max_col=2, values_only=True):
                if key:
                    meta[str(key)] = "" if value is None else str(value)
        sheets = {name: list(book[name].iter_rows(min_row=2, values_only=True))
                  for name in book.sheetnames if name not in (META_SHEET, LIST_SHEET)}
    finally:
        book.close()
    return meta, sheets


def import_workbook(engine: Engine, src: bytes | Path, user: User, *, scope: Collection[int] | None = None
                    ) -> ImportResult:
    """Apply an edited export (see the module docstring). ``scope``: department ids the user may edit."""
    data = src.read_bytes() if isinstance(src, Path) else src
    result = ImportResult()
    if len(data) > MAX_BYTES:
        raise ActionError("act.xl.err.too_big", mb=MAX_BYTES // 2**20)
    try:
        meta, sheets = _read(data)
    except Exception as exc:  # not a readable xlsx: corrupt, encrypted, another format
        raise ActionError("act.xl.err.unreadable", error=type(exc).__name__) from exc
    token = meta.get("token")
    if not token or json.loads(meta.get("columns") or "[]") != KEYS:
        raise ActionError("act.xl.err.not_export")
    exports = ActionExport.__table__.c
    with write_transaction(engine) as conn:
        export = conn.execute(select(ActionExport).where(exports.token == token)).mappings().first()
        if export is None:
            raise ActionError("act.xl.err.unknown_export")
        depts = json.loads(export["departments"])
        ids = dict(conn.execute(select(Department.code, Department.id)).all())
        if scope is not None and not {ids.get(c) for c in depts} <= set(scope):
            result.notices.append(("act.xl.note.other_department", {"departments": ", ".join(depts)}))
        later = conn.execute(select(exports.at, exports.departments).where(exports.at > export["at"])).all()
        newer = sorted(at for at, codes in later if set(json.loads(codes)) & set(depts))
        if newer:
            result.notices.append(("act.xl.note.old_export", {"at": f"{export['at']:%Y-%m-%d %H:%M}",
                                                              "newer": f"{newer[-1]:%Y-%m-%d %H:%M}"}))
        status_of, cause_of = _vocab(conn)
        for sheet, rows in sheets.items():
            for n, cells in enumerate(rows, start=2):
                cells = (*cells, *([None] * (len(KEYS) - len(cells))))[:len(KEYS)]
                if all(c is None or c == "" for c in cells):
                    continue
                _import_row(conn, result, sheet, n, dict(zip(KEYS, cells, strict=True)), status_of, cause_of,
                            user, scope)
        audit.record(conn, user.username, "actions_import", target="actions", rows=result.updated,
                     detail={"token": token, "updated": result.updated, "unchanged": result.unchanged,
                             "conflicts": len(result.conflicts), "errors": len(result.errors)})
    return result


def _import_row(conn: Connection, result: ImportResult, sheet: str, n: int, row: dict[str, object],
                status_of: dict[str, str], cause_of: dict[str, str], user: User,
                scope: Collection[int] | None) -> None:
    def error(key: str, **values: object) -> None:
        result.errors.append(RowMessage(sheet, n, item_id, key, values))

    try:
        item_id: int | None = int(str(row["id"]).strip())
    except ValueError:
        item_id = None
        error("act.xl.err.bad_id", value=str(row["id"])[:40])
        return
    text = {k: _undefuse(row[k]) for k in ("status", "owner", "root_cause", "resolution_note")}
    status = status_of.get(str(text["status"] or "").lower())
    if status is None:
        error("act.err.bad_status", status=str(text["status"] or "")[:40])
        return
    cause = None
    if text["root_cause"] is not None:
        cause = cause_of.get(str(text["root_cause"]).lower())
        if cause is None:
            error("act.err.bad_root_cause", cause=str(text["root_cause"])[:40])
            return
    contact = _parse_time(row["first_contact_at"])
    if contact == "invalid":
        error("act.xl.err.bad_date", value=str(row["first_contact_at"])[:40])
        return
    current = conn.execute(select(ActionItem.__table__).where(ActionItem.id == item_id)).mappings().first()
    if current is None:
        error("act.err.unknown_item", item=item_id)
        return
    labels_at_export = {"status": row["status"], "owner": text["owner"], "first_contact_at": row["first_contact_at"],
                        "root_cause": row["root_cause"], "resolution_note": text["resolution_note"]}
    if fingerprint({k: _undefuse(v) if k != "first_contact_at" else v for k, v in labels_at_export.items()}
                   ) == row["_check"]:
        result.unchanged += 1  # nobody edited this row
        return
    if scope is not None and current["department_id"] not in scope:
        error("act.err.scope", item=item_id)
        return
    stored_cause = conn.execute(select(RootCause.code).where(RootCause.id == current["root_cause_id"])).scalar()
    wanted = {"status": status, "owner": text["owner"], "root_cause": cause, "resolution_note": text["resolution_note"],
              "first_contact_at": contact}
    stored = {"status": current["status"], "owner": current["owner"], "root_cause": stored_cause,
              "resolution_note": current["resolution_note"], "first_contact_at": current["first_contact_at"]}
    if contact is None:
        del wanted["first_contact_at"]  # a blank cell gives no time; it never erases one (set when work started)
    changes = {k: v for k, v in wanted.items()
               if (_minute(v) != _minute(stored[k]) if k == "first_contact_at" else v != stored[k])}
    if not changes:
        result.unchanged += 1  # already as wanted (e.g. the same workbook imported twice)
        return
    try:
        seen = int(row["_version"])  # type: ignore[arg-type]
    except (TypeError, ValueError):
        error("act.xl.err.not_export")
        return
    try:
        with conn.begin_nested():
            apply_change(conn, item_id, seen, changes, actor=user.username, scope=scope)  # type: ignore[arg-type]
        result.updated += 1
    except ConflictError as exc:
        result.conflicts.append(RowMessage(sheet, n, item_id, exc.key, exc.values))
    except ActionError as exc:
        error(exc.key, **exc.values)
