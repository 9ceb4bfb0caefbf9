"""Command line: ``python -m cem_core migrate | demo | stats | import | actions``, on the same functions as the app.

Every command reads ``CEM_DATABASE_URL`` (else secrets.toml, else data/cem.db), brings the schema up
to date first, so a scheduled job never runs against an old schema, and settles imports whose process
died (``lease.settle_interrupted``). A database or disk fault ends in one translated line (or a JSON
object with ``--json``) and an exit code from ``faults``, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cem_core import audit
from cem_core.act import cli as act_cli
from cem_core.alerts.deliver import DEFAULT_RETRY, send_email, with_retries
from cem_core.alerts.messages import AlertText
from cem_core.alerts.run import run_alerts
from cem_core.analyze.overview import DEFAULT_WINDOW_DAYS, build_overview
from cem_core.analyze.queries import Filters, date_bounds
from cem_core.analyze.rollup import rebuild_all
from cem_core.config import LANGUAGES, database_url, secret_table
from cem_core.db import get_engine, migrate, read_only_url, write_transaction
from cem_core.demo.catalog import INDUSTRIES
from cem_core.demo.generator import DEFAULT_END, load_demo, remove_demo
from cem_core.faults import EXIT_BAD_INPUT, EXIT_CODES_HELP, EXIT_NOT_WRITABLE, Fault, classify, location
from cem_core.i18n import t
from cem_core.ingest.cli import run_import
from cem_core.ingest.lease import settle_on_start
from cem_core.journey.peakend import peak_end
from cem_core.privacy.hashing import PiiKeyError, hash_key, rekey
from cem_core.reports.executive import build_report
from cem_core.reports.pdf import to_pdf
from cem_core.reports.xlsx import to_xlsx
from cem_core.text import cli as text_cli
from cem_core.text.store import place_cells_from_stored

Command = Callable[[Engine, argparse.Namespace], int]
COMMANDS: dict[str, Command] = {}
READS_ONLY = {"stats", "peakend"}  # commands that still answer from a database they cannot write


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn
    return register


def cli_actor() -> str:
    """Who the audit log names for command-line actions: the operating-system user."""
    return f"cli:{os.environ.get('USER', 'unknown')}"


@command("migrate")
def _migrate(engine: Engine, args: argparse.Namespace) -> int:
    print(f"schema up to date: {engine.url.render_as_string(hide_password=True)}")
    return 0


@command("demo")
def _demo(engine: Engine, args: argparse.Namespace) -> int:
    if args.remove:
        print(f"removed {remove_demo(engine, actor=cli_actor())} demo responses")
        return 0

    def progress(frac: float, stage: str) -> None:
        print(f"\r{stage:>8} {frac:6.1%}", end="", file=sys.stderr, flush=True)

    result = load_demo(engine, rows=args.rows, industry=args.industry, seed=args.seed, end=args.end,
                       progress=progress, actor=cli_actor())
    print(file=sys.stderr)
    print(f"demo batch {result.batch_id}: {result.responses} responses, {result.customers} customers, "
          f"{result.ratings} attribute ratings in {result.seconds:.1f} s")
    return 0


@command("rollup")
def _rollup(engine: Engine, args: argparse.Namespace) -> int:
    with write_transaction(engine) as conn:
        rebuild_all(conn)
        place_cells_from_stored(conn)  # the journey map's text cells hold each comment's region, product, segment
    print("rollup rebuilt")
    return 0


@command("import")
def _import(engine: Engine, args: argparse.Namespace) -> int:
    """Import files on the upload page's code path; exit 1 when any file is rejected or fails."""
    return run_import(engine, args)


@command("actions")
def _actions(engine: Engine, args: argparse.Namespace) -> int:
    return act_cli.run(engine, args, cli_actor())


@command("stats")
def _stats(engine: Engine, args: argparse.Namespace) -> int:
    """KPIs of a date window that the output names as ``from``/``to`` (inclusive), so a figure is never read
    as covering more than it does; ``--all`` widens the window to the first and last stored day."""
    date_from, date_to = args.date_from, args.date_to
    if args.all:
        lo, hi = date_bounds(engine)
        date_from, date_to = date_from or lo, date_to or hi
    f = Filters(date_from=date_from, date_to=date_to, channels=tuple(args.channel or ()))
    ov = build_overview(engine, f, "en")
    figures: dict[str, object] = {"from": None, "to": None}
    if ov:
        figures |= {"from": ov.date_from.isoformat(), "to": ov.date_to.isoformat(), **ov.current.as_dict()}
    else:
        figures |= {"from": date_from and date_from.isoformat(), "to": date_to and date_to.isoformat(),
                    "responses": 0, "nps": None, "csat": None, "ces": None}
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key:>16}: {value}")
    return 0


@command("alerts")
def _alerts(engine: Engine, args: argparse.Namespace) -> int:
    """Evaluate alert rules and deliver what fired (for cron); the same code runs after every import."""
    fired = run_alerts(engine, args.as_of, args.lang)
    print(json.dumps({"fired": fired}) if args.json else f"{len(fired)} new alerts")
    return 0


