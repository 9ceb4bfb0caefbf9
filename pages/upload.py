"""Upload feedback files: preview, correct the column mapping, check, then import the valid rows or reject.

Each upload is read once (``ingest.staging``): widget changes rerun this script but reuse the staged
file. When an import finishes, or a file leaves the uploader, everything read from it leaves the session.
"""

import streamlit as st
from sqlalchemy.exc import OperationalError

from cem_core import audit
from cem_core.analyze.queries import dimension_table
from cem_core.db import brief_lock_wait, write_transaction
from cem_core.faults import Fault, classify
from cem_core.i18n import fmt_int
from cem_core.ingest.cli import waiting_message
from cem_core.ingest.errors import ImportFailed, IngestError
from cem_core.ingest.lease import Holder
from cem_core.ingest.load import check_file, import_file, read_plans
from cem_core.ingest.mapping import save_template
from cem_core.ingest.present import (
    CHOICES,
    choice_label,
    error_workbook,
    mapping_from_table,
    mapping_table,
    preview,
    problems_frame,
    reasons_frame,
    report_notes,
)
from cem_core.ingest.read import ACCEPTED_TYPES
from cem_core.ingest.staging import StagedFile, finished, stage
from cem_core.ui import cache
from cem_core.ui.context import T, lang, require
from cem_core.ui.faults import write_fault
from cem_core.ui.plain import plain

user = require("upload")
L = lang()
engine = cache.engine()
unmask = user.can("unmask_pii")
st.title(T("upload.title"))
st.caption(T("upload.intro", types=", ".join(ACCEPTED_TYPES)))
if write_fault() is not None:  # the app's notice above says why; nothing here could be saved
    st.stop()

channels = cache.query(dimension_table, "channels", L)
names = dict(zip(channels["code"], channels["name"], strict=True))
source = st.selectbox(T("upload.source"), [None, *names], format_func=lambda c: T("upload.source_file")
                      if c is None else names[c], help=T("upload.source_help"), key="upl_source")
files = st.file_uploader(T("upload.files"), type=list(ACCEPTED_TYPES), accept_multiple_files=True,
                         key="upl_files")
reports: dict[str, object] = st.session_state.setdefault("upl_reports", {})  # file key -> ImportReport
audited: set[str] = st.session_state.setdefault("upl_audited", set())
staged: dict[str, StagedFile] = st.session_state.setdefault("upl_staged", {})  # upload id -> StagedFile
done_ids: dict[str, object] = st.session_state.setdefault("upl_done", {})  # upload id -> finished report
present_ids = {upload.file_id for upload in files or []}
for gone in [u for u in staged if u not in present_ids]:  # removed from the uploader: forget what was read
    reports.pop(staged.pop(gone).key, None)
for gone in [u for u in done_ids if u not in present_ids]:
    del done_ids[gone]


def progress_bar(label: str):
    bar = st.progress(0.0, text=label)
    return bar, lambda frac, rows: bar.progress(min(frac, 1.0), text=T("upload.progress", file=label,
                                                                       rows=fmt_int(rows, L)))


def show_finished(report) -> None:
    (st.success if report.status == "done" else st.info)(plain(report.message(L)))
    for kind, values in report.created.items():
        st.info(T("upload.created", kind=T(f"ingest.field.{kind}") if kind != "attribute"
                  else T("upload.attributes"), values=plain("、".join(values))))
    for kind, values in report.unmatched.items():
        st.warning(T("upload.unmatched", kind=T(f"ingest.field.{kind}"), values=plain("、".join(values))))


pending: dict[str, int] = st.session_state.setdefault("upl_audit_pending", {})  # file hash -> bytes


def record_uploads() -> None:
    """Audit each uploaded file once. On SQLite an import in progress holds the only write lock for
    minutes: then the entries wait in the session for a later run instead of stalling this page."""
    for fid, size in list(pending.items()):
        try:
            with engine.connect() as conn, brief_lock_wait(conn, 300), write_transaction(conn) as tx:
                audit.record(tx, user.username, "upload", target=f"file:{fid[:12]}", file_hash=fid,
                             detail={"bytes": size})
        except OperationalError as exc:
            if (fault := classify(exc, cache.current_url())) is None or fault.kind != "busy":
                raise
            return
        audited.add(fid)
        del pending[fid]


