"""The import's numpy counting (``text.sums.TextSums`` through ``store.BatchText``) writes exactly the rollup
rows the per-comment counters (``store._Rollups``, what ``rebuild_batches`` recounts with) write: the same
keys, one row per key, the same sums; blank channel, stage, touchpoint, region, product, segment and NPS
included, the journey map's ``text_touchpoint_cell`` too. SQLite and Postgres."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from cem_core.db.models import TextTermRollup, TextTopicRollup, text_term_cell, text_topic_cell, text_touchpoint_cell
from cem_core.ingest.load import import_file
from cem_core.text import store
from cem_core.text.dictionaries import default_config
from cem_core.text.sums import NONE, Packed, TextSums, day_numbers, id_array
from tests.fixtures.ingest_files import write_csv

TABLES = (TextTermRollup.__table__, TextTopicRollup.__table__, text_term_cell, text_topic_cell, text_touchpoint_cell)
COMMENTS = ("前台办理入住等了一个小时，太慢了", "早餐很丰富，服务人员态度很好", "房间还行吧", "",
            "The breakfast was excellent, the rooms were excellent", "check-in took forever, staff were rude",
            "价格有点贵，但是位置不错", "服务很好服务很好服务很好")


def rows_of(engine: Engine, batch_id: int) -> dict[str, list[tuple]]:
    """Every rollup row of the batch without its id, sorted; a topic row's score sum apart at the end
    (compared approximately: the recount reads scores stored to 4 places, the import sums the exact ones)."""
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            cols = [c for c in table.c if c.name not in ("id", "score_sum")]
            score = [table.c.score_sum] if "score_sum" in table.c else []
            out[table.name] = sorted(
                (tuple(str(v) if hasattr(v, "isoformat") else v for v in row)
                 for row in conn.execute(select(*cols, *score).where(table.c.batch_id == batch_id))),
                key=repr)
    return out


def assert_same(have: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> None:
    for name, rows in want.items():
        if name.startswith("text_topic"):
            assert [r[:-1] for r in have[name]] == [r[:-1] for r in rows], name
            assert [r[-1] for r in have[name]] == pytest.approx([r[-1] for r in rows], abs=0.05), name
        else:
            assert have[name] == rows, name


def test_import_counts_equal_the_per_comment_counters(engine: Engine, tmp_path: Path) -> None:
    rows = [[f"2024-{1 + i % 3:02d}-{1 + (i * 7) % 28:02d} 10:{i % 60:02d}:{i // 60:02d}", str(1 + i % 5),
             "" if i % 5 == 0 else str(i % 11),
             COMMENTS[i % len(COMMENTS)], ("微信", "", "电话")[i % 3], ("入住", "")[i % 2],
             ("前台", "")[i % 4 == 0], ("华东", "华南", "")[i % 3 if i % 7 else 2], ("", "大床房")[i % 2],
             ("VIP", "", "普通")[(i // 3) % 3]] for i in range(400)]
    header = ["提交时间", "满意度", "推荐度", "意见", "渠道", "环节", "触点", "区域", "房型", "客户类型"]
    path = write_csv(tmp_path / "t.csv", header, rows)
    rep = import_file(engine, path, user="u", chunk_rows=50)  # several chunks: the sums merge across them
    assert rep.status == "done" and rep.rows_imported == 400
    imported = rows_of(engine, rep.batch_id)
    assert all(imported.values())
    assert any(None in row[2:5] for row in imported["text_term_rollup"])  # blank channel / stage / touchpoint
    places = imported["text_touchpoint_cell"]
    assert {None, "华东", "华南"} <= {row[5] for row in places} and {None, "VIP"} <= {row[7] for row in places}
    assert None in {row[2] for row in places} and len({row[2] for row in places}) > 2  # by channel (0032)
    assert any(row[8] != "*" for row in places)  # a topic's negative clauses
    with engine.begin() as conn:
        store.rebuild_batches(conn, [rep.batch_id])  # recounted comment by comment from the stored analysis
    assert_same(rows_of(engine, rep.batch_id), imported)


def test_packed_keys() -> None:
    assert id_array([3, None, 0]).tolist() == [3, NONE, 0]
    assert day_numbers(["1970-01-02", "2024-02-29"]).tolist() == [1, 19782]
    with pytest.raises(ValueError, match="date"):
        day_numbers(["1969-12-31"])
    sums = TextSums(None, 1)  # type: ignore[arg-type]  # no connection needed before ``finish``
    cells = sums.cell_codes(id_array([1, None, 1, 1]), id_array([None, None, None, 2]), id_array([5, 5, 5, None]))
    assert cells[0] == cells[2] and len({*cells.tolist()}) == 3
    assert sums.term_numbers(["a" * 70, "a" * 64 + "b", "b"]).tolist() == [0, 0, 1]  # the stored width
    with pytest.raises(ValueError, match="ids"):
        sums.cell_codes(*(np.array([1 << 21]),) * 3)
    cells = sums.cell_codes(id_array([5, 5, 5, 5, 6]), id_array([1, 1, 1, None, 1]), id_array([2, 2, 2, 2, 2]))
    spots = sums.spot_codes(cells, ["华东", "华东", None, float("nan"), "华东"], np.array(["A"] * 5), [None] * 5)
    assert spots[0] == spots[1] and len({*spots.tolist()}) == 4  # another channel (6): another spot (0032)
    with pytest.raises(ValueError, match="ids"):
        sums.spot_codes(np.array([1 << 21]), ["a"], ["b"], ["c"])


def test_packed_parts_concatenate_and_select() -> None:
    """A chunk packed in two parts (helper share + the rest), then some comments dropped (duplicates),
    equals packing the kept comments at once."""
    analyses = store.Analyses(default_config("hotel"))
    comments = [*COMMENTS, None, "房间很干净，前台服务很好"]
    rows = analyses.rows(comments, [None] * len(comments))
    keep = [0, 2, 3, 4, 7, 8, 9]
    whole = Packed.of([rows[i] for i in keep])
    split = Packed.concat([Packed.of(rows[:5]), Packed.of(rows[5:])]).take(keep)

    def flat(p: Packed) -> tuple:
        terms = sorted((int(c), p.words[w], int(k)) for c, w, k in p.term.tolist())
        topics = sorted((int(c), p.codes[t], int(lab)) for c, t, lab in p.topic.tolist())
        return p.stored, p.label.tolist(), p.score.tolist(), terms, topics

    assert flat(split) == flat(whole)
    assert whole.label.tolist().count(NONE) == 2  # the blank comment and the None


def test_packed_goes_through_a_pipe_unchanged() -> None:
    """The helper's answer is pickled in a compact form (``Packed.__getstate__``: counts per comment, narrow
    columns): unpickled it holds the very same arrays (dtypes too) and lists, for a packed share, a
    concatenated and selected chunk, an empty one, and entries out of comment order (sent as they are)."""
    import pickle

    analyses = store.Analyses(default_config("hotel"))
    comments = [*COMMENTS, None, "", "房间很干净，前台服务很好", "The room was clean but check-in was slow."]
    rows = analyses.rows(comments, [None] * len(comments))
    packed = Packed.of(rows)
    shuffled = Packed(packed.stored, packed.label, packed.score, packed.words, packed.term[::-1].copy(),
                      packed.codes, packed.topic)
    for p in (packed, Packed.concat([Packed.of(rows[:3]), Packed.of(rows[3:])]).take([0, 2, 5, 9]),
              Packed.of([]), Packed.of([None, None]), shuffled):
        back = pickle.loads(pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL))
        for field in ("label", "score", "term", "topic"):
            mine, theirs = getattr(p, field), getattr(back, field)
            assert theirs.dtype == mine.dtype and theirs.shape == mine.shape and (theirs == mine).all(), field
        assert (back.stored, back.words, back.codes) == (p.stored, p.words, p.codes)
    assert len(pickle.dumps(packed)) < len(pickle.dumps((packed.stored, packed.label, packed.score, packed.words,
                                                         packed.term, packed.codes, packed.topic)))
