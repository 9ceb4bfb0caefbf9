"""An import's comments analysed one chunk ahead in a second process, while this one writes.

The import is one process that reads, validates and writes chunk after chunk; analysing a chunk's
comments (``store.Analyses``: pure Python, about a third of an import of distinct comments) can run on
the machine's second core at the same time. ``Ahead`` keeps one worker process holding its own
``Analyses`` memo, started with 'spawn', not 'fork': a forked worker would inherit the importer's open
database connections and lease (a SQLite file, a Postgres socket), so an importer killed with ``kill
-9`` would leave them held by its orphan and its batch would not be settled as interrupted
(``tests/ingest/test_faults_interrupted.py`` caught exactly that); a spawned one holds nothing of its
parent's and ends when the parent's pipe closes. It costs ~1-2 s to start (imports, the dictionary),
overlapping the reading of the first chunk. ``submit`` hands it a chunk's comments and returns a
future of their ``_Row``s, so the caller (``ingest.load.prepared_chunks``) collects chunk k's analysis
when it is about to write chunk k, having read and validated chunk k+1 in between. The results are
those of ``Analyses.rows`` (the same code, the same memo rules), so an import stores the same analysis
either way (``tests/text/test_store.py``).

Only worth it on a machine with two cores or more and for a file of more than one chunk; otherwise
``Ahead.start`` returns None and the caller analyses inline.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import Future, ProcessPoolExecutor

from cem_core.text.dictionaries import TextConfig
from cem_core.text.store import Analyses

_worker: Analyses | None = None  # the worker process's memo (one per import: a worker serves one import)


def _init(config: TextConfig) -> None:
    global _worker
    _worker = Analyses(config)


def _rows(comments: list[str | None], languages: list[str | None]) -> list:
    assert _worker is not None
    return _worker.rows(comments, languages)


class Ahead:
    """One worker process analysing chunks in the order submitted; close it with ``close``."""

    def __init__(self, config: TextConfig) -> None:
        self.pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=_init,
                                        initargs=(config,))

    @classmethod
    def start(cls, config: TextConfig, rows: int, chunk_rows: int) -> Ahead | None:
        """A worker when it can pay: two cores or more and more than one chunk to import."""
        if (os.cpu_count() or 1) < 2 or rows <= chunk_rows:
            return None
        return cls(config)

    def submit(self, comments: list[str | None], languages: list[str | None]) -> Future:
        return self.pool.submit(_rows, comments, languages)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
