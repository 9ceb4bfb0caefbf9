"""The demo's comments stored and counted per distinct analysis: ``text.sums.TextSums`` (the counting path
the import shares) fed from tables built once per distinct comment.

The demo's comments come from a catalogue (a few hundred distinct texts per industry), so each distinct
(comment, language) is analysed once (``text.store.Analyses``) and every response refers to it by number:
a part's comments are expanded to their term and topic entries by that number with numpy, without a
Python step per comment. The rows of ``response_text`` and of the text rollups (the Text page's four and the
journey map's ``text_touchpoint_cell``) are the import's (``tests/text/test_cells.py`` checks them against the
stored analysis).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from cem_core.db.bulk import insert_columns
from cem_core.db.models import ResponseText
from cem_core.text import store
from cem_core.text.sums import BIGRAM, LABEL_CODE, TERM, TextSums


class DemoText:
    """The text side of one demo batch: ``add`` stores each part's analysed comments and sums their counts;
    ``finish`` writes the rollups (the writer's transaction, like ``text.store.BatchText``)."""

    def __init__(self, conn: Connection, batch_id: int, analyses: store.Analyses) -> None:
        self.conn, self.batch_id, self.analyses = conn, batch_id, analyses
        self.version = analyses.analyzer.config.version
        self.number: dict[tuple[str, str | None], int] = {}  # (comment, language) -> analysis number
        self.rows: list[store._Row | None] = []
        self.sums = TextSums(conn, batch_id)
        self._tables: dict[str, np.ndarray] = {}

    def _numbers(self, comments: np.ndarray, languages: np.ndarray) -> np.ndarray:
        """Each comment's analysis number; new distinct comments are analysed now."""
        c_codes, c_values = pd.factorize(comments)
        l_codes, l_values = pd.factorize(languages, use_na_sentinel=False)
        pair_codes, pairs = pd.factorize(c_codes * len(l_values) + l_codes)
        keys = [(c_values[p // len(l_values)], l_values[p % len(l_values)]) for p in pairs.tolist()]
        keys = [(c, None if pd.isna(lang) else lang) for c, lang in keys]
        new = [k for k in keys if k not in self.number]
        if new:
            for key, row in zip(new, self.analyses.rows(*zip(*new, strict=True)), strict=True):
                self.number[key] = len(self.rows)
                self.rows.append(row)
            self._tables = self._build_tables()
        return np.array([self.number[k] for k in keys], dtype=np.int64)[pair_codes]

    def _build_tables(self) -> dict[str, np.ndarray]:
        """Per analysis number: its stored columns, label, score, and its term and topic entries (CSR)."""
        t: dict[str, list] = {"ok": [], "label": [], "score": [], "term_len": [], "topic_len": []}
        stored: list[tuple] = []
        entries: list[tuple[int, int, int]] = []  # term number, kind, count
        topics: list[tuple[int, int]] = []  # topic number, label code
        for row in self.rows:
            t["ok"].append(row is not None)
            if row is None:
                stored.append((None,) * 6)
                t["label"].append(0)
                t["score"].append(0.0)
                t["term_len"].append(0)
                t["topic_len"].append(0)
                continue
            stored.append(row.stored)
            t["label"].append(LABEL_CODE[row.label])
            t["score"].append(row.score)
            mine = 0
            for kind, words in ((TERM, row.terms), (BIGRAM, row.bigrams)):
                for word, n in pd.Series(words, dtype=object).value_counts(sort=False).items():
                    entries.append((int(self.sums.term_numbers([word])[0]), kind, int(n)))
                    mine += 1
            t["term_len"].append(mine)
            mine_topics = [(store.ALL_TOPICS, row.label), *row.topics]
            numbers = self.sums.topic_numbers([code for code, _ in mine_topics])
            topics += [(int(number), LABEL_CODE[lab]) for number, (_, lab) in zip(numbers, mine_topics, strict=True)]
            t["topic_len"].append(len(mine_topics))
        out = {k: np.array(v) for k, v in t.items()}
        out["stored"] = np.empty((len(stored), 6), dtype=object)
        out["stored"][:] = stored
        out["term_entry"] = np.array(entries, dtype=np.int64).reshape(-1, 3)
        out["topic_entry"] = np.array(topics, dtype=np.int64).reshape(-1, 2)
        for name in ("term", "topic"):
            out[f"{name}_at"] = np.cumsum(out[f"{name}_len"]) - out[f"{name}_len"]
        return out

    def add(self, columns: Mapping[str, np.ndarray]) -> None:
        """One written part: ``id``, ``occurred_date`` (datetime64[D]), ``channel_id``, ``stage_id``,
        ``touchpoint_id``, ``region``, ``product``, ``segment``, ``nps`` (float, NaN blank), ``comment`` and
        ``language`` (object, None blank)."""
        has = np.flatnonzero(np.not_equal(columns["comment"], None))
        number = self._numbers(columns["comment"][has], columns["language"][has])
        tab = self._tables
        keep = tab["ok"][number]
        has, number = has[keep], number[keep]
        if not len(has):
            return
        stored = tab["stored"][number]
        insert_columns(self.conn, ResponseText.__table__, {
            "response_id": columns["id"][has], "batch_id": np.full(len(has), self.batch_id),
            **{c: stored[:, i] for i, c in enumerate(store.TEXT_COLUMNS[2:-1]) if c != "score"},
            "score": stored[:, 2].astype(float), "version": np.full(len(has), self.version)})
        # terms: one entry per comment and distinct term of its analysis
        at, n = tab["term_at"][number], tab["term_len"][number]
        row = np.repeat(np.arange(len(has)), n)
        term = tab["term_entry"][np.repeat(at - (np.cumsum(n) - n), n) + np.arange(n.sum())]
        # topics: '*' with the comment's label, then each topic with its clause's label
        at, n = tab["topic_at"][number], tab["topic_len"][number]
        topic_row = np.repeat(np.arange(len(has)), n)
        topic = tab["topic_entry"][np.repeat(at - (np.cumsum(n) - n), n) + np.arange(n.sum())]
        self.sums.add(columns, has, tab["label"][number], tab["score"][number],
                      (row, term[:, 0], term[:, 1], term[:, 2]), (topic_row, topic[:, 0], topic[:, 1]))

    def finish(self) -> None:
        """Write the rollups of everything added."""
        self.sums.finish()

