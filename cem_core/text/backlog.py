"""The import's comments analysed *behind* it, on the second core: the helper process (``text.helper``) works
through a backlog of comments while the importer writes responses, rebuilds their indexes and sums their
rollups, and each chunk's analysis is stored whenever it is ready.

Why behind and not beside: splitting every chunk between the two processes (``helper.TwoCores``, which
``text rebuild`` still uses) made both finish each chunk together, so the text's whole cost fell inside the
loop over chunks, while after the loop the second core idled through ~25 s of single-core work at 1M rows
(the secondary indexes rebuilt, the responses' rollups summed). Here the importer hands every chunk's comments
over in pieces and goes on writing; the helper analyses them in order; answers are taken between chunks and
stored with the responses they belong to. What the helper has not done when the importer runs out of its
own work is split: the helper goes on from the front, the importer analyses pieces from the back.

The backlog is bounded (``LAG`` comments handed over and not analysed): past it the importer analyses the
newest pieces itself, so memory stays bounded whatever the file's size and a slow second core only makes the
importer do more. The helper's answers stay pickled until stored (a third of their unpickled size). Without a
helper (a file of one chunk, or one that cannot start or dies) every piece is analysed in the importer as soon
as it is polled: the stored results are the same either way (an analysis is a function of the comment, its
language and the config)."""

from __future__ import annotations

import logging
import pickle
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cem_core.text import helper as helpers
from cem_core.text.helper import HelperLost, gc_paused, stop
from cem_core.text.packed import Packed

if TYPE_CHECKING:
    from cem_core.text.rows import Analyses

log = logging.getLogger(__name__)
#: comments handed over and not analysed yet, at most. What waits to be stored after the last chunk (analysed or
#: not) is at most this and one chunk: ~150 B a comment not analysed, ~330 B an analysed one (pickled), so
#: ~150 MB of the importer at most
LAG = 400_000
PIECE = 10_000  # comments per helper job (~0.5 s of analysis): what the importer may wait for at the end
SENT = 2  # pieces at the helper: one analysed, the next already in its pipe
Store = Callable[[Mapping[str, Sequence[object]], Packed], None]


@dataclass
class _Piece:
    ticket: int  # the chunk
    index: int  # the piece's place in its chunk
    comments: list[str | None]
    languages: list[str | None]
    packed: Packed | bytes | None = None  # bytes: the helper's answer, pickled (unpickled when stored)


@dataclass
class _Chunk:
    parts: list[Packed | bytes | None]
    left: int  # pieces not analysed yet
    columns: Mapping[str, Sequence[object]] | None = None  # what ``Store`` counts by; None: nothing to store
    keep: list[int] | None = None  # the comments written (None: all)
    attached: bool = False  # its responses are written: it may be stored once analysed


