"""``python -m cem_core sentiment | terms | topics | wordcloud | text rebuild|evaluate``: the Text
page's functions for scheduled jobs and for checking results. Registered by ``cem_core.cli``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine

from cem_core.analyze.queries import Filters
from cem_core.text import report, store
from cem_core.text.cloud import render_cloud
from cem_core.text.evaluate import evaluate
from cem_core.text.sentiment import engine_for
from cem_core.text.settings import active_config_of

SENTIMENT_CHOICES = ("negative", "neutral", "positive")


def add_filter_args(p: argparse.ArgumentParser) -> None:
    """The filters ``stats`` takes, so every text command can be narrowed the same way."""
    p.add_argument("--from", dest="date_from", type=dt.date.fromisoformat)
    p.add_argument("--to", dest="date_to", type=dt.date.fromisoformat)
    p.add_argument("--channel", action="append", help="channel code; repeat for several")
    p.add_argument("--stage", action="append", help="journey stage code; repeat for several")


def filters_of(args: argparse.Namespace) -> Filters:
    return Filters(date_from=args.date_from, date_to=args.date_to, channels=tuple(args.channel or ()),
                   stages=tuple(args.stage or ()))


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("sentiment", help="label texts: one per line (or jsonl with a text field) -> JSON lines")
    s.add_argument("file", nargs="?", default="-", help="file, or - for stdin (default)")
    s.add_argument("--lang", choices=("auto", "zh", "en"), default="auto")
    s.add_argument("--json", action="store_true", help="JSON lines out (the default; kept for symmetry)")
    t = sub.add_parser("terms", help="most frequent terms of the filtered comments")
    t.add_argument("--json", action="store_true")
    t.add_argument("--top", type=int, default=50)
    t.add_argument("--sentiment", choices=SENTIMENT_CHOICES)
    t.add_argument("--bigrams", action="store_true", help="phrases (adjacent term pairs) instead of terms")
    add_filter_args(t)
    tp = sub.add_parser("topics", help="topics with sentiment counts and NPS impact")
    tp.add_argument("--json", action="store_true")
    tp.add_argument("--lang", choices=("zh", "en"), default="en")
    add_filter_args(tp)
    w = sub.add_parser("wordcloud", help="write the word cloud of the filtered comments as PNG")
    w.add_argument("--out", required=True, type=Path)
    w.add_argument("--sentiment", choices=SENTIMENT_CHOICES)
    w.add_argument("--bigrams", action="store_true")
    w.add_argument("--top", type=int, default=150)
    add_filter_args(w)
    x = sub.add_parser("text", help="text analytics maintenance")
    x.add_argument("action", choices=("rebuild", "evaluate"))
    x.add_argument("path", nargs="?", type=Path, help="evaluate: a labelled tsv (see tests/data/README.md)")
    x.add_argument("--stale", action="store_true", help="rebuild: only batches analysed with an older version")


def _texts(stream: TextIO) -> list[tuple[str, str | None]]:
    out = []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            obj = json.loads(line)
            out.append((str(obj.get("text") or ""), obj.get("lang")))
        else:
            out.append((line, None))
    return out


def sentiment(engine: Engine, args: argparse.Namespace) -> int:
    engine_ = engine_for(active_config_of(engine))
    if args.file == "-":
        items = _texts(sys.stdin)
    else:
        with open(args.file, encoding="utf-8") as f:
            items = _texts(f)
    for text, lang in items:
        v = engine_.analyse(text, lang or (None if args.lang == "auto" else args.lang))
        print(json.dumps(v.as_dict(), ensure_ascii=False))
    return 0


def terms(engine: Engine, args: argparse.Namespace) -> int:
    df = report.term_counts(engine, filters_of(args), sentiment=args.sentiment, bigrams=args.bigrams, top=args.top)
    rows = [{"term": r.term, "count": int(r.count), "sentiment": r.sentiment, "avg_score": float(r.avg_score)}
            for r in df.itertuples(index=False)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for r in rows:
            print(f"{r['count']:>8}  {r['sentiment']:<8}  {r['term']}")
    return 0


def topics(engine: Engine, args: argparse.Namespace) -> int:
    df = report.topic_table(engine, filters_of(args), active_config_of(engine), args.lang)
    rows = [{"topic": r.topic, "name": r.name, "parent": r.parent, "n": int(r.n), "positive": int(r.positive),
             "neutral": int(r.neutral), "negative": int(r.negative), "nps_impact": _num(r.nps_impact),
             "ci": [_num(r.ci_low), _num(r.ci_high)], "nps_n": int(r.nps_n)} for r in df.itertuples(index=False)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for r in rows:
            print(f"{r['n']:>7}  +{r['positive']:<6} ={r['neutral']:<6} -{r['negative']:<6} "
                  f"NPS impact {r['nps_impact']}  {r['name']}")
    return 0


def _num(value: float) -> float | None:
    return None if value != value else float(value)  # NaN (no comparison group) -> null


def wordcloud(engine: Engine, args: argparse.Namespace) -> int:
    df = report.term_counts(engine, filters_of(args), sentiment=args.sentiment, bigrams=args.bigrams, top=args.top)
    args.out.write_bytes(render_cloud(df))
    print(f"{args.out}: {len(df)} terms")
    return 0


def text(engine: Engine, args: argparse.Namespace) -> int:
    if args.action == "evaluate":
        if args.path is None:
            print("text evaluate needs a labelled file", file=sys.stderr)
            return 2
        s = evaluate(args.path)
        print(json.dumps({"n": s.n, "accuracy": round(s.accuracy, 4), "macro_f1": round(s.macro_f1, 4),
                          "hard_n": s.hard_n, "hard_accuracy": round(s.hard_accuracy, 4),
                          "by_kind": {k: {"n": n, "accuracy": round(a, 4)} for k, (n, a) in s.by_kind.items()}}))
        return 0

    def progress(frac: float, msg: str) -> None:
        print(f"\r{frac:6.1%} {msg:<24}", end="", file=sys.stderr, flush=True)

    done = store.reanalyse(engine, progress, only_stale=args.stale)
    print(file=sys.stderr)
    print(f"re-analysed {done} comments")
    return 0


COMMANDS = {"sentiment": sentiment, "terms": terms, "topics": topics, "wordcloud": wordcloud, "text": text}
