"""Golden output of the whole text analysis, so speed work can prove it changed nothing.

``tests/data/analysis_golden.json.gz`` holds, frozen when it was written: the labelled dev and test
comments, a set of edge cases, and the clause pools the generated comments are drawn from (50k Chinese
comments exactly as ``bench/bench_text.py``'s ``comments(50000, 1)``, 10k English ones built the same
way), with every field of each ``Analysis`` (language, terms, bigrams, label, score, evidence, topics
with their sentiment). The labelled and edge comments keep their full output (a failure shows the
difference); the generated ones keep one digest per ``CHUNK`` comments (a failure names the chunk;
``--dump`` writes full outputs to diff two checkouts). The inputs are frozen too, so editing the
labelled sets or the demo catalogue does not move the reference.

    python -m tests.text.golden --write          # only when an output change is intended
    python -m tests.text.golden --dump FILE.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

from cem_core.text.analyze import Analysis, TextAnalyzer
from cem_core.text.dictionaries import INDUSTRIES, default_config

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "analysis_golden.json.gz"
CHUNK = 250
SEED = 1
N_ZH, N_EN = 50_000, 10_000
EDGE = [
    "", "   ", "好", "ok", "OK!", "6分", "满分！", "打8分吧", "给3分", "5/10 would not stay again", "3 stars",
    "rated it a 9",
    'the "quiet" room', "“五星级”的卫生", "所谓的“豪华”房，呵呵", "Oh great, another delay. Thanks a lot.",
    "Wi-Fi很快，check-in 很方便", "房间 clean 服务 good", "App 闪退", "😀😀", "1234", "???", "请问早餐几点开始？",
    "虽然贵，但是值得", "虽然位置好，可是房间太小了，而且隔音差", "Nice pool, but the room was filthy",
    "Although the staff were nice, the room was dirty", "no one came", "Nobody answered the phone for 40 minutes",
    "等了四十分钟", "排了整整两个小时的队", "on hold for an hour", "We waited 3 hours and nobody apologized",
    "服务好\n房间差", "前台办理入住，等了四十分钟", "客服人员态度很好", "服务人员不专业", "checkin was quick",
    "ＯＫ", "\t还行\t", "Rooms were rooms' rooms’ check-ins", "NOT BAD AT ALL", "not clean and rude",
    "No delays and no lost bags", "can't complain, won't be back", "没有不满意的地方", "不得不夸一下服务",
    "挑不出毛病", "太太太差了", "非常非常好", "一点也不好", "不是很干净", "不太满意", "问题很快就解决了",
    "They fixed the issue within a day", "效率很低", "服务态度非常好", "性价比太低", "提额很快", "超售了还不赔",
    "加价提车，不然不给车", "I got bumped from my flight", "premium went up again", "还行吧，一般般",
    "It was fine, nothing special", "average stay", "好久没住这么好的酒店了", "不好意思打扰一下，房间很干净",
    "再也不来了！！！", "下次还会再来～", "酒店服务很好，前台小姐姐很热情。" * 5,
    "The room was clean, the staff were friendly, the breakfast was great and the location was perfect. " * 3,
    "很好 but very expensive", "good 但是 很贵", "房间很干净 the staff were rude", "...", "，，，", "🙂 好评",
]


def record(a: Analysis | None) -> list | None:
    """Every field of one analysis as JSON-able data (topics as [code, label, keyword])."""
    if a is None:
        return None
    return [a.lang, a.terms, a.bigrams, a.label, a.score, a.evidence, [[t.code, t.label, t.keyword] for t in a.topics]]


def _hashable(rec: list | None) -> list | None:
    """The record with its score at 12 decimals: a digest must not depend on the last bits of a float."""
    return None if rec is None else [*rec[:4], f"{rec[4]:.12f}", *rec[5:]]


def digests(records: Iterable[list | None]) -> list[str]:
    """One sha256 (16 hex digits) per ``CHUNK`` records."""
    out, h, n = [], hashlib.sha256(), 0
    for rec in records:
        h.update(json.dumps(_hashable(rec), ensure_ascii=False).encode())
        n += 1
        if n == CHUNK:
            out.append(h.hexdigest()[:16])
            h, n = hashlib.sha256(), 0
    if n:
        out.append(h.hexdigest()[:16])
    return out


def generated(pool: list[str], n: int, seed: int, sep: str, end: str) -> list[str]:
    """Comments of one to three clauses of ``pool``: ``bench_text.comments``' recipe on a frozen pool."""
    import numpy as np

    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(pool), (n, 3))
    lengths = rng.integers(1, 3, n)
    return [sep.join(pool[j] for j in picks[i, : lengths[i] + 1]) + end for i in range(n)]


