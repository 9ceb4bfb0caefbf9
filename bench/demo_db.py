"""The 1M-response demo database the page benchmarks share (``bench/out/demo_1m.db``, git-ignored)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import func, select

from cem_core.db import make_engine, migrate
from cem_core.demo.generator import load_demo
from cem_core.models import Response

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
