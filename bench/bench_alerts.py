"""Executive report and alert evaluation at 1M responses.

    python bench/bench_alerts.py [--rows 1000000] [--url sqlite:///bench/out/demo_1m.db]   (BENCH_IMPORT_ROWS=100000)

Report: ``build_report`` for the last 365 days of the demo database, then the PDF and the xlsx (target
<= 15 s each, figures included). Alerts: seven rules (NPS overall and per touchpoint and segment, CSAT
per channel, CES per stage, negative-comment and topic spikes) are saved, a csv of ``BENCH_IMPORT_ROWS``
rows (default 100k) dated after the data is imported (the import runs the alert hook itself), and then
one more evaluation is timed on its own: its share of the import's time is the figure (target <= 5 %).

Before the two renders, each section of the report is timed on its own (the same calls ``build_report``
makes), so the cost of overview, key drivers, topics, verbatims, hot spots,
close the loop and alerts can be told apart. Each full report is printed with a reference full scan of
the responses measured just before it (``bench/ratios.py``) and the load average. ``BENCH_REPORT_COLD=1``
first builds both reports before any section has warmed the caches; ``BENCH_REPORT_SHIFT=N`` ends the
year N days before the last date (a window that cuts months, whose edge days the key drivers read from
rows); ``BENCH_REPORT_ONLY=1`` stops after the report (the alert part imports rows, which moves the
database's last date and so the report's window).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.demo_db import OUT, setup
from bench.ratios import reference
from cem_core.alerts.rules import Rule, list_rules, save_rule
from cem_core.alerts.run import run_alerts
from cem_core.analyze.overview import build_overview
from cem_core.analyze.queries import Filters, date_bounds
from cem_core.db import make_engine
from cem_core.ingest.load import import_file
from cem_core.reports.executive import (
    build_report,
    close_the_loop,
    hot_spots,
    period_alerts,
    top_drivers,
    top_topics,
    verbatims,
)
from cem_core.reports.pdf import to_pdf
from cem_core.reports.xlsx import to_xlsx

RULES = (Rule("bench nps", measure="nps"), Rule("bench tp", measure="nps", dimension="touchpoint"),
         Rule("bench seg", measure="nps", dimension="segment"), Rule("bench csat", measure="csat", dimension="channel"),
         Rule("bench ces", measure="ces", dimension="stage"), Rule("bench neg", measure="negative"),
         Rule("bench topic", measure="topic"))
COMMENTS = ("前台服务很热情", "入住等待时间太长", "房间干净整洁", "早餐种类不多", "客服电话打不通", "下次还会再来")


def _csv(path: Path, rows: int, start: dt.date) -> Path:
    rng = random.Random(5)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["日期", "推荐度", "满意度", "意见", "门店", "渠道"])
        for i in range(rows):
            day = start + dt.timedelta(days=i % 7)
            w.writerow([f"{day} {i % 24:02d}:{i % 60:02d}", rng.randint(0, 10), rng.randint(1, 5),
                        f"{rng.choice(COMMENTS)} {i}", "上海", "微信小程序"])
    return path


def _sections(engine, f: Filters) -> None:
    """Each section's query on its own, in ``build_report``'s order, then the two renders of one built
    report."""
    def timed(name: str, call):
        t0 = time.perf_counter()
        out = call()
        print(f"  section {name:<14} {time.perf_counter() - t0:7.2f} s")
        return out

    ov = timed("overview", lambda: build_overview(engine, f, "zh"))
    window = f.with_dates(ov.date_from, ov.date_to)
    timed("key drivers", lambda: top_drivers(engine, window, "zh"))
    topics = timed("topics", lambda: top_topics(engine, window, "zh"))
    timed("alerts", lambda: period_alerts(engine, None, ov.date_from, ov.date_to, "zh"))
    timed("verbatims", lambda: verbatims(engine, window, topics))
    timed("hot spots", lambda: hot_spots(engine, window, "zh"))
    timed("close the loop", lambda: close_the_loop(engine, window, "zh"))
    report = build_report(engine, f, "zh")
    for fmt, render in (("render pdf", to_pdf), ("render xlsx", to_xlsx)):
        timed(fmt, lambda render=render: render(report))


def _reports(url: str, engine, f: Filters) -> None:
    """The two full reports (built and rendered), each next to a fresh reference full scan of the same
    minute (``bench/ratios.py``): the ratio is comparable across machines and loads, the seconds not."""
    for fmt, render in (("pdf", to_pdf), ("xlsx", to_xlsx)):
        scan = reference(url, quiet=True)
        t0 = time.perf_counter()
        data = render(build_report(engine, f, "zh"))
        took = time.perf_counter() - t0
        print(f"report {fmt}: {took:.2f} s ({len(data):,} bytes)  {'OK' if took <= 15 else 'SLOW'} "
              f"({took / 15:.2f}x of the 15 s target); reference full scan {scan:.2f} s: {took / scan:.1f} scans  "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    import_rows = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    args, _ = setup(__doc__.splitlines()[0])
    engine = make_engine(args.url)
    _, last = date_bounds(engine)
    hi = last - dt.timedelta(days=int(os.environ.get("BENCH_REPORT_SHIFT", "0")))
    f = Filters(date_from=hi - dt.timedelta(days=364), date_to=hi)
    print(f"database: {args.url}  rows: {args.rows:,}  cpus: {os.cpu_count()} (shared machine)  "
          f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if os.environ.get("BENCH_REPORT_COLD"):  # a fresh process's first report, before any section ran
        _reports(args.url, engine, f)
    _sections(engine, f)
    _reports(args.url, engine, f)
    if os.environ.get("BENCH_REPORT_ONLY"):
        return
    have = {r.name for r in list_rules(engine)}
    for rule in RULES:
        if rule.name not in have:
            save_rule(engine, rule, "bench")
    path = _csv(OUT / f"alerts_import_{import_rows}.csv", import_rows, last + dt.timedelta(days=1))
    report = import_file(engine, path, user="bench")
    t0 = time.perf_counter()
    run_alerts(engine)
    evaluation = time.perf_counter() - t0
    share = evaluation / report.seconds
    print(f"import {import_rows:,} rows: {report.seconds:.2f} s ({report.status}); one alert evaluation "
          f"({len(RULES)} rules): {evaluation:.3f} s = {share:.1%} of the import  {'OK' if share <= 0.05 else 'SLOW'}")


if __name__ == "__main__":
    main()
