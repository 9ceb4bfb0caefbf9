"""The import's text backlog (``cem_core.text.backlog``) with the real helper process: whatever analysed a piece
(the helper, this process from the back, this process after the helper died), each chunk is stored once, with
its own responses' columns, exactly as analysed here; the backlog never holds more than its bound."""

from __future__ import annotations

import logging
import os
import signal

import numpy as np
import pytest

from cem_core.text import backlog as backlog_mod
from cem_core.text.backlog import Backlog
from cem_core.text.dictionaries import default_config
from cem_core.text.packed import Packed
from cem_core.text.rows import Analyses
from tests.text.test_helper import PHRASES

CONFIG = default_config("hotel")


def chunk(n: int, at: int) -> list[str | None]:
    """``n`` comments, distinct across chunks, a blank among them."""
    return [None if (at + i) % 17 == 0 else f"{PHRASES[(at + i) % len(PHRASES)]}，第{at + i}次" for i in range(n)]


def flat(p: Packed) -> tuple:
    """A ``Packed`` as comparable values: words and codes instead of their (order-dependent) indexes."""
    terms = sorted((int(c), p.words[int(w)], int(k)) for c, w, k in p.term)
    topics = sorted((int(c), p.codes[int(t)], int(lab)) for c, t, lab in p.topic)
    return p.stored, p.label.tolist(), np.round(p.score, 6).tolist(), terms, topics


def run(backlog: Backlog, sizes: list[int], keep_every: int = 1) -> tuple[list, list]:
    """Submit, attach (ids as the columns; every ``keep_every``-th comment kept) and poll chunk by chunk as the
    import does, then drain; returns what was stored and what this process's own analysis of it is."""
    stored: list[tuple[dict, Packed]] = []
    expected, at = [], 0
    here = Analyses(CONFIG)
    for n in sizes:
        comments = chunk(n, at)
        ticket = backlog.submit(comments, [None] * n)
        keep = None if keep_every == 1 else list(range(0, n, keep_every))
        ids = list(range(at, at + n)) if keep is None else [at + i for i in keep]
        backlog.attach(ticket, {"id": ids}, keep)
        whole = Packed.of(here.rows(comments, [None] * n))
        expected.append((ids, flat(whole if keep is None else whole.take(keep))))
        backlog.poll(lambda columns, packed: stored.append((columns, packed)))
        assert backlog.waiting <= max(backlog.lag, 0)
        at += n
    backlog.drain(lambda columns, packed: stored.append((columns, packed)))
    return [(c["id"], flat(p)) for c, p in sorted(stored, key=lambda s: s[0]["id"][0])], expected


def test_each_chunk_stored_once_as_analysed_here_within_the_bound() -> None:
    with Backlog(Analyses(CONFIG), helper=True, lag=60, piece=25) as backlog:
        got, expected = run(backlog, [70, 70, 70, 70, 40, 1, 90])
        assert backlog.by_helper >= 2 * 25 and backlog.by_helper + backlog.here == 411
    assert got == expected and not backlog.chunks


def test_kept_comments_only_and_all_duplicates_nothing() -> None:
    stored: list = []
    with Backlog(Analyses(CONFIG), helper=True, lag=1_000, piece=8) as backlog:
        got, expected = run(backlog, [30, 30, 31], keep_every=3)
        dup = backlog.submit(chunk(20, 500), [None] * 20)
        backlog.attach(dup, None, None)
        backlog.drain(lambda columns, packed: stored.append(packed))
    assert got == expected and [len(ids) for ids, _ in got] == [10, 10, 11]
    assert not stored and not backlog.chunks


def test_without_a_helper_each_poll_analyses_everything_handed_over() -> None:
    stored: list = []
    backlog = Backlog(Analyses(CONFIG), helper=False)
    ticket = backlog.submit(chunk(40, 0), [None] * 40)
    backlog.attach(ticket, {"id": list(range(40))}, None)
    backlog.poll(lambda columns, packed: stored.append(packed))
    assert len(stored) == 1 and len(stored[0]) == 40 and backlog.waiting == 0 and not backlog.chunks
    backlog.close()


def test_a_helper_killed_with_pieces_out_leaves_them_to_this_process(monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(backlog_mod, "SENT", 6)
    with caplog.at_level(logging.WARNING, logger=backlog_mod.__name__), Backlog(
            Analyses(CONFIG), helper=True, lag=10_000, piece=10) as backlog:
        os.kill(backlog.helper.proc.pid, signal.SIGKILL)
        got, expected = run(backlog, [60, 60])
    assert got == expected and backlog.here == 120 - backlog.by_helper
    assert any("helper ended" in r.getMessage() for r in caplog.records)
