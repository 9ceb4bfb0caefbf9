"""Workbook sheets parsed in a child process, so that the spreadsheet library cannot take the app down.

The Rust reader (python-calamine) aborts the whole process on some hostile workbooks (a cell at
XFD1048576 makes it overflow a capacity: signal 6, no exception) and holds every cell of a sheet in
memory (~90 bytes each). Parsing in a child process with an address-space limit (``RLIMIT_AS``) turns
both into a refusal with a reason: a crash ends only the child, and an allocation past the limit fails
there instead of swapping the server. ``read.py`` refuses the shapes it can see before any parse (rows,
columns and cells counted while streaming the sheet XML); this is the backstop for the rest.

The child sends pickled messages on its own copy of stdout (fd 1 is pointed at stderr, so nothing a
library prints can corrupt the stream): ``("names", [...])``, ``("sheet", name, head, width, height,
merged)``, ``("rows", first_row, rows)``, each answer ending in ``("done",)`` or ``("error", key, values)``. Rows
are sent a chunk at a time and the pipe blocks the child while the parent works, so neither process
ever holds a whole sheet as Python objects. The parent's side is ``Workbook``: the child that opened
the workbook keeps the chosen sheets and serves their rows, so an import parses a workbook once.
"""

from __future__ import annotations

import io
import os
import pickle
import resource
import signal
import subprocess
import sys
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cem_core.ingest.errors import IngestError

Source = bytes | Path


@dataclass
class SheetInfo:
    """One sheet as opened: its first rows, its size and its merged ranges (0-based row/column pairs)."""

    name: str
    head: list[list[object]]
    width: int
    height: int
    merged: list[tuple[tuple[int, int], tuple[int, int]]]


class _Child:
    """One reading process: ``job`` goes in on stdin, which stays open for requests (``request``)."""

    def __init__(self, job: dict[str, object], file_name: str, memory: int) -> None:
        root = str(Path(__file__).resolve().parents[2])  # so the child imports this same cem_core
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self.file_name, self.memory = file_name, memory
        self.proc = subprocess.Popen([sys.executable, "-m", __name__, str(memory)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        weakref.finalize(self, _stop, self.proc)
        self.request(job)

    def request(self, job: dict[str, object]) -> None:
        try:
            pickle.dump(job, self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # the child died: the end of its stream (``messages``) says how

    def messages(self) -> Iterator[tuple]:
        """The child's messages up to ``done``; an error is raised, any other ending is a refusal."""
        try:
            while True:
                try:
                    msg = pickle.load(self.proc.stdout)
                except (EOFError, pickle.UnpicklingError):
                    raise IngestError("ingest.err.reader_crashed", file=self.file_name, how=_how(self.proc.wait()),
                                      limit=f"{self.memory / 1024**3:.0f} GB") from None
                if msg[0] == "done":
                    return
                if msg[0] == "error":
                    raise IngestError(msg[1], file=self.file_name, **msg[2])
                yield msg
        except BaseException:
            _stop(self.proc)  # stopped early or failed: the child is of no further use
            raise


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        stream.close()


def _how(code: int) -> str:
    """A child's exit status as a user can read it (``signal 6 (SIGABRT)``, ``exit code 1``)."""
    if code < 0:
        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


class Workbook:
    """An opened workbook: its sheet names and the chosen sheets' first rows. The child that opened it
    keeps the chosen sheets parsed and serves each one's rows once (``rows``), so an import parses the
    workbook once; a sheet read again gets a fresh child. The child ends when every sheet was served or
    this object is dropped."""

    def __init__(self, src: Source, file_name: str, sheets: list[str] | None, head_rows: int, memory: int) -> None:
        self.src, self.file_name, self.memory = src, file_name, memory
        self.names: list[str] = []
        self.infos: list[SheetInfo] = []
        self._child = _Child({"mode": "open", "src": src, "sheets": sheets, "head": head_rows}, file_name, memory)
        for msg in self._child.messages():
            if msg[0] == "names":
                self.names = msg[1]
            elif msg[0] == "sheet":
                self.infos.append(SheetInfo(*msg[1:]))
        self._unserved = {info.name for info in self.infos}

    def rows(self, sheet: str, skip: int, size: int) -> Iterator[tuple[int, list[list[object]]]]:
        """(table row of the first, rows) for the sheet's rows from ``skip`` on, ``size`` at a time."""
        job = {"mode": "rows", "src": self.src, "sheet": sheet, "skip": skip, "size": size}
        if sheet in self._unserved:
            self._unserved.discard(sheet)
            child = self._child
            child.request(job)
        else:
            child = _Child(job, self.file_name, self.memory)
        for msg in child.messages():
            yield msg[1], msg[2]


# ---------------------------------------------------------------- the child


def _padded(sheet: object, width: int) -> Iterator[list[object]]:
    """The sheet's rows from row 1 and column A, as Excel numbers them: calamine's range starts at its
    first non-empty cell, so empty rows above and columns left of it are put back."""
    r0, c0 = sheet.start or (0, 0)
    for _ in range(r0):
        yield [""] * width
    pad = [""] * c0
    for row in sheet.iter_rows():
        yield pad + list(row)


def _send_rows(sheet: object, skip: int, size: int, send: Callable[[tuple], None]) -> None:
    width = (sheet.start[1] + sheet.width) if sheet.start else 0
    lo, batch = skip, []
    for i, row in enumerate(_padded(sheet, width)):
        if i < skip:
            continue
        batch.append(row)
        if len(batch) == size:
            send(("rows", lo, batch))
            lo, batch = lo + size, []
    if batch:
        send(("rows", lo, batch))
    send(("done",))


def _work(job: dict[str, object], send: Callable[[tuple], None]) -> None:
    from python_calamine import CalamineWorkbook

    src = job["src"]
    wb = CalamineWorkbook.from_filelike(io.BytesIO(src)) if isinstance(src, bytes) else CalamineWorkbook.from_path(
        str(src))
    if job["mode"] == "rows":
        _send_rows(wb.get_sheet_by_name(job["sheet"]), job["skip"], job["size"], send)
        return
    names = list(wb.sheet_names)
    send(("names", names))
    loaded = {}
    for name in names if job["sheets"] is None else job["sheets"]:
        if name not in names:
            continue
        sheet = wb.get_sheet_by_name(name)
        if not sheet.start or not sheet.width or not sheet.height:
            continue
        width, height = sheet.start[1] + sheet.width, sheet.start[0] + sheet.height
        head = []
        for row in _padded(sheet, width):
            head.append(row)
            if len(head) >= job["head"]:
                break
        loaded[name] = sheet
        send(("sheet", name, head, width, height, list(sheet.merged_cell_ranges or [])))
    send(("done",))
    del wb
    while loaded:  # serve each opened sheet's rows once, as the parent asks for them
        try:
            request = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        _send_rows(loaded.pop(request["sheet"]), request["skip"], request["size"], send)


def _child(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the message stream

    def send(msg: tuple) -> None:
        pickle.dump(msg, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    job = pickle.load(sys.stdin.buffer)
    try:
        _work(job, send)
    except MemoryError:
        send(("error", "ingest.err.reader_memory", {"limit": f"{memory / 1024**3:.0f} GB"}))
    except BaseException as exc:
        send(("error", "ingest.err.parse", {"error": f"{type(exc).__name__}: {exc}"[:300]}))
    out.close()


if __name__ == "__main__":
    _child(int(sys.argv[1]))