@command("report")
def _report(engine: Engine, args: argparse.Namespace) -> int:
    """The executive report as PDF or xlsx (by the --out suffix); ``--department`` scopes it like a lead's."""
    f = Filters(date_from=args.date_from, date_to=args.date_to, channels=tuple(args.channel or ()),
                departments=tuple(args.department or ()))
    report = build_report(engine, f, args.lang)
    if report is None:
        print("no feedback in the database", file=sys.stderr)
        return 1
    data = to_pdf(report) if args.out.suffix.lower() == ".pdf" else to_xlsx(report)
    args.out.write_bytes(data)
    audit.record(engine, cli_actor(), "report", target=str(args.out.name),
                 detail={"from": str(report.date_from), "to": str(report.date_to), "lang": args.lang,
                         "departments": list(f.departments)})
    print(f"{args.out}: {len(data):,} bytes, {report.date_from} to {report.date_to}")
    if args.email:
        title = t("report.title", args.lang)
        period = t("report.period", args.lang, date_from=report.date_from, date_to=report.date_to)
        attempts, error = with_retries(lambda: send_email(
            [a.strip() for a in args.email.split(",") if a.strip()], AlertText(f"{title} {report.date_from} – "
            f"{report.date_to}", period, {}), secret_table("smtp"), (args.out.name, data)), DEFAULT_RETRY)
        audit.record(engine, cli_actor(), "report_email", target=args.out.name,
                     detail={"attempts": attempts, "error": error})
        if error:
            print(f"email not sent after {attempts} attempts: {error}", file=sys.stderr)
            return 1
        print(f"emailed to {args.email}")
    return 0


@command("pii")
def _pii(engine: Engine, args: argparse.Namespace) -> int:
    """``pii rekey --old-key KEY``: re-hash stored phones and emails under the current key."""
    try:
        n = rekey(engine, args.old_key.encode())
    except PiiKeyError as exc:
        print(exc.message(), file=sys.stderr)
        return 1
    print(t("pii.key.rekeyed", None, n=f"{n:,}"))
    return 0


@command("peakend")
def _peakend(engine: Engine, args: argparse.Namespace) -> int:
    """Whether journeys' overall ratings follow the peak and end or the mean (``cem_core.journey.peakend``)."""
    f = Filters(date_from=args.date_from, date_to=args.date_to, channels=tuple(args.channel or ()))
    figures = peak_end(engine, f, args.measure).as_dict()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    print(f"journeys: {figures['journeys']}")
    for name in ("peak_end", "mean", "peak", "end", "trough"):
        fig = figures[name]
        print(f"{name:>9}: r = {fig['r']}  95% CI {fig['ci']}")
    print(f"   winner: {figures['winner']} by {figures['margin']} (95% CI {figures['margin_ci']}, "
          f"{'clear' if figures['clear'] else 'not clear'})")
    return 0


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="date_from", type=dt.date.fromisoformat)
    p.add_argument("--to", dest="date_to", type=dt.date.fromisoformat)
    p.add_argument("--channel", action="append", help="channel code; repeat for several")


