"""The import: one file -> one batch -> one transaction. Every accepted row lands, or none does.

Order of work, and why:

1. Read and plan (header row, mapping) before touching the database, so unreadable files and
   missing required columns are refused without a trace.
2. The content hash (SHA-256 of the file's bytes, hex; with a chosen subset of sheets, SHA-256 of
   ``"<that hex>:<sorted sheet names as JSON>"``) is checked against finished batches: the same file
   again adds nothing and the report says when and by whom it was imported.
3. The batch row is written (status ``running``) in its own short transaction, so that if the import
   transaction dies - an exception, a killed connection - the batch can be marked ``failed`` while
   every row of it is rolled back.
4. The rows are streamed chunk by chunk through validation into ``bulk_insert`` (executemany on SQLite,
   COPY on Postgres) inside ONE ``write_transaction``. Each row's ``row_key`` is a BLAKE2b digest of a
   canonical text of its normalised values (date, resolved channel/stage/touchpoint and customer, scores,
   texts, ratings; defined in ``row_key``), so the same response arriving in two different files is stored
   once and counted as a duplicate.
   Each chunk's comments are handed to the text backlog as the chunk is read (tokens, sentiment, topics:
   ``cem_core.text.store.Analyses``), analysed on the second core behind the import
   (``cem_core.text.backlog``), and stored with the chunk's rows once analysed: between chunks, and what is
   left after the responses' indexes and rollups, on both cores. A load that at least doubles
   the table runs in bulk-load mode: secondary indexes rebuilt once at the end
   (``bulk.deferred_indexes``), except the ones every chunk looks its row keys and customer identities up
   by (``LOOKUP_INDEXES``). Nothing is held per row of the file: what was already stored, by earlier
   imports or earlier chunks of this one, is asked of the database chunk by chunk, so memory stays
   bounded whatever the number of rows (``bench/bench_memory.py``). On Postgres that DDL would lock every
   reader out until the commit, so there the indexes stay and rows are COPYed into the live tables
   (``bulk.readers_keep_going``).
5. The rollups (the responses', summed from each chunk in memory as it is written, ``analyze.chunk_rollup``;
   the comments' terms and topics), the batch's counts and the audit entry are written in that same
   transaction.

``check_file`` runs steps 1 and 4's validation without writing: the page shows its report first and
the user chooses to import the valid rows or reject the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from cem_core import audit
from cem_core.act.rules import route_batch
from cem_core.alerts.run import after_import
from cem_core.analyze.chunk_rollup import BatchRollup
from cem_core.db import write_transaction
from cem_core.db.bulk import (
    bulk_insert,
    bulk_worth_it,
    deferred_indexes,
    next_id,
    readers_keep_going,
    sorts_on_disk,
    sync_sequence,
)
from cem_core.db.models import Customer, ImportBatch, ImportDetail, Rating, Response
from cem_core.i18n import t
from cem_core.ingest import mapping as mapping_mod
from cem_core.ingest.errors import ImportFailed, IngestError, unexpected
from cem_core.ingest.headers import Header, detect_header
from cem_core.ingest.lease import Lease, Slot, Waiting, import_slot
from cem_core.ingest.prepare import Prepared, prepare
from cem_core.ingest.read import CAPS, CHUNK_ROWS, Caps, RawTable, Source, content_hash, open_tables, size_of
from cem_core.ingest.resolve import Customers, References, lookup
from cem_core.ingest.row_key import rating_texts, row_keys
from cem_core.ingest.validate import MEASURES, Checked, Problem, as_text, infer_date_order, validate_chunk
from cem_core.privacy.hashing import hash_key
from cem_core.privacy.masking import mask_text
from cem_core.text import store as text_store
from cem_core.text.backlog import Backlog
from cem_core.text.dictionaries import TextConfig
from cem_core.text.helper import gc_paused

Progress = Callable[[float, int], None]
ERROR_ROWS = 50_000  # invalid rows kept for the downloadable error file
# A column failing in at least this share of a file's rows (and at least COLUMN_ISSUE_MIN rows) is reported
# once, with what its values look like and how to fix it, instead of row by row.
COLUMN_ISSUE_SHARE = 0.9
COLUMN_ISSUE_MIN = 10
RESPONSE_COLUMNS = ("id", "batch_id", "row_key", "customer_id", "channel_id", "stage_id", "touchpoint_id",
                    "occurred_at", "occurred_date", "journey_key", "journey_step", "nps", "csat", "ces",
                    "overall_sat", "spend", "region", "product", "segment", "comment", "language")
BULK_TABLES = ("responses", "ratings", "customers")
# Its indexes come back after the last comments are stored, which is after the other tables' (``_write_batch``).
TEXT_TABLES = ("response_text",)
# Kept through a bulk load: each chunk's row keys and identities are looked up by them (holding every
# stored key in memory instead grew the importing process by ~1 KB per row: 1.47 GB at 1M rows).
LOOKUP_INDEXES = ("ux_responses_row_key", "ix_customers_phone_hash", "ix_customers_email_hash")
_batches = ImportBatch.__table__
_details = ImportDetail.__table__


@dataclass
class TablePlan:
    """How one table is read: its header row and the field of every column."""

    table: RawTable
    header: Header
    mapping: dict[str, str]  # header -> field
    template: str | None = None
    date_note: DateNote | None = None  # how the date column's year-last dates are read, once resolved

    @property
    def columns(self) -> dict[str, int]:
        return {mapping_mod.base_field(f): i for i, (h, f) in enumerate(self.mapping.items())
                if f != mapping_mod.IGNORE and not f.startswith(mapping_mod.ATTRIBUTE)}

    @property
    def date_order(self) -> str:
        """The order of year-last dates in the date column: chosen or resolved, else month-first."""
        orders = [mapping_mod.date_order_of(f) for f in self.mapping.values()]
        return next((o for o in orders if o), "mdy")

    @property
    def attributes(self) -> dict[str, tuple[int, int]]:
        """attribute name -> (column position, scale 5 or 10 judged from the first rows)."""
        out = {}
        body = self.table.head[self.header.row + 1:]
        for i, (_h, f) in enumerate(self.mapping.items()):
            if f.startswith(mapping_mod.ATTRIBUTE):
                nums = mapping_mod._numbers([r[i] for r in body])
                out[f.removeprefix(mapping_mod.ATTRIBUTE)] = (i, 10 if len(nums) and nums.max() > 5 else 5)
        return out

    def missing(self) -> list[str]:
        """Required fields the mapping lacks: a date, and one of NPS / CSAT / CES / comment."""
        fields = {mapping_mod.base_field(f) for f in self.mapping.values()}
        out = [] if "occurred_at" in fields else ["occurred_at"]
        return out + ([] if fields & set(MEASURES) else ["nps|csat|ces|comment"])


@dataclass(frozen=True)
class DateNote:
    """How a date column's year-last dates (09/15/2024) are read, and why - stated in the report."""

    column: str
    order: str  # mdy / dmy / ymd
    source: str  # chosen (mapping, template or --date-order) / inferred (from the values) / default

    def message(self, lang: str) -> str:
        return t(f"ingest.dates.{self.source}", lang, column=self.column,
                 order=t(f"ingest.dates.order_{self.order}", lang))


