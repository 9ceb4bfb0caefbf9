"""Text analytics benchmark: every stage against plain ``jieba.lcut`` measured in the same run.

    python bench/bench_text.py [--comments 50000] [--import-rows 200000] [--seed 1]

1. Token identity: rjieba vs jieba (same dictionary, no user words) on every generated comment.
2. Rates (chars/s, tokens/s, comments/s) of: jieba.lcut, rjieba.cut, our terms (rjieba + user words,
   stop words, synonyms), sentiment, topics, the whole analysis; each as a ratio to jieba.lcut.
3. Import: the same csv imported into fresh SQLite files with and without text analysis (the text hook
   replaced by a no-op in that run only), so the difference is what analysis adds to an import.

Comments are ~30 characters, built by joining two or three clauses drawn at random from the sentiment
sets and the demo catalogue's phrases, so they vary the way real comments do (the import benchmark's
comments repeat ten phrases, which the per-batch memo would make free). The machine may be shared:
compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = Path(__file__).resolve().parent / "out"


def clauses() -> list[str]:
    from cem_core.demo.catalog import INDUSTRIES

    out = []
    for name in ("sentiment_dev.tsv", "sentiment_test.tsv"):
        with (ROOT / "tests" / "data" / name).open(encoding="utf-8") as f:
            out += [r["text"].rstrip("。！") for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                    if r["lang"] == "zh"]
    for ind in INDUSTRIES.values():
        for stage in ind.stages:
            for tp in stage.touchpoints:
                out += [*tp.praise_zh, *tp.problem_zh]
    return out


def comments(n: int, seed: int) -> list[str]:
    import numpy as np

    rng = np.random.default_rng(seed)
    pool = clauses()
    picks = rng.integers(0, len(pool), (n, 3))
    lengths = rng.integers(1, 3, n)  # one or two clauses (the pool's clauses average ~15 characters)
    return ["，".join(pool[j] for j in picks[i, : lengths[i] + 1]) + "。" for i in range(n)]


def rate(label: str, fn, texts: list[str], base: float | None) -> float:
    t0 = time.perf_counter()
    tokens = 0
    for text in texts:
        out = fn(text)
        tokens += len(out) if isinstance(out, list) else 0
    seconds = time.perf_counter() - t0
    chars = sum(map(len, texts))
    per_s = len(texts) / seconds
    ratio = f"{per_s / base:6.2f}x jieba.lcut" if base else "   baseline"
    print(f"{label:<34} {per_s:>10,.0f} comments/s {chars / seconds / 1e6:6.2f}M chars/s "
          f"{tokens / seconds:>11,.0f} tokens/s  {ratio}")
    return per_s


def identity(texts: list[str]) -> None:
    import jieba
    import rjieba

    same = sum(1 for t in texts if jieba.lcut(t) == rjieba.cut(t))
    print(f"rjieba == jieba.lcut on {same:,} of {len(texts):,} comments")


def stages(texts: list[str]) -> None:
    import jieba
    import rjieba

    from cem_core.text.analyze import TextAnalyzer
    from cem_core.text.dictionaries import default_config

    jieba.lcut("预热")
    a = TextAnalyzer(default_config("hotel"))
    base = rate("jieba.lcut", jieba.lcut, texts, None)
    rate("rjieba.cut", rjieba.cut, texts, base)
    rate("terms (rjieba + dictionaries)", lambda t: a.tokenizer.terms(t, "zh"), texts, base)
    rate("sentiment (rules + evidence)", lambda t: a.sentiment.analyse(t, "zh"), texts, base)
    verdicts = [a.sentiment.analyse(t, "zh") for t in texts[:2000]]
    t0 = time.perf_counter()
    for t, v in zip(texts[:2000], verdicts, strict=True):
        a.taxonomy.match(t, v)
    print(f"{'topics (per-clause sentiment)':<34} {2000 / (time.perf_counter() - t0):>10,.0f} comments/s")
    rate("whole analysis", lambda t: a.analyse(t, "zh"), texts, base)


def write_csv(texts: list[str], rows: int, seed: int) -> Path:
    import numpy as np
    import pandas as pd

    OUT.mkdir(exist_ok=True)
    path = OUT / f"text_import_{rows}_{seed}.csv"
    if not path.exists():
        rng = np.random.default_rng(seed)
        day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, rows), unit="s")
        pool = comments(rows, seed + 1) if rows > len(texts) else texts[:rows]
        pd.DataFrame({"date": day.strftime("%Y-%m-%d %H:%M:%S"), "nps": rng.integers(0, 11, rows),
                      "comment": pool}).to_csv(path, index=False, encoding="utf-8")
    return path


def run_import(path: str, with_text: str) -> dict:
    from cem_core.db import make_engine, migrate
    from cem_core.ingest import load
    from cem_core.text import store

    if with_text == "off":  # the bench's own comparison: the same import minus the text hook
        load.text_store = type("NoText", (), {"add_batch": staticmethod(lambda conn, batch_id: 0)})
    db = OUT / f"text_bench_{with_text}_{time.time_ns()}.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    t0 = time.perf_counter()
    report = load.import_file(engine, Path(path), user="bench", source="sms_survey")
    seconds = time.perf_counter() - t0
    queries = _query_times(engine) if with_text == "on" else {}
    engine.dispose()
    for f in OUT.glob(db.name + "*"):
        f.unlink()
    del store
    return {"seconds": seconds, "rows": report.rows_imported, "queries": queries}


def _query_times(engine) -> dict:
    """Cold-ish times of the page's main queries over the imported rows (first call after import)."""
    from cem_core.analyze.queries import Filters
    from cem_core.text import report

    out = {}
    for name, fn in (("term table (top 150)", lambda: report.term_counts(engine, Filters(), top=150)),
                     ("negative bigrams", lambda: report.term_counts(engine, Filters(), sentiment="negative",
                                                                      bigrams=True, top=150)),
                     ("topic x sentiment + NPS impact", lambda: report.topic_table(engine, Filters())),
                     ("topics by stage", lambda: report.topics_by(engine, Filters(), None, "stage")),
                     ("word cloud PNG", lambda: report.cloud_png(engine, Filters(), None, False))):
        t0 = time.perf_counter()
        fn()
        out[name] = round(time.perf_counter() - t0, 3)
    return out


def child(path: Path, with_text: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", str(path), with_text], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--comments", type=int, default=50_000)
    p.add_argument("--import-rows", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--child", nargs=2)
    args = p.parse_args()
    if args.child:
        print(json.dumps(run_import(*args.child)))
        return
    texts = comments(args.comments, args.seed)
    print(f"{len(texts):,} comments, {sum(map(len, texts)) / len(texts):.1f} characters on average, "
          f"{len(set(texts)):,} distinct")
    identity(texts)
    stages(texts)
    if args.import_rows:
        path = write_csv(texts, args.import_rows, args.seed)
        off = child(path, "off")
        on = child(path, "on")
        added = on["seconds"] - off["seconds"]
        print(f"import of {on['rows']:,} rows (SQLite): {off['seconds']:.1f} s without text analysis, "
              f"{on['seconds']:.1f} s with it: +{added:.1f} s ({on['rows'] / max(added, 1e-9):,.0f} comments/s "
              f"added cost); at 1M rows that is about +{added * 1_000_000 / on['rows']:.0f} s")
        for name, seconds in on["queries"].items():
            print(f"  {name:<32} {seconds:6.3f} s over {on['rows']:,} analysed comments")


if __name__ == "__main__":
    main()