class _Parser(argparse.ArgumentParser):
    """Usage errors are bad input: exit 1 (argparse's own 2 would read as an environment fault)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m cem_core", description="CEM Dashboard command line", epilog=EXIT_CODES_HELP,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database schema up to date")
    demo = sub.add_parser("demo", help="load deterministic demo feedback with planted truths")
    demo.add_argument("--rows", type=int, default=20_000)
    demo.add_argument("--industry", choices=sorted(INDUSTRIES), default="hotel")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--end", type=dt.date.fromisoformat, default=DEFAULT_END, help="last day (YYYY-MM-DD)")
    demo.add_argument("--remove", action="store_true", help="remove all demo data instead")
    sub.add_parser("rollup", help="rebuild the rollups the overview and analysis pages read")
    window = (f"Default window: the {DEFAULT_WINDOW_DAYS} days ending on the newest response's day (as the "
              "overview page). --all covers every date. The output always names the window as from/to.")
    stats = sub.add_parser("stats", help="responses, NPS, CSAT and CES of the filtered feedback",
                           description=f"Responses, NPS, CSAT and CES of the filtered feedback. {window}")
    stats.add_argument("--json", action="store_true", help="one JSON object with from, to (ISO, inclusive) "
                       "and the figures")
    stats.add_argument("--from", dest="date_from", type=dt.date.fromisoformat,
                       help="first day, YYYY-MM-DD (default: the start of the default window)")
    stats.add_argument("--to", dest="date_to", type=dt.date.fromisoformat,
                       help="last day, YYYY-MM-DD (default: the newest response's day)")
    stats.add_argument("--all", action="store_true", help="every date (the first to the last stored day)")
    stats.add_argument("--channel", action="append", help="channel code; repeat for several")
    pe = sub.add_parser("peakend", help="peak-end analysis: do peaks and ends or the mean predict the overall rating")
    pe.add_argument("--json", action="store_true")
    pe.add_argument("--measure", choices=("csat", "nps", "ces"), default="csat", help="touchpoint score")
    _filter_args(pe)
    al = sub.add_parser("alerts", help="alert rules: 'alerts run' evaluates them and sends what fired (cron)")
    al.add_argument("action", choices=("run",))
    al.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, help="evaluate as of this day")
    al.add_argument("--lang", choices=("zh", "en"))
    al.add_argument("--json", action="store_true")
    rep = sub.add_parser("report", help="executive report of a period as PDF or xlsx")
    rep.add_argument("--lang", choices=("zh", "en"), default="zh")
    rep.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.xlsx")
    rep.add_argument("--department", action="append", help="department code: that department's report only")
    rep.add_argument("--email", help="also email the file to these addresses (comma-separated; SMTP from secrets)")
    _filter_args(rep)
    pii = sub.add_parser("pii", help="the PII hash key: re-hash stored identities under a new key")
    pii_sub = pii.add_subparsers(dest="pii_command", required=True)
    rk = pii_sub.add_parser("rekey", help="re-hash stored phones and emails under the current key "
                            "(CEM_PII_HASH_KEY or the key file), after checking --old-key against the database")
    rk.add_argument("--old-key", required=True, help="the key the stored hashes were made with")
    imp = sub.add_parser("import", help="import feedback files (csv/tsv/xlsx/json) as one batch each")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--source", help="channel (code or name) for rows without a channel column")
    imp.add_argument("--mapping", help="JSON file mapping header -> field")
    imp.add_argument("--on-invalid", choices=("skip", "reject"), default="skip",
                     help="skip invalid rows (default) or reject the whole file; a file with no valid row "
                     "is rejected either way")
    imp.add_argument("--date-order", choices=("mdy", "dmy", "ymd"),
                     help="year-last dates like 09/15/2024 are month-first (mdy) or day-first (dmy), or only "
                     "year-first dates are accepted (ymd); default: inferred from the values, and when they "
                     "leave it open month-first under an English header, day-first otherwise")
    imp.add_argument("--sheet", action="append", help="xlsx sheet to read; repeat for several (default: all)")
    imp.add_argument("--user", default=os.environ.get("USER", "cli"), help="recorded as the uploader")
    imp.add_argument("--lang", choices=("zh", "en"), default="en")
    imp.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    imp.add_argument("--wait-minutes", type=float, default=None,
                     help="SQLite: how long to wait for an import in progress (default: import_wait_minutes)")
    act_cli.add_parsers(sub)
    text_cli.add_parsers(sub)
    return p


def _settle(engine: Engine, lang: str) -> None:
    """Mark imports whose process died as interrupted, and say so."""
    for batch in settle_on_start(engine, actor=cli_actor()):
        print(t("faults.interrupted", lang, batch=batch.batch_id, file=batch.file_name,
                started=f"{batch.started_at:%Y-%m-%d %H:%M:%S}"), file=sys.stderr)


def _lang(args: argparse.Namespace) -> str:
    """The language of ``--lang`` where a command has one (``sentiment`` also allows "auto"), else English."""
    return args.lang if getattr(args, "lang", None) in LANGUAGES else "en"


def report_fault(fault: Fault, url: str, args: argparse.Namespace) -> None:
    """One line on stderr; with ``--json`` also one JSON object on stdout."""
    lang = _lang(args)
    print(f"error: {fault.message(lang)}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"status": "error", "error": fault.kind, "exit_code": fault.exit_code,
                          "database": location(url), "message": fault.message(lang)}, ensure_ascii=False))


def _ready(engine: Engine, url: str, args: argparse.Namespace) -> Engine:
    """The engine migrated and settled; for a command that only reads, a SQLite database in a directory
    that cannot be written is read as immutable (``db.read_only_url``) instead of failing."""
    try:
        migrate(engine)
    except SQLAlchemyError as exc:
        fault = classify(exc, url)
        if args.command not in READS_ONLY or fault is None or fault.kind != "read_only_dir":
            raise
        return get_engine(read_only_url(url))
    _settle(engine, _lang(args))
    return engine


def main(argv: Sequence[str] | None = None, engine: Engine | None = None) -> int:
    args = parser().parse_args(argv)
    url = engine.url.render_as_string(hide_password=False) if engine else database_url()
    try:
        engine = _ready(engine or get_engine(url), url, args)
        if args.command != "pii":
            try:
                hash_key(engine)  # refuse to start on a PII hash key other than the stored hashes' (pii.py)
            except PiiKeyError as exc:
                print(exc.message(), file=sys.stderr)
                return 2
            except (SQLAlchemyError, OSError) as exc:  # no key yet and nowhere to keep one: a reader needs none
                fault = classify(exc, url)
                if args.command not in READS_ONLY or fault is None or fault.exit_code != EXIT_NOT_WRITABLE:
                    raise
        return {**COMMANDS, **text_cli.COMMANDS}[args.command](engine, args)
    except (SQLAlchemyError, OSError, Fault) as exc:
        fault = classify(exc, url)
        if fault is None:
            raise
        report_fault(fault, url, args)
        return fault.exit_code
