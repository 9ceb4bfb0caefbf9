"""The reading process's side of ``producer``: ``python -m cem_core.ingest.reader_child FD`` reads the
pickled ``ReadJob`` from stdin, validates and prepares every chunk with the same loop as an in-process
import (``load.prepared_chunks``), and pickles them onto the pipe FD. Only the child imports this module,
so the importing side (``load`` -> ``producer``) never imports ``load`` back.
"""

from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
import traceback
from collections.abc import Callable

from cem_core.ingest.errors import IngestError
from cem_core.ingest.load import ImportReport, TablePlan, prepared_chunks
from cem_core.ingest.producer import DEPTH, REPORT_FIELDS, ReadJob
from cem_core.ingest.read import open_tables


def _read(job: ReadJob, send: Callable[[tuple], None]) -> None:
    """The reading process: validate and prepare every chunk, then send the report's counts."""
    try:
        tables = open_tables(job.src, job.file_name, job.caps, job.sheets)
        report = ImportReport(job.file_name)
        for table, (header, mapping) in zip(tables, job.layout, strict=True):
            table.chunk_rows = job.chunk_rows
            report.plans.append(TablePlan(table, header, mapping))
        for chunk in prepared_chunks(report, job.pii_key, job.reject, lambda f, n: send(("progress", f, n)),
                                     job.text):
            send(("chunk", chunk))
        send(("end", {f: getattr(report, f) for f in REPORT_FIELDS}))
    except IngestError as exc:
        send(("error", exc))
    except Exception as exc:  # anything else crosses as text: not every exception pickles
        send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _child(fd: int) -> None:
    """Entry point of the reading process. A sender thread pickles onto the pipe so the next chunk is
    read while the parent takes the last one."""
    job: ReadJob = pickle.load(sys.stdin.buffer)
    outbox: queue.Queue = queue.Queue(maxsize=DEPTH)

    def sender() -> None:
        try:
            with os.fdopen(fd, "wb") as pipe:
                while (msg := outbox.get()) is not None:
                    pickle.dump(msg, pipe, protocol=pickle.HIGHEST_PROTOCOL)
                    pipe.flush()
        except BrokenPipeError:  # the importer is gone (killed): end, instead of blocking on a full outbox
            os._exit(1)
        except BaseException:  # a message that cannot be sent: end, so the importer sees why (stderr's last line)
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    _read(job, outbox.put)
    outbox.put(None)
    thread.join()


if __name__ == "__main__":
    _child(int(sys.argv[1]))
