"""Comment analysis on the second core: a helper process analyses comments this process hands over. The
import keeps a backlog for it (``text.backlog``); ``text rebuild`` splits each chunk with it (``TwoCores``):
the helper analyses a share while this process analyses the rest and writes the chunk before it.

Why a program of its own (``python -m cem_core.text.helper_child``) and not ``multiprocessing``: a
spawned pool re-runs the parent's ``__main__``, which under ``streamlit run`` (and in a test process after
an ``AppTest``) is the app's page, so the pool broke; a forked one inherits the importer's open files,
among them the import's lease (a ``flock``), which would outlive a killed importer. ``subprocess.Popen``
with ``close_fds`` starts a fresh interpreter that holds nothing but its two pipes: no lease, no database
connection, none of the parent's files (the same pattern as ``cem_core.ingest.sheets``).

The pipes carry pickles. In: the ``TextConfig`` once, then one job per chunk share or backlog piece
(comments, languages, packed). Out: per job the analysed rows (``store._Row`` or None, in order; for the
import packed into one ``text.sums.Packed``, so the importer unpickles arrays, not an object per term, and
pickled as bytes, which the importer keeps until it stores them) and the helper's seconds. The
child reads its jobs in a thread of its own, so the parent can hand over the next chunk while the child
still works on the one before (at most ``IN_FLIGHT`` chunks are outstanding: memory stays bounded).

``TwoCores`` splits each chunk: the helper gets the first share, this process analyses the rest when it
asks for the chunk's rows. The share follows the measured rates so both finish together: the helper's
comments/s, this process's comments/s and the time the caller spends between two chunks (preparing and
writing); on a machine whose second core is busy the helper's rate drops and so does its share. A helper
that cannot start or dies is logged as a warning and its share is analysed here: the results are the
same either way (an analysis is a function of the comment, its language and the config).
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the pipes keep their size
    fcntl = None


if TYPE_CHECKING:
    from cem_core.text.dictionaries import TextConfig
    from cem_core.text.rows import Analyses

log = logging.getLogger(__name__)
CHILD = "cem_core.text.helper_child"
IN_FLIGHT = 2  # chunks handed over and not yet collected
SHARE_MIN = 0.1  # the helper always gets some work, so its rate stays measured
SMOOTH = 0.5  # weight of the newest measurement in the running rates
PIPE_BYTES = 1 << 20  # the pipes' buffer (``_widen``): Linux's default limit for an unprivileged process


class Sender:
    """Writes pickles to a pipe from a thread of its own, so the writer never waits for the reader (who
    may be busy for seconds): the message is pickled at once, its bytes are written there. Without it
    the helper stalled, its answer unread, until the importer asked for it, with the next chunk waiting."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.broken = stream, False
        self.queue: queue.Queue[bytes | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="text-helper-send", daemon=True)
        self.thread.start()

    def put(self, msg: object) -> None:
        self.queue.put(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            try:
                self.stream.write(data)
                self.stream.flush()
            except (OSError, ValueError):  # the reader is gone
                self.broken = True
                return

    def close(self, timeout: float | None = None) -> None:
        """Write what is queued, then stop."""
        self.queue.put(None)
        self.thread.join(timeout)


class Helper:
    """The helper process: ``send`` a job, ``receive`` its answer (in order). Any failure of the pipes
    raises ``HelperLost``."""

    def __init__(self, config: TextConfig) -> None:
        root = str(Path(__file__).resolve().parents[2])  # so the child imports this same cem_core
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen([sys.executable, "-m", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, close_fds=True)
        for stream in (self.proc.stdin, self.proc.stdout):
            _widen(stream)
        self.sender = Sender(self.proc.stdin)
        weakref.finalize(self, stop, self.proc, self.sender, True)
        self.send(config)

    def send(self, msg: object) -> None:
        if self.sender.broken:
            raise HelperLost(self.proc, self.sender)
        self.sender.put(msg)

    def receive(self) -> tuple[list, float]:
        try:
            return pickle.load(self.proc.stdout)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
            raise HelperLost(self.proc, self.sender) from exc


def _widen(stream: BinaryIO) -> None:
    """A pipe of ``PIPE_BYTES`` instead of 64 KB (Linux): a chunk's answer is ~8 MB, and every time the pipe
    was full the helper's writer thread waited to take the GIL back from its busy analysing thread (up to the
    5 ms switch interval) before writing the next 64 KB, while the importer waited for the answer. Elsewhere,
    or past the system's limit, the pipe stays as it is."""
    if fcntl is None or not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    with suppress(OSError, ValueError):
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class HelperLost(Exception):
    """The helper process ended or its pipes broke."""

    def __init__(self, proc: subprocess.Popen, sender: Sender) -> None:
        stop(proc, sender, kill=True)
        code = proc.returncode
        super().__init__(f"signal {-code}" if code is not None and code < 0 else f"exit code {code}")


def stop(proc: subprocess.Popen, sender: Sender, kill: bool = False) -> None:
    """End the helper: the end of its stdin ends it (after what was sent); ``kill``: at once."""
    if kill and proc.poll() is None:
        proc.kill()
    sender.close(timeout=5)
    for stream in (proc.stdin, proc.stdout):
        with suppress(OSError, ValueError):  # a broken pipe has nothing left to flush
            stream.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class _Job:
    comments: list[str | None]
    languages: list[str | None]
    given: int  # the first ``given`` comments went to the helper


class TwoCores:
    """Chunks of comments analysed on two cores: ``submit`` hands the helper its share at once, ``rows``
    analyses the rest here and returns the chunk's rows in order. ``helper=False`` (a single chunk, where
    starting a process costs more than it saves): everything here, the same way."""

    def __init__(self, analyses: Analyses, helper: bool = True) -> None:
        self.analyses = analyses
        self.helper: Helper | None = None
        self.jobs: deque[_Job] = deque()
        self.share = 0.5
        self.rate_here = self.rate_helper = self.between = 0.0
        self._left: float | None = None
        if helper:
            try:
                self.helper = Helper(analyses.analyzer.config)
            except (OSError, HelperLost) as exc:
                log.warning("text analysis helper did not start (%s): comments are analysed in this process", exc)

    def __enter__(self) -> TwoCores:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the helper; one still working on chunks nobody will collect is killed at once."""
        if self.helper is not None:
            stop(self.helper.proc, self.helper.sender, kill=bool(self.jobs))
            self.helper = None

    def submit(self, comments: Iterable[str | None], languages: Iterable[str | None]) -> None:
        """Hand over one chunk (at most ``IN_FLIGHT`` outstanding): the helper's share goes out now."""
        if len(self.jobs) >= IN_FLIGHT:
            raise RuntimeError("collect a chunk's rows before handing over another")
        job = _Job(list(comments), list(languages), 0)
        if self.helper is not None and job.comments:
            job.given = max(1, round(len(job.comments) * self.share))
            try:
                self.helper.send((job.comments[:job.given], job.languages[:job.given], False))
            except HelperLost as exc:
                self._lost(exc)
                job.given = 0
        self.jobs.append(job)

    def rows(self) -> list:
        """The oldest chunk's rows (``store._Row`` or None per comment, in order)."""
        with gc_paused():
            return self._rows()

    def _rows(self) -> list:
        job = self.jobs.popleft()
        t0 = time.perf_counter()
        if self._left is not None:
            self.between = _smooth(self.between, t0 - self._left)
        n, k = len(job.comments), job.given
        mine = self._here(job.comments[k:], job.languages[k:])
        t1 = time.perf_counter()
        if n > k:
            self.rate_here = _smooth(self.rate_here, (n - k) / max(t1 - t0, 1e-6))
        theirs = self._theirs(job)
        self._balance(n)
        self._left = time.perf_counter()
        return theirs + mine

    def _here(self, comments: list[str | None], languages: list[str | None]) -> list:
        return self.analyses.rows(comments, languages)

    def _theirs(self, job: _Job) -> list:
        if not job.given:
            return self._here([], [])
        if self.helper is not None:
            try:
                rows, seconds = self.helper.receive()
                self.rate_helper = _smooth(self.rate_helper, job.given / max(seconds, 1e-6))
                return rows
            except HelperLost as exc:
                self._lost(exc)
        return self._here(job.comments[:job.given], job.languages[:job.given])

    def _balance(self, n: int) -> None:
        """The helper's share of the next chunk of ``n`` comments, so that it finishes when this process
        has written a chunk and analysed its own share: given/helper = between + (n - given)/here."""
        if not (self.rate_here and self.rate_helper and n):
            return
        here, there = n / self.rate_here, n / self.rate_helper
        self.share = min(1.0, max(SHARE_MIN, (self.between + here) / (there + here)))

    def _lost(self, exc: HelperLost) -> None:
        log.warning("text analysis helper ended (%s): its comments are analysed in this process", exc)
        self.helper = None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (back on after, if it was on). Analysing a chunk
    allocates millions of small containers (tokens, clauses, rows, the memo's entries) and frees them by
    reference counting: none form cycles, yet the collector traverses them every 700 allocations and the
    memo's long-lived entries again and again in the older generations, ~15-25 % of the analysis's CPU
    (measured on 150k comments: 66-72 against 50-55 us a comment). Cycles made in the block (none are
    known) wait for the next collection after it: memory stays bounded by one chunk."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _smooth(old: float, new: float) -> float:
    return new if not old else SMOOTH * new + (1 - SMOOTH) * old
