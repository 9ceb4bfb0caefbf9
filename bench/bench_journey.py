"""Time the journey page's queries at 1M responses against a plain full scan measured in the same run.

    [BENCH_CASES=region,channel] [BENCH_MEASURE=csat|nps|ces] python bench/bench_journey.py [--rows 1000000] [--url sqlite:///bench/out/demo_1m.db]

The reference is ``SELECT count(*), sum(nps), sum(csat), sum(spend) FROM responses``: one read of every
row. Each journey query is reported cold (first run on a new engine), warm (median of 3), CPU seconds of
this process (SQLite runs in it; less disturbed by a loaded machine than wall time) and each as a ratio
of the reference's; the plan column lists how the query reads ``responses`` (SQLite: EXPLAIN QUERY PLAN
SCAN/SEARCH lines; Postgres: EXPLAIN nodes on responses). Peak-end also prints how many journeys it read
from ``journey_rollup`` and the time of its numpy part (bootstrap over block sums). Targets: cold <= 2 s,
at most one full scan; one customer's lookup (by phone, keyed hash) plus card, timeline, journey figures
and action items <= 0.2 s, cold (new engine) and warm.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text

from bench.demo_db import setup
from cem_core.analyze import journey_cells as jc
from cem_core.analyze.overview import default_window
from cem_core.analyze.queries import Filters, date_bounds
from cem_core.db import make_engine
from cem_core.db.models import ActionItem, Customer, journey_rollup
from cem_core.journey import curve, journeymap, peakend, story

REFERENCE = "SELECT count(*), sum(nps), sum(csat), sum(spend) FROM responses"
TARGET_COLD = 2.0
TARGET_CUSTOMER = 0.2
REGION, PRODUCT = "华东", "行政套房"  # the demo's largest region (30 % of rows) and one of its five hotel products
CHANNEL = "app"  # the demo's largest channel (28 % of rows)

MEASURE = os.environ.get("BENCH_MEASURE", "csat")  # peak-end's measure: csat (the page's default), nps or ces

QUERIES = [
    ("peak-end analysis", peakend.peak_end, (MEASURE,),
     lambda e, f: peakend._summary_sql(f, MEASURE, e.dialect.name, peakend.source(e, f, MEASURE))),
    ("journey map (touchpoints)", journeymap.touchpoint_map, (), None),
    ("emotion curve (csat)", curve.emotion_curve, ("csat",),
     lambda e, f: curve.step_sums_sql(f, "csat", e.dialect.name, curve.rollup_answers(e, f))),
]


def _time(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def _cpu(fn, *args) -> float:
    """CPU seconds of this process (SQLite runs in it): less disturbed than wall time on a shared machine."""
    t0 = time.process_time()
    fn(*args)
    return time.process_time() - t0


def _reference(engine) -> None:
    with engine.connect() as conn:
        conn.execute(text(REFERENCE)).all()


def _response_reads(engine, stmt) -> list[str]:
    """Plan lines of a statement that read the responses table."""
    if engine.dialect.name != "sqlite":
        compiled = stmt.compile(engine, compile_kwargs={"render_postcompile": True})
        with engine.connect() as conn:
            plan = [row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)]
        return [p.strip().lstrip("-> ").split("  (")[0] for p in plan if " on responses" in p]
    compiled = stmt.compile(engine, compile_kwargs={"render_postcompile": True})
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    with engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)]
    return [p for p in plan if ("SCAN" in p or "SEARCH" in p) and "responses" in p.split(" USING")[0]]


def _peak_end_parts(engine, f: Filters) -> str:
    """Journeys read and the split of peak-end's CPU time: its SQL (``journey_rollup``) and the rest
    (bootstrap in numpy, touchpoint tables in pandas). CPU, not wall: the split must survive a loaded machine."""
    summary = peakend.source(engine, f, MEASURE)
    span = jc.max_span(engine) if summary != "rows" and (f.date_from or f.date_to) else None
    t0 = time.process_time()
    frame = peakend.read_frame(engine, peakend._summary_sql(f, MEASURE, engine.dialect.name, summary, span))
    sql = time.process_time() - t0
    read = f"{len(frame)} summary rows"
    if summary in peakend.PACKED:  # one row of packed journeys (``peakend._packed_journeys``), summed in numpy
        values = frame.iloc[0, 0].count(",") + 1  # SQLite: one column per value; Postgres: six values a journey
        read = f"{values // (6 if frame.shape[1] == 1 else 1):,} journeys packed in one row"
    t0 = time.process_time()
    res = peakend.peak_end(engine, f, MEASURE)
    whole = time.process_time() - t0
    with engine.connect() as conn:
        pieces = conn.execute(select(func.count()).select_from(journey_rollup)).scalar_one()
    return (f"   peak-end: {res.journeys:,} journeys ({pieces:,} journey_rollup rows; read from: {summary}), "
            f"{read}; CPU: SQL {sql:.3f} s, the rest (bootstrap in numpy, tables, "
            f"completeness and exposure checks) {whole - sql:.3f} s")


def main() -> None:
    args, _cache = setup(__doc__.splitlines()[0])
    engine = make_engine(args.url)
    lo, hi = date_bounds(engine)
    engine.dispose()
    year = default_window(lo, hi)
    cases = {"all dates": Filters(), "last 12 months (page default)": Filters().with_dates(*year),
             "12 months, segment VIP": Filters(segments=("VIP",)).with_dates(*year),
             "12 months, one region": Filters(regions=(REGION,)).with_dates(*year),
             "12 months, region + segment": Filters(regions=(REGION,), segments=("VIP",)).with_dates(*year),
             "12 months, one product": Filters(products=(PRODUCT,)).with_dates(*year),
             "all dates, one region": Filters(regions=(REGION,)),
             "12 months, channel + region": Filters(channels=(CHANNEL,), regions=(REGION,)).with_dates(*year)}
    only = os.environ.get("BENCH_CASES")  # e.g. "segment,region": only the cases whose name holds one of them
    if only:
        cases = {k: v for k, v in cases.items() if any(w in k for w in only.split(","))}
    print(f"database: {args.url.split('@')[-1]}  rows: {args.rows:,}  cpus: {os.cpu_count()}  (machine shared)")
    slow = 0
    ref_cold = 0.0
    for case, f in cases.items():
        engine = make_engine(args.url)
        ref_cold = _time(_reference, engine)
        ref = statistics.median(_time(_reference, engine) for _ in range(3))
        ref_cpu = statistics.median(_cpu(_reference, engine) for _ in range(3))
        engine.dispose()
        print(f"\n== {case}   reference full scan: cold {ref_cold:.3f} s, warm {ref:.3f} s, cpu {ref_cpu:.3f} s")
        print(f"{'query':<28} {'cold s':>7} {'warm s':>7} {'x scan':>7} {'cpu s':>7} {'x scan':>7}  reads of responses")
        for label, fn, extra, sql in QUERIES:
            engine = make_engine(args.url)
            cold = _time(fn, engine, f, *extra)
            warm = statistics.median(_time(fn, engine, f, *extra) for _ in range(3))
            cpu = statistics.median(_cpu(fn, engine, f, *extra) for _ in range(3))
            reads = _response_reads(engine, sql(engine, f)) if sql else []
            extra_line = _peak_end_parts(engine, f) if fn is peakend.peak_end else ""
            engine.dispose()
            slow += cold > TARGET_COLD
            print(f"{label:<28} {cold:7.3f} {warm:7.3f} {warm / ref:7.1f} {cpu:7.3f} {cpu / ref_cpu:7.1f}  "
                  f"{'; '.join(reads) or '-'}")
            if extra_line:
                print(extra_line)
    if not os.environ.get("BENCH_NO_STORY"):
        slow += customer_story(args.url, ref_cold)
    print(f"\n{'all within' if not slow else f'{slow} over'} the targets "
          f"at {dt.datetime.now():%Y-%m-%d %H:%M}")


def _story(engine, phone: str) -> None:
    cid = story.find(engine, "phone", phone)[0]
    story.card(engine, cid, False)
    story.journeys(engine, story.timeline(engine, cid, "zh", False))
    story.actions(engine, cid, "zh", False)


def customer_story(url: str, ref: float) -> int:
    """Time finding 5 customers by phone and reading their story (card, timeline, journeys, action items),
    cold on a new engine and warm; returns how many were over target."""
    engine = make_engine(url)
    ref = ref or _time(_reference, engine)
    with engine.connect() as conn:
        middle = conn.execute(select(func.count()).select_from(Customer)).scalar_one() // 2  # 50k at 1M rows
        phones = [p for (p,) in conn.execute(select(Customer.phone).where(Customer.phone.is_not(None))
                                             .order_by(Customer.id).limit(7).offset(min(50_000, middle)))]
        phones, spare = phones[:5], phones[5:]
        keys = select(ActionItem.customer_id).where(ActionItem.customer_id.is_not(None)).scalar_subquery()
        cid = conn.execute(select(Customer.id).where(Customer.id.in_(keys)).order_by(Customer.id).limit(1)).scalar()
    steps = {"find (phone hash)": lambda c: story.find(engine, "phone", phones[0]),
             "card": lambda c: story.card(engine, c, False),
             "timeline": lambda c: story.timeline(engine, c, "zh", False),
             "actions": lambda c: story.actions(engine, c, "zh", False)}
    print(f"\n== one customer's story (find by phone, card, timeline, journeys, action items)   "
          f"target <= {TARGET_CUSTOMER} s")
    for name, step in steps.items():
        took = _time(step, cid)
        print(f"  {name:<20} warm {took:.3f} s")
    engine.dispose()
    over = 0
    for warm, phone in ((False, spare[0]), (True, spare[1])):  # customers not read before: cold pages too
        took = first_lookup_new_process(url, phone, warm)
        over += took > TARGET_CUSTOMER
        how = "after story.warm_up, as the page runs it once drawn" if warm else "no warm-up"
        print(f"first lookup of a new process ({how}): {took:.3f} s")
    for phone in phones:
        engine = make_engine(url)
        cold = _time(_story, engine, phone)
        warm = statistics.median(_time(_story, engine, phone) for _ in range(3))
        engine.dispose()
        over += max(cold, warm) > TARGET_CUSTOMER
        print(f"customer {phone[:3]}****{phone[-4:]}  cold {cold:.3f} s  warm {warm:.3f} s  "
              f"({cold / ref:.2f} / {warm / ref:.2f} of a full scan)")
    return over


_FIRST = """
import sys, time
sys.path.insert(0, {root!r})
from bench.bench_journey import _story
from cem_core.db import make_engine
from cem_core.journey import story
engine = make_engine({url!r})
if {warm!r}:
    story.warm_up(engine)
t0 = time.perf_counter()
_story(engine, {phone!r})
print(time.perf_counter() - t0)
"""


def first_lookup_new_process(url: str, phone: str, warm: bool) -> float:
    """The first customer lookup and story of a brand-new process (imports done, nothing compiled yet), with or
    without the page's warm-up (``story.warm_up``, run once after the Journey page is drawn)."""
    code = _FIRST.format(root=str(Path(__file__).resolve().parent.parent), url=url, warm=warm, phone=phone)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
