"""The helper process of ``cem_core.text.helper`` (run as ``python -m cem_core.text.helper_child``).

Reads the ``TextConfig``, then jobs (comments, languages, packed), from stdin; answers each job with
(rows or their ``Packed`` pickled, seconds spent) on its own copy of stdout, while fd 1 points at stderr so
nothing a library prints can corrupt the stream. A reader thread takes jobs off the pipe as they come and
a writer thread (``helper.Sender``) writes the answers, so neither side waits for the other to read: the
next chunk is analysed while the last answer is still in the pipe. The parent bounds how many are
outstanding. Stdin's end (the parent closed it or died) ends the process. The memo of analysed comments
lives as long as the process: one import or one rebuild, like the parent's own ``store.Analyses``.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import sys
import threading
import time

from cem_core.text.helper import Sender, gc_paused
from cem_core.text.packed import Packed
from cem_core.text.rows import Analyses


def _read(jobs: queue.Queue) -> None:
    stdin = sys.stdin.buffer
    while True:
        try:
            jobs.put(pickle.load(stdin))
        except (EOFError, OSError, pickle.UnpicklingError):
            jobs.put(None)
            return


def main() -> None:
    out = Sender(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)
    jobs: queue.Queue = queue.Queue()
    threading.Thread(target=_read, args=(jobs,), daemon=True).start()
    config = jobs.get()
    if config is None:
        return
    analyses = Analyses(config)
    gc.freeze()  # the dictionaries and lexicons live as long as the process: no collection scans them again
    pickling = 0.0  # seconds the last answer took to pickle: reported with the next one (see below)
    while not out.broken and (job := jobs.get()) is not None:
        t0 = time.perf_counter()
        comments, languages, packed = job
        with gc_paused():  # see ``gc_paused``: the collector's traversals were ~20 % of the analysis
            rows = analyses.rows(comments, languages)
            # packed (the import's backlog): pickled here as well, so the importer keeps the answer as bytes until
            # it stores it (~330 bytes a comment against ~1,080 unpickled, for up to ``backlog.LAG`` comments)
            answer = pickle.dumps(Packed.of(rows), protocol=pickle.HIGHEST_PROTOCOL) if packed else rows
        # The seconds the parent sizes the next share by include pickling an answer (~0.1 s a 25k share): left
        # out, the helper's rate was overestimated, its share too large, and the importer waited for it.
        seconds = time.perf_counter() - t0 + pickling
        t1 = time.perf_counter()
        out.put((answer, seconds))
        pickling = time.perf_counter() - t1
    out.close()
    # Everything is written and flushed: leave without tearing down the heap (the memo, the frozen
    # dictionaries; ~1 s at the end of a 1M-row import, which the importer waited for in ``helper.stop``).
    os._exit(0)


if __name__ == "__main__":
    main()
