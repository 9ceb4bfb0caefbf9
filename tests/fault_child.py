"""One slow import in a process of its own, for the fault tests to kill or leave alone.

``python -m tests.fault_child URL FILE PAUSE [GATE]``: imports FILE into URL 500 rows per chunk, printing
``progress <rows>`` after each chunk is written into the open transaction and then pausing PAUSE
seconds, and while the file GATE exists, so the test can act while rows are written but not committed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cem_core.db import make_engine
from cem_core.ingest.load import import_file


def main(url: str, path: str, pause: float, gate: Path | None) -> None:
    def progress(_frac: float, rows: int) -> None:
        print(f"progress {rows}", flush=True)
        time.sleep(pause)
        deadline = time.monotonic() + 300
        while gate is not None and gate.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def waiting(_holder: object, waited: float) -> None:
        print(f"waiting {waited:.1f}", flush=True)

    report = import_file(make_engine(url), path, user="child", progress=progress, chunk_rows=500, waiting=waiting)
    print(f"status {report.status} {report.batch_id}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4]) if len(sys.argv) > 4 else None)