def texts_digest(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


class Analyzers:
    """One analyzer per industry, built on first use (each loads the dictionary: about a second)."""

    def __init__(self) -> None:
        self._by: dict[str, TextAnalyzer] = {}

    def __call__(self, industry: str) -> TextAnalyzer:
        if industry not in self._by:
            self._by[industry] = TextAnalyzer(default_config(industry))
        return self._by[industry]


def cases(g: dict) -> Iterator[tuple[str, str, list[tuple[str, str, str | None]]]]:
    """(name, "full" or "digest", [(industry, text, lang hint)]) for every case of a golden file."""
    for name in ("dev", "test"):
        rows = g[name]
        yield f"{name}: own industry, labelled language", "full", [(ind, text, lang) for lang, ind, text in rows]
        yield f"{name}: hotel, detected language", "full", [("hotel", text, None) for _lang, _ind, text in rows]
        yield f"{name}: every industry", "digest", [(ind, text, lang) for ind in INDUSTRIES for lang, _i, text in rows]
    for lang in ("zh", "en", None):
        yield f"edge cases, lang {lang}", "full", [("hotel", text, lang) for text in g["edge"]]
    zh = generated(g["pool_zh"], g["n_zh"], g["seed"], "，", "。")
    en = generated(g["pool_en"], g["n_en"], g["seed"], ", ", ".")
    assert texts_digest(zh) == g["texts_zh"] and texts_digest(en) == g["texts_en"], "generated inputs changed"
    yield "generated zh (bench_text comments), detected language", "digest", [("hotel", t, None) for t in zh]
    yield "generated en, detected language", "digest", [("hotel", t, None) for t in en]


def run(analyzers: Analyzers, items: list[tuple[str, str, str | None]], cold: bool = False) -> list[list | None]:
    """The records of ``items`` in order; ``cold`` empties the clause memo before each comment."""
    out = []
    for industry, text, lang in items:
        a = analyzers(industry)
        if cold:
            a.sentiment.forget()
        out.append(record(a.analyse(text, lang)))
    return out


def _labelled(name: str) -> list[list[str]]:
    from cem_core.text.evaluate import read_set

    return [[r["lang"], r["industry"], r["text"]] for r in read_set(ROOT / "tests" / "data" / f"sentiment_{name}.tsv")]


def write() -> None:
    """Freeze the inputs and the current outputs (the reference every later change is held to)."""
    import sys

    sys.path.insert(0, str(ROOT))
    from bench.bench_text import clauses, comments

    pool_zh = clauses()
    pool_en = [text for name in ("dev", "test") for lang, _i, text in _labelled(name) if lang == "en"]
    pool_en = [t.rstrip(".!") for t in pool_en]
    zh = generated(pool_zh, N_ZH, SEED, "，", "。")
    assert zh == comments(N_ZH, SEED), "the recipe no longer matches bench_text.comments"
    en = generated(pool_en, N_EN, SEED, ", ", ".")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    g: dict = {"written_at_commit": commit, "seed": SEED, "n_zh": N_ZH, "n_en": N_EN, "pool_zh": pool_zh,
               "pool_en": pool_en, "texts_zh": texts_digest(zh), "texts_en": texts_digest(en),
               "dev": _labelled("dev"), "test": _labelled("test"), "edge": EDGE, "outputs": {}}
    analyzers = Analyzers()
    for name, kind, items in cases(g):
        recs = run(analyzers, items)
        g["outputs"][name] = recs if kind == "full" else digests(recs)
        print(f"{name}: {len(items):,} comments")
    with gzip.open(GOLDEN, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(g, f, ensure_ascii=False, separators=(",", ":"))
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size:,} bytes)")


def load() -> dict:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as f:
        return json.load(f)


def dump(path: Path) -> None:
    """Every current output, one JSON line per comment: diff two of these to see what a change moved."""
    analyzers = Analyzers()
    with path.open("w", encoding="utf-8") as f:
        for name, _kind, items in cases(load()):
            for (industry, text, lang), rec in zip(items, run(analyzers, items), strict=True):
                f.write(json.dumps([name, industry, lang, text, rec], ensure_ascii=False) + "\n")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true")
    p.add_argument("--dump", type=Path)
    args = p.parse_args()
    if args.write:
        write()
    if args.dump:
        dump(args.dump)
