"""The 1M-response demo database the page benchmarks share (``bench/out/demo_1m.db``, git-ignored)."""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path
from types import ModuleType

from sqlalchemy import func, select

from cem_core.db import make_engine, migrate
from cem_core.db.models import Response
from cem_core.demo.generator import load_demo

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_URL = f"sqlite:///{OUT / 'demo_1m.db'}"


def ensure_demo_db(url: str, rows: int) -> None:
    """Migrate ``url`` to head and top it up to ``rows`` demo responses (generated once, ~45 s per 1M)."""
    OUT.mkdir(exist_ok=True)
    engine = make_engine(url)
    t0 = time.perf_counter()
    migrate(engine)
    print(f"migrated in {time.perf_counter() - t0:.1f} s")
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Response)).scalar_one()
    if have < rows:
        t0 = time.perf_counter()
        load_demo(engine, rows=rows - have, seed=99)
        print(f"generated {rows - have:,} demo rows in {time.perf_counter() - t0:.1f} s")
    engine.dispose()


def setup(description: str) -> tuple[argparse.Namespace, ModuleType]:
    """Parse ``--rows`` / ``--url``, make sure the database exists, and return the app's cache module
    pointed at it (imported only now: it runs Streamlit in bare mode, reading ``CEM_DATABASE_URL``)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--url", default=DEFAULT_URL)
    args = ap.parse_args()
    ensure_demo_db(args.url, args.rows)
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["CEM_DATABASE_URL"] = args.url
    from cem_core.ui import cache

    return args, cache