@dataclass(frozen=True)
class ColumnIssue:
    """One column failing in nearly every row: one entry saying what it looks like and how to fix it."""

    column: str
    reason: str  # the reason key of its cells
    count: int
    rows: int
    shape: str  # the most common form of its failing values, digits as 9 and letters as a
    example: str

    def message(self, lang: str) -> str:
        fix = "ingest.fix.bad_date" if self.reason == "ingest.reason.bad_date" else "ingest.fix.mapping"
        return t("ingest.column_issue", lang, column=self.column, count=f"{self.count:,}", rows=f"{self.rows:,}",
                 reason=t(self.reason, lang, lo="", hi="", min="", max="").rstrip(" -（）()"), shape=self.shape,
                 example=self.example) + " " + t(fix, lang, column=self.column)


def value_shape(value: str) -> str:
    """What a value looks like without what it says: ``09/15/2024`` -> ``99/99/9999``."""
    return "".join("9" if c.isdigit() else "a" if c.isalpha() else c for c in value)


@dataclass
class ImportReport:
    """What happened to one file; the page and the CLI render it, ``summary()`` is its JSON form."""

    file_name: str
    status: str = "checked"  # checked / done / duplicate_file / rejected / failed
    content_hash: str = ""
    batch_id: int | None = None
    rows_read: int = 0
    rows_valid: int = 0
    rows_imported: int = 0
    rows_skipped: int = 0
    rows_duplicate: int = 0
    problems: list[Problem] = field(default_factory=list)
    reason_counts: dict[str, int] = field(default_factory=dict)
    error_rows: list[pd.DataFrame] = field(default_factory=list)
    previous: dict[str, object] | None = None
    created: dict[str, list[str]] = field(default_factory=dict)
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    error: IngestError | None = None
    seconds: float = 0.0
    bulk_load: bool = False  # stored keys held in memory; on SQLite indexes rebuilt once (``bulk.deferred_indexes``)
    actions_created: int = 0  # action items the routing rules created for this batch
    waited_s: float = 0.0  # time spent queued behind another import (SQLite)
    plans: list[TablePlan] = field(default_factory=list)
    by_column: dict[tuple[str, str], int] = field(default_factory=dict)
    samples: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    column_issues: list[ColumnIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("checked", "done", "duplicate_file")

    def add_problems(self, checked: Checked, raw: pd.DataFrame, headers: list[str], sheet: str | None) -> None:
        invalid = checked.first_reason.notna() if checked.first_reason is not None else None
        self.rows_skipped += int((~checked.valid & ~checked.blank).sum())
        for k, n in checked.counts.items():
            self.reason_counts[k] = self.reason_counts.get(k, 0) + n
        for k, n in checked.by_column.items():
            self.by_column[k] = self.by_column.get(k, 0) + n
        for k, values in checked.samples.items():
            self.samples.setdefault(k, []).extend(values[: 20 - len(self.samples.get(k, []))])
        room = 1000 - len(self.problems)
        self.problems.extend(checked.problems[:max(0, room)])
        kept = sum(len(f) for f in self.error_rows)
        if invalid is not None and invalid.any() and kept < ERROR_ROWS:
            bad = raw[invalid].iloc[: ERROR_ROWS - kept].copy()
            bad.columns = headers[: bad.shape[1]]
            bad.insert(0, "_row", bad.index + 1)
            if sheet:
                bad.insert(0, "_sheet", sheet)
            bad["_reason"] = checked.first_reason[invalid].iloc[: len(bad)].tolist()
            self.error_rows.append(bad)

    def summarise_columns(self) -> None:
        """Once every row is read: a column that failed in nearly all rows becomes one ``ColumnIssue`` and
        its row-by-row problems leave the list (they would all say the same thing)."""
        for (column, reason), n in sorted(self.by_column.items(), key=lambda kv: -kv[1]):
            if not column or n < COLUMN_ISSUE_MIN or n < COLUMN_ISSUE_SHARE * self.rows_read:
                continue
            values = self.samples.get((column, reason), [])
            shapes = [value_shape(v) for v in values]
            shape = max(set(shapes), key=shapes.count) if shapes else ""
            example = next((v for v, s in zip(values, shapes, strict=True) if s == shape), "")
            self.column_issues.append(ColumnIssue(column, reason, n, self.rows_read, shape, example))
            self.problems = [p for p in self.problems if (p.column, p.reason) != (column, reason)]

    def message(self, lang: str) -> str:
        if self.error is not None:
            return self.error.message(lang)
        if self.status == "duplicate_file" and self.previous:
            return t("ingest.report.duplicate_file", lang, **self.previous)
        key = {"done": "ingest.report.done", "checked": "ingest.report.checked",
               "rejected": "ingest.report.rejected"}.get(self.status, "ingest.report.failed")
        return t(key, lang, file=self.file_name, imported=f"{self.rows_imported:,}", valid=f"{self.rows_valid:,}",
                 skipped=f"{self.rows_skipped:,}", duplicate=f"{self.rows_duplicate:,}", batch=self.batch_id)

    def summary(self, lang: str = "en", max_errors: int = 20) -> dict[str, object]:
        return {"file": self.file_name, "status": self.status, "batch_id": self.batch_id,
                "content_hash": self.content_hash, "rows_read": self.rows_read, "rows_imported": self.rows_imported,
                "rows_skipped": self.rows_skipped, "rows_duplicate": self.rows_duplicate,
                "message": self.message(lang), "previous": self.previous, "created": self.created,
                "unmatched": self.unmatched, "seconds": round(self.seconds, 3), "bulk_load": self.bulk_load,
                "waited_s": round(self.waited_s, 1),
                "dates": [{"column": p.date_note.column, "order": p.date_note.order, "source": p.date_note.source,
                           "message": p.date_note.message(lang)} for p in self.plans if p.date_note],
                "column_issues": [{"column": c.column, "reason": c.reason, "count": c.count, "shape": c.shape,
                                   "message": c.message(lang)} for c in self.column_issues],
                "actions_created": self.actions_created,
                "errors": problem_rows(self.problems[:max_errors], lang)}


def problem_rows(problems: list[Problem], lang: str, mask: Callable[[str, str], str] | None = None
                 ) -> list[dict[str, object]]:
    """Problems as dicts with the reason translated; ``mask(column, value)`` hides personal data."""
    return [{"row": p.row, "column": p.column, "value": mask(p.column, p.value) if mask else p.value,
             "reason": t(p.reason, lang, **dict(p.values))} for p in problems]


def error_frame(report: ImportReport, lang: str) -> pd.DataFrame:
    """The invalid rows as they were in the file, with their row number and the reason, unmasked: it
    leaves the app only through ``present.error_workbook`` (masked per role, audited)."""
    frame = pd.concat(report.error_rows, ignore_index=True) if report.error_rows else pd.DataFrame()
    if not frame.empty:
        frame["_reason"] = [t(k, lang, **v) for k, v, _h in frame["_reason"]]
        frame = frame.rename(columns={"_row": t("ingest.col.row", lang), "_sheet": t("ingest.col.sheet", lang),
                                      "_reason": t("ingest.col.reason", lang)})
    return frame


def plan_tables(engine: Engine, tables: list[RawTable], override: dict[str, str] | None) -> list[TablePlan]:
    """Header and mapping per table: automatic, then a saved template for the header set, then ``override``."""
    plans = []
    for table in tables:
        header = detect_header(table)
        auto = mapping_mod.auto_mapping(table, header)
        found = mapping_mod.find_template(engine, header.names)
        merged = mapping_mod.merge(mapping_mod.merge(auto, found[1] if found else None), override)
        plans.append(TablePlan(table, header, merged, found[0] if found else None))
    return plans


def read_plans(engine: Engine, src: Source, file_name: str, *, mapping: dict[str, str] | None = None,
               sheets: list[str] | None = None, caps: Caps = CAPS, chunk_rows: int = CHUNK_ROWS,
               tables: list[RawTable] | None = None) -> list[TablePlan]:
    """Open the file and plan every table (for the page's preview and mapping editor). ``tables``: the
    file's tables already opened (``ingest.staging``), so the file is not read again."""
    unknown = mapping_mod.check_fields(mapping or {})
    if unknown:
        raise IngestError("ingest.err.unknown_field", file=file_name, fields=", ".join(sorted(set(unknown))))
    try:
        tables = open_tables(src, file_name, caps, sheets) if tables is None else tables
        for table in tables:
            table.chunk_rows = chunk_rows
        return plan_tables(engine, tables, mapping)
    except IngestError:
        raise
    except Exception as exc:  # a hostile file gets an answer, never a traceback
        raise unexpected(file_name, exc) from exc


def _iter_checked(plans: list[TablePlan], report: ImportReport, progress: Progress | None
                  ) -> Iterator[tuple[TablePlan, pd.DataFrame, Checked]]:
    total = max(1, sum(p.table.est_rows - p.header.row - 1 for p in plans))
    done = 0
    for plan in plans:
        headers = plan.header.names
        for raw in plan.table.chunks(plan.header.row + 1):
            checked = validate_chunk(raw, plan.columns, plan.attributes, headers, text_cells=plan.table.text_cells,
                                     date1904=plan.table.date1904, date_order=plan.date_order)
            report.rows_read += int((~checked.blank).sum())
            report.rows_valid += int(checked.valid.sum())
            report.add_problems(checked, raw, headers, plan.table.sheet)
            yield plan, raw, checked
            done += len(raw)
            if progress:
                progress(min(0.99, done / total), done)
    report.summarise_columns()


def prepared_chunks(report: ImportReport, pii_key: bytes, reject: bool, progress: Progress | None,
                    backlog: Backlog | None) -> Iterator[Prepared]:
    """The valid rows of ``report.plans``, chunk by chunk, ready to write; counts go to ``report``. Each
    chunk's comments go to ``backlog`` (None: not analysed) as it is read, ``Prepared.text`` its ticket."""
    for _plan, _raw, checked in _iter_checked(report.plans, report, progress):
        if reject and report.rows_skipped:
            continue  # keep validating for the report; nothing is committed
        chunk = prepare(checked.data[checked.valid], pii_key)
        comments = chunk.lists.get("comment")
        if backlog is not None and comments is not None:
            chunk.text = backlog.submit(comments, chunk.lists.get("language") or [None] * chunk.n)
        yield chunk


def _several_chunks(report: ImportReport) -> bool:
    """Whether the file is read in more than one chunk: only then is a helper process worth starting."""
    return any(p.table.est_rows - p.header.row - 1 > p.table.chunk_rows for p in report.plans) or len(
        report.plans) > 1


def resolve_date_order(plan: TablePlan, date_order: str | None) -> None:
    """Fix the order of the date column's year-last dates before any row is read, and note why.

    A choice in the mapping (or its template) wins, then ``date_order`` (the CLI's ``--date-order``), then
    the values: the first rows, and when they leave it open (every part 12 or less, e.g. a file sorted by
    date that starts on the 1st) the whole column, read once more. A column no value decides is read
    month-first under an English header and day-first otherwise. The resolved order goes into the mapping
    (``occurred_at:dmy``) so every later read of the file and the report see the same."""
    found = [(h, f) for h, f in plan.mapping.items() if mapping_mod.base_field(f) == mapping_mod.DATE_FIELD]
    if not found:
        return
    header, choice = found[0]
    chosen = mapping_mod.date_order_of(choice) or date_order
    if chosen:
        plan.mapping[header] = f"{mapping_mod.DATE_FIELD}:{chosen}"
        plan.date_note = DateNote(header, chosen, "chosen")
        return
    pos = list(plan.mapping).index(header)
    head = [r[pos] if pos < len(r) else None for r in plan.table.head[plan.header.row + 1:]]
    order, shaped = infer_date_order(as_text(pd.Series(head, dtype=object), False))
    if order is None and shaped:
        for raw in plan.table.chunks(plan.header.row + 1):
            order, _ = infer_date_order(as_text(raw[pos], plan.table.text_cells))
            if order:
                break
    if order is None and not shaped:
        return  # no year-last dates in sight: nothing to decide or to state
    source = "inferred" if order else "default"
    order = order or ("mdy" if header.isascii() else "dmy")
    plan.mapping[header] = f"{mapping_mod.DATE_FIELD}:{order}"
    plan.date_note = DateNote(header, order, source)


def _start(src: Source, file_name: str, engine: Engine, mapping: dict[str, str] | None, sheets: list[str] | None,
           caps: Caps, chunk_rows: int, report: ImportReport, tables: list[RawTable] | None,
           date_order: str | None = None) -> bool:
    """Read and plan; on a refusal fill ``report`` and return False."""
    try:
        report.plans = read_plans(engine, src, file_name, mapping=mapping, sheets=sheets, caps=caps,
                                  chunk_rows=chunk_rows, tables=tables)
        for plan in report.plans:
            resolve_date_order(plan, date_order)
            missing = plan.missing()
            if missing:
                raise IngestError("ingest.err.required", file=plan.table.label,
                                  fields=", ".join(t(f"ingest.field.{m}", "en") if "|" not in m else m
                                                   for m in missing))
            if plan.table.est_rows <= plan.header.row + 1:
                raise IngestError("ingest.err.no_rows", file=plan.table.label)
    except IngestError as exc:
        report.status, report.error = "rejected", exc
        return False
    return True


def check_file(engine: Engine, src: Source, file_name: str, *, mapping: dict[str, str] | None = None,
               sheets: list[str] | None = None, caps: Caps = CAPS, progress: Progress | None = None,
               chunk_rows: int = CHUNK_ROWS, tables: list[RawTable] | None = None, file_hash: str | None = None,
               date_order: str | None = None) -> ImportReport:
    """Validate without writing: counts, the first problems and the error rows for the report.
    ``tables`` and ``file_hash`` (of the whole file): what ``ingest.staging`` already read;
    ``date_order`` as in ``import_file``."""
    t0 = time.perf_counter()
    report = ImportReport(file_name, content_hash=file_hash or "")
    if _start(src, file_name, engine, mapping, sheets, caps, chunk_rows, report, tables, date_order):
        try:
            for _ in _iter_checked(report.plans, report, progress):
                pass
            if report.rows_read == 0:
                raise IngestError("ingest.err.no_rows", file=file_name)
        except IngestError as exc:
            report.status, report.error = "rejected", exc
        except Exception as exc:  # a hostile file gets an answer, never a traceback
            report.status, report.error = "rejected", unexpected(file_name, exc)
    report.seconds = time.perf_counter() - t0
    return report


class _Rejected(Exception):
    """Invalid rows under ``on_invalid='reject'``: roll everything back."""


def _file_identity(src: Source, sheets: list[str] | None, file_hash: str | None) -> str:
    digest = file_hash or content_hash(src)
    if sheets:  # a chosen subset of sheets is a different import of the same workbook
        digest = hashlib.sha256(f"{digest}:{json.dumps(sorted(sheets), ensure_ascii=False)}".encode()).hexdigest()
    return digest


def find_done(conn: Connection, file_hash: str) -> dict[str, object] | None:
    b = _batches.c
    row = conn.execute(select(b.id, b.started_at, b.user_name, b.rows_imported).where(
        b.content_hash == file_hash, b.status == "done").order_by(b.id)).first()
    if row is None:
        return None
    return {"batch": row.id, "when": f"{row.started_at:%Y-%m-%d %H:%M}", "user": row.user_name or "-",
            "rows": f"{row.rows_imported:,}"}


def _open_batch(held: Lease, report: ImportReport, user: str, source: str | None, size: int) -> int | None:
    """Write the ``running`` batch row with its lease taken before the commit, unless a finished batch has
    the same content (then None)."""
    with held.transaction() as conn:
        report.previous = find_done(conn, report.content_hash)
        if report.previous:
            return None
        batch_id = int(conn.execute(_batches.insert().values(
            file_name=report.file_name[:255], content_hash=report.content_hash, source=source, user_name=user,
            started_at=dt.datetime.now(), status="running", is_demo=False)).inserted_primary_key[0])
        held.bind(conn, batch_id)
        sheets = [p.table.sheet for p in report.plans if p.table.sheet]
        conn.execute(_details.insert().values(batch_id=batch_id, file_size=size,
                                              sheets=json.dumps(sheets, ensure_ascii=False) if sheets else None))
    return batch_id


def _close_batch(engine: Engine, report: ImportReport, status: str, error: IngestError, user: str,
                 seconds: float) -> None:
    with write_transaction(engine) as conn:
        conn.execute(update(_batches).where(_batches.c.id == report.batch_id).values(
            status=status, finished_at=dt.datetime.now(), duration_s=seconds, rows_imported=0,
            rows_skipped=report.rows_skipped, rows_duplicate=0))
        conn.execute(update(_details).where(_details.c.batch_id == report.batch_id).values(
            error=mask_text(error.stored()), rows_total=report.rows_read))
        audit.record(conn, user, "import", target=f"batch:{report.batch_id}", rows=0, file_hash=report.content_hash,
                     detail={"batch_id": report.batch_id, "status": status, "rows_skipped": report.rows_skipped})


def _existing_keys(conn: Connection, keys: list[str]) -> set[str]:
    return {r[0] for r in lookup(conn, "responses", ("row_key",), "row_key", keys)}


def _resolved(values: list[object], fn: Callable[[object], object]) -> list[object]:
    """``fn`` once per distinct value (a million rows carry a handful of channels)."""
    found = {v: fn(v) for v in set(values)}
    return [found[v] for v in values]


class _Writer:
    """Writes validated chunks of one batch inside the open transaction."""

    def __init__(self, conn: Connection, batch_id: int, pii_key: bytes, source: str | None,
                 text: TextConfig | None, backlog: Backlog | None, fail_after: int | None = None) -> None:
        self.conn, self.batch_id, self.source, self.backlog = conn, batch_id, source, backlog
        self.text = text_store.BatchText(conn, batch_id, text.version) if text is not None else None
        self.refs = References(conn)
        self.customers = Customers(conn, pii_key, batch_id)
        self.fail_after = fail_after
        self.next_id = next_id(conn, Response.__table__)
        self.imported = self.duplicate = 0
        self.rollup = BatchRollup(conn, batch_id)  # every rollup summed from the chunks as they are written

    def write(self, chunk: Prepared) -> None:
        n, lists = chunk.n, chunk.lists

        def col(f: str) -> list[object]:
            if f not in lists:
                lists[f] = [None] * n
            return lists[f]

        refs = self.refs
        default = refs.channel_id(self.source)  # --source / the page's picker, for rows without a channel
        channels = _resolved(col("channel"), lambda v: default if v is None else refs.channel_id(v))
        stages = _resolved(col("stage"), refs.stage_id)
        tps = _resolved(list(zip(col("touchpoint"), stages, strict=True)), lambda p: refs.touchpoint_ids(*p))
        touchpoints, stages = [tp for tp, _ in tps], [s for _, s in tps]
        phones, emails, phone_h, email_h = col("phone_display"), col("email"), chunk.phone_h, chunk.email_h
        keys = col("customer_key")
        at_s, day, attrs = chunk.at_s, chunk.day, chunk.attrs
        # Customers before duplicates: the row key covers the customer (``row_key``). A duplicate's identity is
        # already stored, so resolving it creates no customer.
        cids = self.customers.resolve(keys, phones, emails, col("name"), col("segment"), col("region"), phone_h,
                                      email_h)
        attribute_ids = {a: refs.attribute_id(a.removeprefix(mapping_mod.ATTRIBUTE)) for a in attrs}
        rated = rating_texts(n, {attribute_ids[a]: col(a) for a in attrs})
        rk = row_keys(chunk.content, channels, stages, touchpoints, cids, rated)
        # Earlier chunks of this file are in the table already: the unique index answers for them too.
        seen: set[str] = set()
        existing = _existing_keys(self.conn, list(dict.fromkeys(rk)))
        keep = []
        for i, k in enumerate(rk):
            if k in existing or k in seen:
                continue
            seen.add(k)
            keep.append(i)
        self.duplicate += n - len(keep)
        if not keep:
            if chunk.text is not None:
                self.backlog.attach(chunk.text, None, None)
            return
        everything = len(keep) == n  # the common case: no duplicates, so no copying

        def pick(values: list[object]) -> list[object]:
            return values if everything else [values[i] for i in keep]

        ids = list(range(self.next_id, self.next_id + len(keep)))
        self.next_id += len(keep)
        columns = {"id": ids, "batch_id": [self.batch_id] * len(keep), "row_key": pick(rk), "customer_id": pick(cids),
                   "channel_id": pick(channels), "stage_id": pick(stages), "touchpoint_id": pick(touchpoints),
                   "occurred_at": pick(at_s), "occurred_date": pick(day)}
        for f in RESPONSE_COLUMNS[len(columns):]:
            columns[f] = pick(col(f))
        bulk_insert(self.conn, Response.__table__, RESPONSE_COLUMNS,
                    zip(*(columns[c] for c in RESPONSE_COLUMNS), strict=True))
        ratings = []
        for a in attrs:
            aid = attribute_ids[a]
            ratings += [(rid, aid, s) for rid, s in zip(ids, pick(col(a)), strict=True) if s is not None]
        if ratings:
            bulk_insert(self.conn, Rating.__table__, ("response_id", "attribute_id", "score"), ratings)
        self.rollup.add(columns, pd.DataFrame(ratings, columns=["response_id", "attribute_id", "score"]))
        if chunk.text is not None:  # stored once analysed: now or at a later chunk's ``poll``, or at ``drain``
            counted = {c: columns[c] for c in text_store.BatchText.COLUMNS}
            self.backlog.attach(chunk.text, counted, None if everything else keep)
            self.backlog.poll(self.text.add)
        self.imported += len(keep)
        if self.fail_after is not None and self.imported >= self.fail_after:
            raise RuntimeError(f"injected failure after {self.imported} rows")


def import_file(engine: Engine, src: Source | str, file_name: str | None = None, *, user: str,
                source: str | None = None, mapping: dict[str, str] | None = None, on_invalid: str = "skip",
                sheets: list[str] | None = None, caps: Caps = CAPS, progress: Progress | None = None,
                fail_after: int | None = None, chunk_rows: int = CHUNK_ROWS, tables: list[RawTable] | None = None,
                file_hash: str | None = None, date_order: str | None = None, waiting: Waiting | None = None,
                wait_limit_s: float | None = None) -> ImportReport:
    """Import one file as one batch (see the module docstring). ``fail_after`` is a test hook: raise
    after that many rows were written, to prove the rollback. Raises ``ImportFailed`` when the database
    write fails (the batch is then marked failed); refusals come back as a report with status rejected,
    and so does a file none of whose rows is valid. ``date_order`` applies to date columns whose mapping
    chooses no order (``resolve_date_order``).
    ``tables`` and ``file_hash`` (SHA-256 of the whole file): what ``ingest.staging`` already read.

    On SQLite imports queue (``lease.import_slot``): ``waiting`` hears about the import in progress while
    this one waits, at most ``wait_limit_s`` (default: the ``import_wait_minutes`` setting), after which
    a ``faults.wait_timeout`` Fault is raised. The batch is leased (``lease.Lease``) for its lifetime, so a
    killed importer leaves a batch that the next start marks ``interrupted``."""
    if isinstance(src, str):
        src = Path(src)
    file_name = file_name or (src.name if isinstance(src, Path) else "upload")
    t0 = time.perf_counter()
    report = ImportReport(file_name)
    if not _start(src, file_name, engine, mapping, sheets, caps, chunk_rows, report, tables, date_order):
        report.seconds = time.perf_counter() - t0
        return report
    report.content_hash = _file_identity(src, sheets, file_hash)
    with import_slot(engine, file_name, user, waiting=waiting, limit_s=wait_limit_s) as slot, Lease(engine) as held:
        report.waited_s = slot.waited_s
        _write_batch(engine, src, file_name, held, slot, report, user=user, source=source, on_invalid=on_invalid,
                     progress=progress, fail_after=fail_after, t0=t0)
    report.seconds = time.perf_counter() - t0
    return report


def _write_batch(engine: Engine, src: Source, file_name: str, held: Lease, slot: Slot, report: ImportReport, *,
                 user: str, source: str | None, on_invalid: str, progress: Progress | None,
                 fail_after: int | None, t0: float) -> None:
    """Steps 2-5 of the module docstring, at the head of the queue and under the batch's lease."""
    report.batch_id = _open_batch(held, report, user, source, size_of(src))
    if report.batch_id is None:
        report.status = "duplicate_file"
        return

    def publish(frac: float, rows: int) -> None:
        slot.progress(frac)
        if progress:
            progress(frac, rows)

    pii_key = hash_key(engine)
    try:
        with engine.connect() as session, sorts_on_disk(session), write_transaction(session) as conn:
            if conn.dialect.name == "postgresql":
                # Durability of this one commit only: a crash in the next ~0.6 s loses the import, never
                # corrupts anything; its lease goes with the session and the next start marks it interrupted.
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            text = text_store.import_config(conn)
            incoming = sum(p.table.est_rows - p.header.row - 1 for p in report.plans)
            analyses = text_store.Analyses(text) if text is not None else None
            with Backlog(analyses, helper=_several_chunks(report)) if analyses else nullcontext() as backlog:
                writer = _Writer(conn, report.batch_id, pii_key, source, text, backlog, fail_after)
                report.bulk_load = bulk_worth_it(incoming, writer.next_id - 1)
                defer = report.bulk_load and readers_keep_going(conn)
                chunks = prepared_chunks(report, pii_key, on_invalid == "reject", publish, backlog)
                # response_text's indexes come back last: its rows are written until ``drain`` ends
                with deferred_indexes(conn, TEXT_TABLES) if defer and backlog else nullcontext():
                    with deferred_indexes(conn, BULK_TABLES, LOOKUP_INDEXES) if defer else nullcontext(), closing(
                            chunks):
                        for chunk in chunks:
                            with gc_paused():  # a chunk's rows, tuples and lists: freed by reference counting
                                writer.write(chunk)
                    if report.rows_read == 0:
                        raise IngestError("ingest.err.no_rows", file=file_name)
                    if report.rows_valid == 0:  # nothing to import is a failed import, whatever on_invalid says
                        raise IngestError("ingest.err.no_valid_rows", file=file_name, rows=f"{report.rows_read:,}")
                    if on_invalid == "reject" and report.rows_skipped:
                        raise _Rejected
                    report.rows_imported, report.rows_duplicate = writer.imported, writer.duplicate
                    report.created, report.unmatched = writer.refs.created, writer.refs.unmatched
                    for table in (Customer.__table__, Response.__table__):
                        sync_sequence(conn, table)
                    writer.rollup.finish()  # the helper analyses on meanwhile, as through the index rebuilds
                    if backlog is not None:
                        backlog.drain(writer.text.add)  # what is left, on both cores
            if writer.text is not None:
                writer.text.finish(defer)  # the rollups of the comments' terms and topics
            report.actions_created = route_batch(conn, report.batch_id).total  # same transaction: no rows, no items
            report.seconds = time.perf_counter() - t0
            conn.execute(update(_batches).where(_batches.c.id == report.batch_id).values(
                status="done", finished_at=dt.datetime.now(), duration_s=report.seconds,
                rows_imported=report.rows_imported, rows_skipped=report.rows_skipped,
                rows_duplicate=report.rows_duplicate))
            conn.execute(update(_details).where(_details.c.batch_id == report.batch_id).values(
                rows_total=report.rows_read,
                created_refs=json.dumps(report.created, ensure_ascii=False) if report.created else None))
            audit.record(conn, user, "import", target=f"batch:{report.batch_id}", rows=report.rows_imported,
                         file_hash=report.content_hash,
                         detail={"batch_id": report.batch_id, "status": "done", "rows_skipped": report.rows_skipped,
                                 "rows_duplicate": report.rows_duplicate, "customers_created": writer.customers.created,
                                 "source": source, "actions_created": report.actions_created})
        report.status = "done"
        after_import(engine)  # committed above; alert failures are logged, never raised
    except _Rejected:
        report.status = "rejected"
        report.error = IngestError("ingest.err.invalid_rows", file=file_name, rows=f"{report.rows_skipped:,}")
        _close_batch(engine, report, "rejected", report.error, user, time.perf_counter() - t0)
    except IngestError as exc:
        report.status, report.error = "rejected", exc
        _close_batch(engine, report, "rejected", exc, user, time.perf_counter() - t0)
    except Exception as exc:
        report.status = "failed"
        report.error = ImportFailed(report.batch_id, f"{type(exc).__name__}: {exc}"[:500])
        _close_batch(engine, report, "failed", report.error, user, time.perf_counter() - t0)
        raise report.error from exc
    finally:
        if progress and report.status == "done":
            progress(1.0, report.rows_read)
