"""Timings as ratios to the reference full scan measured in the same run (issue 17).

Absolute seconds differ threefold between machines of one kind and with the load of a shared one;
the cost of a query relative to one plain scan of the rows, ``SELECT count(*), sum(nps), sum(csat),
sum(spend) FROM responses``, on the same database in the same minute, does not. "Cold" is the first
call on a new engine (the OS file cache may still hold the data) once it holds a connection, as the app's
pool does (a first connect to Postgres, with SQLAlchemy's dialect set-up, cost 0.03-0.3 of a scan under
load), "warm" the median of three more. For the typical filters a third figure, "change": the first call with
these filters on a new engine that has just served the same query with the page's default settings, which
is what a user waits for after changing a filter on a running server (its connection's caches hold what the
default query read, its statements are compiled; the cache of results has nothing for the new filters).
Goals: every query with default settings <= 1.0 scan cold; typical filters (one channel, one quarter,
region + segment) <= 0.25.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable

from sqlalchemy import text

from cem_core.analyze.queries import Filters
from cem_core.db import make_engine

REFERENCE_SQL = "SELECT count(*), sum(nps), sum(csat), sum(spend) FROM responses"
GOAL_DEFAULT, GOAL_TYPICAL = 1.0, 0.25
#: The typical filter cases of the goal, and whether each is one (else a default-settings case).
TYPICAL = {"one channel": Filters(channels=("sms_survey",)),
           "one quarter": Filters(date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 6, 30)),
           "region + segment": Filters(regions=("华东",), segments=("VIP",))}


def changed(url: str, default: tuple[object, ...], fn: Callable[..., object], *args: object) -> float:
    """Seconds of ``fn(engine, *args)`` right after ``fn(engine, *default)`` on a new engine."""
    engine = make_engine(url)
    try:
        fn(engine, *default)
        t0 = time.perf_counter()
        fn(engine, *args)
        return time.perf_counter() - t0
    finally:
        engine.dispose()


def timed(url: str, fn: Callable[..., object], *args: object) -> tuple[float, float]:
    """(cold, warm) seconds of ``fn(engine, *args)``."""
    engine = make_engine(url)
    try:
        with engine.connect():  # the app's pool holds connections: connecting is no query's cost
            pass
        t0 = time.perf_counter()
        fn(engine, *args)
        cold = time.perf_counter() - t0
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn(engine, *args)
            runs.append(time.perf_counter() - t0)
        return cold, statistics.median(runs)
    finally:
        engine.dispose()


def _scan(engine) -> None:
    with engine.connect() as conn:
        conn.execute(text(REFERENCE_SQL)).one()


def reference(url: str, quiet: bool = False) -> float:
    """The reference scan's warm median: the unit every ratio is expressed in. The load of a shared
    machine drifts within minutes, so ``line`` measures it again right before each query."""
    cold, warm = timed(url, _scan)
    if not quiet:
        print(f"reference full scan: cold {cold:.3f} s, warm {warm:.3f} s  ({REFERENCE_SQL})")
    return warm


def line(url: str, label: str, goal: float, fn: Callable[..., object], *args: object,
         default: tuple[object, ...] | None = None) -> bool:
    """Time ``fn(engine, *args)`` next to a fresh reference scan; print times and ratios; return whether
    the cold ratio meets ``goal``. With ``default`` (the arguments of the page's default settings) also
    the "change" figure (``changed``)."""
    unit = reference(url, quiet=True)
    cold, warm = timed(url, fn, *args)
    change = f"{changed(url, default, fn, *args) / unit:7.2f}" if default is not None else f"{'':7}"
    ok = cold / unit <= goal
    print(f"{label:<44} {cold:7.3f} {warm:7.3f} {unit:7.3f} {cold / unit:7.2f} {warm / unit:7.2f} {change}  "
          f"<= {goal:<4} {'OK' if ok else 'OVER'}")
    return ok


HEADER = (f"{'query':<44} {'cold s':>7} {'warm s':>7} {'scan s':>7} {'cold/x':>7} {'warm/x':>7} {'chg/x':>7}  "
          "goal (x = the reference scan measured just before; chg = after the default settings)")
