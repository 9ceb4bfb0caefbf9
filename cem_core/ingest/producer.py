"""Reading, validating and preparing a large file, and analysing its comments (tokens, sentiment,
topics and their counts: ``text.store.Analyses``), in a second process while this one writes to the
database.

Why a process and not a thread: reading, validation and preparation are pandas and Python work that
holds the GIL, and so does driving the database (binding a million rows, formatting COPY). In one process
the two take turns however they are threaded (measured: a reading thread made the 1M-row import no
faster). In two processes they run side by side on two cores, and the import takes about as long as the
database part alone. Small files are read in-process: the reader costs about a second to start.

Why ``python -m cem_core.ingest.producer`` and not ``multiprocessing``: ``spawn`` re-runs the parent's
``__main__`` in the child, and under Streamlit ``__main__`` is the page script (the upload page would
run again, without a session); ``fork`` is unsafe in Streamlit's threaded server. A plain child process
imports only what it needs (``reader_child``, which the importing process never imports).

Protocol: the job goes in pickled on stdin; pickled messages come back on a private pipe (stdout stays
free for anything a library prints): ``("chunk", Prepared)``, ``("progress", fraction, rows)``, then
``("end", counts)`` or ``("error", exc)``. The pipe blocks the reader once ``DEPTH`` chunks wait to be
sent, so memory stays bounded.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cem_core.config import get_setting
from cem_core.ingest.headers import Header
from cem_core.ingest.prepare import Prepared
from cem_core.ingest.read import Caps, Source
from cem_core.text.dictionaries import TextConfig

if TYPE_CHECKING:
    from cem_core.ingest.load import ImportReport

PROCESS_MIN_ROWS = 100_000  # below this the second process costs more than it saves
DEPTH = 2  # chunks prepared ahead of the writer
# Smaller than the in-process chunk: the writer starts after 25k rows instead of 100k (measured: ~2.5 s
# sooner on a 1M-row file), and the two processes stay in step; per-chunk costs are the same in total.
CHUNK_ROWS = 25_000
CHILD_MODULE = "cem_core.ingest.reader_child"  # the reading process's entry point
REPORT_FIELDS = ("rows_read", "rows_valid", "rows_skipped", "problems", "reason_counts", "error_rows", "by_column",
                 "column_issues")


def worth_it(incoming: int, streamed: bool) -> bool:
    """Read in a second process? Only a large file that is read as it goes (csv: a workbook is parsed
    whole when opened, and a reader process would parse it again), and only where a pipe can be handed
    to a child (POSIX; on Windows everything is read in-process, just slower). The setting
    ``import_reader_process=off`` reads everything in-process (and lets the benchmark compare both)."""
    enabled = get_setting("import_reader_process").strip().lower() not in ("off", "0", "false", "no")
    return enabled and incoming >= PROCESS_MIN_ROWS and streamed and os.name == "posix"


@dataclass
class ReadJob:
    """What the reading process needs: the file and the layout the importing process already planned."""

    src: Source
    file_name: str
    caps: Caps
    sheets: list[str] | None
    chunk_rows: int
    layout: list[tuple[Header, dict[str, str]]]  # per table: header row, header -> field
    pii_key: bytes
    reject: bool  # on_invalid="reject": stop sending rows once one is invalid (keep counting for the report)
    text: TextConfig | None  # analyse the comments under this config (None: the database cannot store it)


def chunks_from_process(job: ReadJob, report: ImportReport, progress: Callable[[float, int], None] | None
                        ) -> Iterator[Prepared]:
    """Prepared chunks from a reading process; fills ``report``'s counts at the end. Stopping early (the
    caller raised) kills the reader, so a failed import leaves no process behind."""
    read_end, write_end = os.pipe()
    root = str(Path(__file__).resolve().parents[2])  # so the child imports this same cem_core
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([sys.executable, "-m", CHILD_MODULE, str(write_end)], stdin=subprocess.PIPE,
                                stderr=errors, pass_fds=(write_end,), env=env)
        os.close(write_end)
        try:
            with os.fdopen(read_end, "rb") as pipe:
                assert proc.stdin is not None
                try:
                    pickle.dump(job, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                    proc.stdin.close()
                except BrokenPipeError:
                    pass  # the reader died at start: its pipe's end, below, says how
                while True:
                    try:
                        kind, *rest = pickle.load(pipe)
                    except EOFError:
                        errors.seek(0)
                        tail = errors.read().decode(errors="replace").strip().splitlines()[-1:]
                        raise RuntimeError(f"the reading process ended unexpectedly (exit code {_ended(proc)})"
                                           f"{': ' + tail[0] if tail else ''}") from None
                    if kind == "chunk":
                        yield rest[0]
                    elif kind == "progress":
                        if progress:
                            progress(*rest)
                    elif kind == "end":
                        for f, value in rest[0].items():
                            setattr(report, f, value)
                        return
                    else:
                        raise rest[0]
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()



def _ended(proc: subprocess.Popen) -> int:
    """The exit code of a reader whose pipe closed; one that closed it but hangs on is killed, never
    waited for forever."""
    try:
        return proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()
