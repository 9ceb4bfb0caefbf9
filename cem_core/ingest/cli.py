"""``python -m cem_core import FILE...``: the upload page's code path for scheduled jobs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import Engine

from cem_core.faults import EXIT_BAD_INPUT, Fault, classify
from cem_core.i18n import t
from cem_core.ingest.errors import ImportFailed, IngestError, unexpected
from cem_core.ingest.lease import Holder
from cem_core.ingest.load import ImportReport, import_file
from cem_core.ingest.mapping import load_mapping_file
from cem_core.ingest.present import report_columns
from cem_core.privacy.masking import mask_value


def waiting_message(holder: Holder, waited: float, lang: str) -> str:
    """What a queued import says about the one it waits for (the page shows the same text)."""
    if not holder.file:
        return t("faults.waiting_unknown", lang, waited=f"{waited:.0f}")
    return t("faults.waiting", lang, file=holder.file, user=holder.user or "?", started=holder.started,
             host=holder.host, pid=holder.pid, progress=f"{holder.progress:.0%}", waited=f"{waited:.0f}")


def run_import(engine: Engine, args: argparse.Namespace) -> int:
    """Exit 0 when every file landed (or was already there), 1 when any was rejected or failed on its
    content; a database or disk fault is raised for ``cli.main`` to report with its own exit code."""
    try:
        mapping = load_mapping_file(args.mapping) if args.mapping else None
    except (OSError, ValueError) as exc:
        print(f"error: --mapping {args.mapping}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    limit = None if args.wait_minutes is None else args.wait_minutes * 60

    def waiting(holder: Holder, waited: float) -> None:
        print(f"\r{waiting_message(holder, waited, args.lang)}", end="", file=sys.stderr, flush=True)

    worst = 0
    for name in args.files:
        path = Path(name)

        def progress(frac: float, rows: int, path: Path = path) -> None:
            print(f"\r{path.name}: {frac:6.1%} {rows:>10,} rows", end="", file=sys.stderr, flush=True)

        if not path.is_file():
            report = ImportReport(path.name, status="rejected", error=IngestError("ingest.err.parse", file=name,
                                                                                 error="no such file"))
        else:
            try:
                report = import_file(engine, path, user=args.user, source=args.source, mapping=mapping,
                                     on_invalid=args.on_invalid, sheets=args.sheet, progress=progress,
                                     waiting=waiting, wait_limit_s=limit, date_order=args.date_order)
            except ImportFailed as exc:
                fault = classify(exc, engine.url.render_as_string(hide_password=False))
                if fault is not None:
                    raise fault from exc
                report = ImportReport(path.name, status="failed", batch_id=exc.batch_id, error=exc)
            except Fault:
                raise
            except Exception as exc:  # whatever the file, the answer is a report, never a traceback
                fault = classify(exc, engine.url.render_as_string(hide_password=False))
                if fault is not None:  # the database or the disk, not the file: exit 2 and up
                    raise fault from exc
                report = ImportReport(path.name, status="rejected", error=unexpected(path.name, exc))
            finally:
                print(file=sys.stderr)  # ends the progress (or waiting) line, also before a fault's line
            if report.waited_s >= 1:
                print(t("faults.waited", args.lang, waited=f"{report.waited_s:.0f}"), file=sys.stderr)
        summary = report.summary(args.lang)
        kinds = report_columns(report)
        for err in summary["errors"]:  # the file's own values, but logs of scheduled jobs travel: mask PII
            err["value"] = str(mask_value(kinds.get(str(err["column"]), "text"), str(err["value"])))
        if args.json:
            print(json.dumps(summary, ensure_ascii=False, default=str))
        else:
            print(summary["message"])
            for note in [*summary["dates"], *summary["column_issues"]]:
                print(f"  {note['message']}")
            for err in summary["errors"]:
                print(f"  row {err['row']} [{err['column']}] {err['value']!r}: {err['reason']}")
        if not report.ok:
            worst = 1
    return worst
