"""``python -m cem_core actions export|import|route``: the Actions page's functions for scripts and jobs.

The command line is the operator of the installation, so it acts as an admin; exports are still masked
unless ``--unmask`` is given, and every run is audited under ``cli:<os user>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sqlalchemy import Engine

from cem_core.act.excel import export_workbook, import_workbook
from cem_core.act.items import ActionError
from cem_core.act.rules import backfill, preview
from cem_core.auth.roles import User


def add_parsers(sub: argparse._SubParsersAction) -> None:
    actions = sub.add_parser("actions", help="action items: Excel export/import, routing over stored data")
    verbs = actions.add_subparsers(dest="verb", required=True)
    exp = verbs.add_parser("export", help="open items as an xlsx workbook, a sheet per department")
    which = exp.add_mutually_exclusive_group(required=True)
    which.add_argument("--department", action="append", metavar="CODE", help="department code; repeat for several")
    which.add_argument("--all", action="store_true", help="every department")
    exp.add_argument("--out", required=True, metavar="FILE.xlsx")
    exp.add_argument("--lang", choices=("zh", "en"), default="zh")
    exp.add_argument("--unmask", action="store_true", help="write names and phones unmasked (audited)")
    imp = verbs.add_parser("import", help="apply an edited export: status, owner, first contact, root cause, notes")
    imp.add_argument("file", metavar="FILE.xlsx")
    imp.add_argument("--lang", choices=("zh", "en"), default="en")
    imp.add_argument("--json", action="store_true", help="print {updated, unchanged, conflicts, errors, notices}")
    rt = verbs.add_parser("route", help="run the routing rules over stored responses")
    rt.add_argument("--since", type=dt.date.fromisoformat, help="only responses on or after this day")
    rt.add_argument("--preview", action="store_true", help="count what would be created, change nothing")


def run(engine: Engine, args: argparse.Namespace, actor: str) -> int:
    user = User(actor, "admin")
    lang = getattr(args, "lang", "en")
    try:
        if args.verb == "export":
            data, n = export_workbook(engine, user, None if args.all else args.department, lang, unmask=args.unmask)
            Path(args.out).write_bytes(data)
            print(f"{n} open items -> {args.out}")
            return 0
        if args.verb == "import":
            result = import_workbook(engine, Path(args.file), user)
            summary = result.summary(lang)
            if args.json:
                print(json.dumps(summary, ensure_ascii=False, default=str))
            else:
                print(f"updated {result.updated}, unchanged {result.unchanged}, conflicts {len(result.conflicts)}, "
                      f"errors {len(result.errors)}")
                for note in summary["notices"]:  # type: ignore[union-attr]
                    print(f"note: {note}")
                for m in [*summary["conflicts"], *summary["errors"]]:  # type: ignore[misc]
                    print(f"{m['sheet']} row {m['row']}: {m['message']}")
            return 0 if not result.errors and not result.conflicts else 1
        result = preview(engine, since=args.since) if args.preview else backfill(engine, actor=actor, since=args.since)
        print(json.dumps({"created" if not args.preview else "would_create": result.total,
                          "per_rule": result.created}))
        return 0
    except (ActionError, OSError) as exc:
        print(f"error: {exc.message(lang) if isinstance(exc, ActionError) else exc}", file=sys.stderr)
        return 2
