"""Workbook sheets parsed in a child process, so that the spreadsheet library cannot take the app down.

The Rust reader (python-calamine) aborts the whole process on some hostile workbooks (a cell at
XFD1048576 makes it overflow a capacity: signal 6, no exception) and holds every cell of a sheet in
memory (~90 bytes each). Parsing in a child process with an address-space limit (``RLIMIT_AS``) turns
both into a refusal with a reason: a crash ends only the child, and an allocation past the limit fails
there instead of swapping the server. ``read.py`` refuses the shapes it can see before any parse (rows,
columns and cells counted while streaming the sheet XML); this is the backstop for the rest.

The child sends pickled messages on its own copy of stdout (fd 1 is pointed at stderr, so nothing a
library prints can corrupt the stream): ``("names", [...])``, ``("sheet", name, head, width, height,
merged)``, ``("rows", first_row, rows)``, then ``("done",)`` or ``("error", key, values)``. Rows are sent
a chunk at a time and the pipe blocks the child while the parent works, so neither process ever holds
a whole sheet as Python objects. The parent's side is ``open_sheets`` and ``sheet_rows``.
"""

from __future__ import annotations

import io
import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
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


def _messages(job: dict[str, object], file_name: str, memory: int) -> Iterator[tuple]:
    """Run a child on ``job`` and yield its messages up to ``done``; any other ending is a refusal."""
    root = str(Path(__file__).resolve().parents[2])  # so the child imports this same cem_core
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([sys.executable, "-m", __name__, str(memory)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=errors, env=env)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            try:
                pickle.dump(job, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                proc.stdin.close()
            except BrokenPipeError:
                pass  # the child died at start: the end of its stream, below, says how
            while True:
                try:
                    msg = pickle.load(proc.stdout)
                except (EOFError, pickle.UnpicklingError):
                    raise IngestError("ingest.err.reader_crashed", file=file_name, how=_how(proc.wait()),
                                      limit=f"{memory / 1024**3:.0f} GB") from None
                if msg[0] == "done":
                    return
                if msg[0] == "error":
                    raise IngestError(msg[1], file=file_name, **msg[2])
                yield msg
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()


def _how(code: int) -> str:
    """A child's exit status as a user can read it (``signal 6 (SIGABRT)``, ``exit code 1``)."""
    if code < 0:
        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def open_sheets(src: Source, file_name: str, sheets: list[str] | None, head_rows: int, memory: int
                ) -> tuple[list[str], list[SheetInfo]]:
    """Every sheet name, and the chosen sheets (``None``: all) that hold any cell, with their first rows."""
    names: list[str] = []
    infos: list[SheetInfo] = []
    for msg in _messages({"mode": "open", "src": src, "sheets": sheets, "head": head_rows}, file_name, memory):
        if msg[0] == "names":
            names = msg[1]
        elif msg[0] == "sheet":
            infos.append(SheetInfo(*msg[1:]))
    return names, infos


def sheet_rows(src: Source, file_name: str, sheet: str, skip: int, size: int, memory: int
               ) -> Iterator[tuple[int, list[list[object]]]]:
    """(table row of the first, rows) for the sheet's rows from ``skip`` on, ``size`` at a time."""
    job = {"mode": "rows", "src": src, "sheet": sheet, "skip": skip, "size": size}
    for msg in _messages(job, file_name, memory):
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


def _work(job: dict[str, object], send: Callable[[tuple], None]) -> None:
    from python_calamine import CalamineWorkbook

    src = job["src"]
    wb = CalamineWorkbook.from_filelike(io.BytesIO(src)) if isinstance(src, bytes) else CalamineWorkbook.from_path(
        str(src))
    if job["mode"] == "open":
        names = list(wb.sheet_names)
        send(("names", names))
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
            send(("sheet", name, head, width, height, list(sheet.merged_cell_ranges or [])))
    else:
        sheet = wb.get_sheet_by_name(job["sheet"])
        width = (sheet.start[1] + sheet.width) if sheet.start else 0
        skip, size, lo, batch = job["skip"], job["size"], job["skip"], []
        for i, row in enumerate(_padded(sheet, width)):
            if i < skip:
                continue
            batch.append(row)
            if len(batch) == size:
                send(("rows", lo, batch))
                lo, batch = lo + size, []
        if batch:
            send(("rows", lo, batch))


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
        send(("done",))
    except MemoryError:
        send(("error", "ingest.err.reader_memory", {"limit": f"{memory / 1024**3:.0f} GB"}))
    except BaseException as exc:
        send(("error", "ingest.err.parse", {"error": f"{type(exc).__name__}: {exc}"[:300]}))
    out.close()


if __name__ == "__main__":
    _child(int(sys.argv[1]))
