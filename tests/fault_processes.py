"""Real import processes for the fault tests: ``tests.fault_child`` started, read, held on a gate file
or killed, and the csv files they import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from cem_core.config import PROJECT_ROOT
from tests.fixtures.ingest_files import write_csv

ROWS = 5000


def feedback_csv(path: Path, rows: int = ROWS, day: int = 1) -> Path:
    return write_csv(path, ["日期", "推荐度", "评论"],
                     [[f"2024-03-{day:02d}", str(i % 11), f"comment {day} {i}"] for i in range(rows)])


class Child:
    """``tests.fault_child`` running an import; ``until`` reads its output up to a line that starts so."""

    def __init__(self, url: str, path: Path, pause: float, gate: Path | None = None) -> None:
        gated = [str(gate)] if gate else []
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fault_child", url, str(path), str(pause), *gated],
                                     cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.lines: list[str] = []

    def until(self, prefix: str, count: int = 1) -> str:
        assert self.proc.stdout is not None
        seen = 0
        for line in self.proc.stdout:
            self.lines.append(line.strip())
            if line.startswith(prefix):
                seen += 1
                if seen >= count:
                    return line.strip()
        raise AssertionError(f"child ended before {prefix!r}: {self.lines}")

    def kill(self) -> None:
        """Kill its whole process group (a test's finaliser: nothing outlives the test)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
