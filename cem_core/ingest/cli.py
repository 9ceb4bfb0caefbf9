"""``python -m cem_core import FILE...``: the upload page's code path for scheduled jobs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import Engine

from cem_core.ingest.errors import ImportFailed, IngestError, unexpected
from cem_core.ingest.load import ImportReport, import_file
from cem_core.ingest.mapping import load_mapping_file
from cem_core.ingest.present import report_columns
from cem_core.privacy.masking import mask_value


def run_import(engine: Engine, args: argparse.Namespace) -> int:
    try:
        mapping = load_mapping_file(args.mapping) if args.mapping else None
    except (OSError, ValueError) as exc:
        print(f"error: --mapping {args.mapping}: {exc}", file=sys.stderr)
        return 2
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
                                     date_order=args.date_order)
            except ImportFailed as exc:
                report = ImportReport(path.name, status="failed", batch_id=exc.batch_id, error=exc)
            except Exception as exc:  # whatever the file, the answer is a report, never a traceback
                report = ImportReport(path.name, status="rejected", error=unexpected(path.name, exc))
            print(file=sys.stderr)
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
