"""Text analysis engine speed: each stage against plain ``jieba.lcut`` measured in the same process.

    python bench/bench_text_engine.py [--comments 50000] [--seed 1] [--rounds 3] [--code DIR]

The comments are ``bench/bench_text.py``'s (``comments(n, seed)``: ~30 characters, one to three
clauses from the labelled sets and the demo catalogue), so the figures line up with its stage table.
Each stage runs ``--rounds`` times, interleaved with the baseline, and the best pass counts (a shared
machine only ever slows a pass down); the ratio is to the best ``jieba.lcut`` pass of the same run.
"every clause new" empties the sentiment clause memo before each comment (text never seen before);
"as imported" keeps it, as an import's analyzer does. ``--code DIR`` imports ``cem_core`` from another
checkout (e.g. ``git archive main | tar -x -C /tmp/main``) so before and after run on the same comments
with the same harness; run both back to back and compare ratios, not absolute rates.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def best_rate(fn: Callable[[str], object], texts: list[str]) -> float:
    """Comments/s of one pass of ``fn`` over ``texts``."""
    t0 = time.perf_counter()
    for text in texts:
        fn(text)
    return len(texts) / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--comments", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--code", type=Path, help="a checkout whose cem_core is measured (default: this one)")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.bench_text import comments

    if args.code:  # bench_text (above) came from this checkout; the engine comes from --code
        sys.path.insert(0, str(args.code.resolve()))
    import jieba
    import rjieba

    from cem_core.text.analyze import TextAnalyzer
    from cem_core.text.dictionaries import default_config
    from cem_core.text.tokens import detect_lang

    texts = comments(args.comments, args.seed)
    jieba.lcut("预热")
    a = TextAnalyzer(default_config("hotel"))
    tokens = sum(len(jieba.lcut(t)) for t in texts)
    chars = sum(map(len, texts))
    verdicts = {t: a.sentiment.analyse(t, "zh") for t in texts}

    def sentiment_cold(t: str) -> object:
        a.sentiment.forget()
        return a.sentiment.analyse(t, "zh")

    def whole_cold(t: str) -> object:
        a.sentiment.forget()
        return a.analyse(t, "zh")

    stages: dict[str, Callable[[str], object]] = {
        "jieba.lcut": jieba.lcut,
        "rjieba.cut": rjieba.cut,
        "detect_lang": detect_lang,
        "tokenise (terms)": lambda t: a.tokenizer.terms(t, "zh"),
        "sentiment, every clause new": sentiment_cold,
        "sentiment, as imported": lambda t: a.sentiment.analyse(t, "zh"),
        "topics (per-clause sentiment)": lambda t: a.taxonomy.match(t, verdicts[t]),
        "whole analysis, every clause new": whole_cold,
        "whole analysis, as imported": lambda t: a.analyse(t, "zh"),
        "whole analysis, as imported, language detected": lambda t: a.analyse(t, None),
    }
    best: dict[str, float] = dict.fromkeys(stages, 0.0)
    for _ in range(args.rounds):
        for name, fn in stages.items():
            best[name] = max(best[name], best_rate(fn, texts))
    base = best["jieba.lcut"]
    where = args.code.resolve() if args.code else ROOT
    print(f"code {where}; {len(texts):,} comments ({len(set(texts)):,} distinct, {chars / len(texts):.1f} characters, "
          f"{tokens / len(texts):.1f} jieba tokens each), best of {args.rounds}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for name, rate in best.items():
        print(f"{name:<48} {rate:>10,.0f} comments/s {rate * tokens / len(texts):>11,.0f} tokens/s "
              f"{rate / base:7.2f}x jieba.lcut  ({1e6 / rate:6.1f} µs each; 1M in {1e6 / rate:5.0f} s)", flush=True)


if __name__ == "__main__":
    main()