class Backlog:
    """``submit`` a chunk's comments (returns its ticket), ``attach`` its written responses' columns, ``poll``
    between chunks (stores what is ready, keeps the backlog within ``lag``), ``drain`` at the end (analyses
    what is left on both cores and stores it). ``helper=False``: everything here, at ``poll``."""

    def __init__(self, analyses: Analyses, helper: bool = True, lag: int | None = None, piece: int | None = None
                 ) -> None:
        self.analyses = analyses
        self.lag, self.piece = LAG if lag is None else lag, PIECE if piece is None else piece
        self.lock = threading.Lock()  # guards unsent, sent, waiting and lost (the reader thread changes them)
        self.unsent: deque[_Piece] = deque()
        self.sent: deque[_Piece] = deque()
        self.answered: queue.SimpleQueue[_Piece | None] = queue.SimpleQueue()  # None: the helper is gone
        self.chunks: dict[int, _Chunk] = {}  # handed over and not stored yet, by ticket
        self.tickets = 0
        self.waiting = 0  # comments handed over and not analysed
        self.lost: HelperLost | None = None
        self.helper: helpers.Helper | None = None
        self.reader: threading.Thread | None = None
        self.by_helper = self.here = 0  # comments analysed by each side (the bench reports the split)
        if helper:
            try:
                self.helper = helpers.Helper(analyses.analyzer.config)
            except (OSError, HelperLost) as exc:
                log.warning("text analysis helper did not start (%s): comments are analysed in this process", exc)
        if self.helper is None:
            self.lag = 0
        else:
            self.reader = threading.Thread(target=self._read, name="text-backlog-read", daemon=True)
            self.reader.start()

    def __enter__(self) -> Backlog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the helper: at once if it still has pieces nobody will collect, else once its stdin is closed."""
        with self.lock:
            helper, self.helper = self.helper, None
            busy = bool(self.sent)
        if helper is None:
            return
        stop(helper.proc, helper.sender, kill=busy)
        if self.reader is not None:
            self.reader.join(timeout=5)

    def submit(self, comments: Sequence[str | None], languages: Sequence[str | None]) -> int:
        """Hand one chunk's comments over (in pieces, to the back of the backlog); returns its ticket."""
        ticket, self.tickets = self.tickets, self.tickets + 1
        pieces = [_Piece(ticket, i, list(comments[at:at + self.piece]), list(languages[at:at + self.piece]))
                  for i, at in enumerate(range(0, len(comments), self.piece))]
        self.chunks[ticket] = _Chunk([None] * len(pieces), len(pieces))
        with self.lock:
            self.unsent.extend(pieces)
            self.waiting += len(comments)
            self._send()
        return ticket

    def attach(self, ticket: int, columns: Mapping[str, Sequence[object]] | None, keep: list[int] | None) -> None:
        """The chunk's responses are written: store its analysis under ``columns`` (only the comments ``keep``,
        ascending; None: all) once it is ready; ``columns`` None: nothing of it is stored (all duplicates)."""
        chunk = self.chunks[ticket]
        chunk.columns, chunk.keep, chunk.attached = columns, keep, True

    def poll(self, store: Store) -> None:
        """Between chunks: take the helper's answers, analyse the newest pieces here while more than ``lag``
        comments wait, store every chunk that is attached and analysed."""
        self._collect(block=False)
        while self.waiting > self.lag and self._steal():
            pass
        self._store_ready(store)

    def drain(self, store: Store) -> None:
        """Analyse and store everything attached: the helper from the front, this process from the back."""
        while any(c.attached or c.left for c in self.chunks.values()):
            self._collect(block=False)
            self._store_ready(store)
            if self.chunks and not self._steal():
                self._collect(block=True)
        self._store_ready(store)

    def _send(self) -> None:
        """Keep ``SENT`` pieces at the helper (under ``lock``)."""
        while self.helper is not None and self.lost is None and self.unsent and len(self.sent) < SENT:
            piece = self.unsent.popleft()
            self.sent.append(piece)
            try:
                self.helper.send((piece.comments, piece.languages, True))
            except HelperLost as exc:
                self._gone(exc)

    def _gone(self, exc: HelperLost) -> None:
        """The helper ended (under ``lock``): its pieces go back to the front, to be analysed here."""
        self.lost = exc
        self.unsent.extendleft(reversed(self.sent))
        self.sent.clear()
        self.lag = 0
        self.answered.put(None)

    def _read(self) -> None:
        """The reader thread: each answer belongs to the oldest piece sent; the next piece goes out at once."""
        helper = self.helper
        assert helper is not None
        while True:
            try:
                data, _seconds = helper.receive()
            except HelperLost as exc:
                with self.lock:
                    if self.helper is not None:  # not closing: the helper died
                        self._gone(exc)
                return
            with self.lock:
                if self.lost is not None:  # sending failed meanwhile: its pieces went back to be analysed here
                    return
                piece = self.sent.popleft()
                self.waiting -= len(piece.comments)
                self._send()
            piece.packed = data
            self.answered.put(piece)

    def _collect(self, block: bool) -> None:
        """Take the helper's answers (``block``: wait for one)."""
        while True:
            try:
                piece = self.answered.get(block=block)
            except queue.Empty:
                return
            block = False
            if piece is None:
                log.warning("text analysis helper ended (%s): its comments are analysed in this process", self.lost)
                continue
            self.by_helper += len(piece.comments)
            self._done(piece)

    def _steal(self) -> bool:
        """Analyse the newest piece not yet sent here; False if there is none."""
        with self.lock:
            if not self.unsent:
                return False
            piece = self.unsent.pop()
            self.waiting -= len(piece.comments)
        with gc_paused():  # see ``helper.gc_paused``
            piece.packed = Packed.of(self.analyses.rows(piece.comments, piece.languages))
        self.here += len(piece.comments)
        self._done(piece)
        return True

    def _done(self, piece: _Piece) -> None:
        chunk = self.chunks[piece.ticket]
        chunk.parts[piece.index] = piece.packed
        chunk.left -= 1

    def _store_ready(self, store: Store) -> None:
        for ticket in [t for t, c in self.chunks.items() if c.attached and not c.left]:
            chunk = self.chunks.pop(ticket)
            if chunk.columns is None:
                continue
            parts = [pickle.loads(p) if isinstance(p, bytes) else p for p in chunk.parts]
            packed = Packed.concat(parts) if parts else Packed.of([])
            store(chunk.columns, packed if chunk.keep is None else packed.take(chunk.keep))