for upload in files or []:
    st.subheader(plain(upload.name), divider="gray")
    if upload.file_id in done_ids:
        show_finished(done_ids[upload.file_id])
        continue
    data = upload.getvalue()  # Streamlit's own copy of the upload; not kept by this page
    try:
        if upload.file_id not in staged:
            staged[upload.file_id] = stage(upload.file_id, data, upload.name)
        file = staged[upload.file_id]
        fid, key = file.content_hash, file.key
        if fid not in audited:
            pending[fid] = file.size
            record_uploads()
        chosen = None
        if len(file.sheets) > 1:
            pick = st.selectbox(T("upload.sheet"), ["*", *file.sheets], key=f"upl_sheet_{key}",
                                format_func=lambda s: T("upload.all_sheets") if s == "*" else plain(s))
            chosen = None if pick == "*" else [pick]
        plans = read_plans(engine, data, upload.name, sheets=chosen, tables=file.tables(data, chosen))
        tables = file.readable(data, chosen)  # for the check and the import: None means open it again
    except IngestError as exc:
        st.error(plain(exc.message(L)))
        continue

    for plan in plans:
        st.caption(T("upload.preview", table=plain(plan.table.label), row=plan.header.row + 1,
                     rows=fmt_int(max(0, plan.table.est_rows - plan.header.row - 1), L)))
        if plan.template:
            st.info(T("upload.template_applied", name=plain(plan.template)))
        st.dataframe(preview(plan, unmask=unmask), hide_index=True, width="stretch")

    st.markdown(f"**{T('upload.mapping')}**")
    st.caption(T("upload.mapping_help"))
    edited = st.data_editor(
        mapping_table(plans), key=f"upl_map_{key}", hide_index=True, width="stretch", disabled=["header", "sample"],
        column_config={
            "header": st.column_config.TextColumn(T("upload.col_header")),
            "field": st.column_config.SelectboxColumn(T("upload.col_field"), options=list(CHOICES), required=True,
                                                      format_func=lambda c: choice_label(c, L)),
            "sample": st.column_config.TextColumn(T("upload.col_sample")),
        })
    mapping = mapping_from_table(edited)
    with st.popover(T("upload.template_save")):
        tname = st.text_input(T("upload.template_name"), key=f"upl_tname_{key}")
        if st.button(T("upload.template_save"), key=f"upl_tsave_{key}", disabled=not tname.strip()):
            for plan in plans:
                save_template(engine, tname.strip(), plan.header.names,
                              {h: mapping.get(h, f) for h, f in plan.mapping.items()}, user.username)
            st.success(T("upload.template_saved", name=plain(tname.strip())))

    if st.button(T("upload.check"), key=f"upl_check_{key}", type="secondary"):
        bar, report_progress = progress_bar(upload.name)
        reports[key] = check_file(engine, data, upload.name, mapping=mapping, sheets=chosen, progress=report_progress,
                                  tables=tables, file_hash=fid)
        bar.empty()
    report = reports.get(key)
    if report is None:
        continue
    if report.status == "rejected" and report.error is not None:
        st.error(plain(report.message(L)))
        continue
    cols = st.columns(3)
    cols[0].metric(T("upload.rows"), fmt_int(report.rows_read, L))
    cols[1].metric(T("upload.valid"), fmt_int(report.rows_valid, L))
    cols[2].metric(T("upload.invalid"), fmt_int(report.rows_skipped, L))
    date_notes, column_issues = report_notes(report, L)
    for note in date_notes:
        st.info(note)
    for issue in column_issues:  # one entry per column failing in nearly every row, instead of its row errors
        st.warning(issue)
    if report.rows_skipped:
        st.warning(T("upload.has_invalid", rows=fmt_int(report.rows_skipped, L)))
        left, right = st.columns([1, 2])
        left.dataframe(reasons_frame(report, L), hide_index=True)
        right.dataframe(problems_frame(report, L, unmask=unmask), hide_index=True)
        st.download_button(T("upload.download_errors"), lambda report=report: error_workbook(engine, user, report, L),
                           file_name=f"errors_{upload.name}.xlsx", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key=f"upl_dl_{key}")
    go, stop = st.columns(2)
    if go.button(T("upload.import_valid", rows=fmt_int(report.rows_valid, L)), key=f"upl_go_{key}", type="primary",
                 disabled=report.rows_valid == 0):
        bar, report_progress = progress_bar(upload.name)
        queued = st.empty()

        def waiting(holder: Holder, waited: float, queued=queued, bar=bar) -> None:
            queued.info(waiting_message(holder, waited, L), icon=":material/hourglass_top:")
            bar.progress(holder.progress, text=T("faults.progress_other", progress=f"{holder.progress:.0%}"))

        try:
            done = import_file(engine, data, upload.name, user=user.username, source=source, mapping=mapping,
                               on_invalid="skip", sheets=chosen, progress=report_progress, tables=tables,
                               file_hash=fid, waiting=waiting)
        except Fault as exc:  # waited longer than import_wait_minutes
            st.error(plain(exc.message(L)))
        except ImportFailed as exc:  # a database or disk fault is named as one, with the database
            st.error(plain((classify(exc, cache.current_url()) or exc).message(L)))
        else:
            cache.clear()
            # The import is over: nothing read from the file stays in the session, only its counts.
            done_ids[upload.file_id] = finished(done)
            reports.pop(key, None)
            staged.pop(upload.file_id, None)
            show_finished(done)
        record_uploads()  # entries kept while the import in progress held the lock
        queued.empty()
        bar.empty()
    if stop.button(T("upload.reject"), key=f"upl_stop_{key}"):
        reports.pop(key, None)
        st.info(T("upload.rejected_by_user", file=plain(upload.name)))
