"""Accuracy of the sentiment engine on a labelled set (``tests/data/sentiment_*.tsv``): accuracy,
macro-F1 and accuracy on hard cases, overall and per hard-case kind. Used by the floor test and by
``python -m cem_core text evaluate FILE``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from cem_core.text.dictionaries import default_config
from cem_core.text.sentiment import engine_for

LABELS = ("positive", "neutral", "negative")


@dataclass
class Scores:
    n: int
    accuracy: float
    macro_f1: float
    hard_n: int
    hard_accuracy: float
    by_kind: dict[str, tuple[int, float]]
    errors: list[tuple[str, str, str, str]]  # (text, expected, got, evidence)


def read_set(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def evaluate(path: Path) -> Scores:
    """Score every row with its industry's default config and language."""
    rows = read_set(path)
    got, errors = [], []
    for r in rows:
        v = engine_for(default_config(r["industry"])).analyse(r["text"], r["lang"])
        got.append(v.label)
        if v.label != r["label"]:
            errors.append((r["text"], r["label"], v.label, "; ".join(v.evidence)))
    gold = [r["label"] for r in rows]
    correct = [g == p for g, p in zip(gold, got, strict=True)]
    f1s = []
    for lab in LABELS:
        tp = sum(1 for g, p in zip(gold, got, strict=True) if g == p == lab)
        fp = sum(1 for g, p in zip(gold, got, strict=True) if p == lab != g)
        fn = sum(1 for g, p in zip(gold, got, strict=True) if g == lab != p)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    hard = [c for r, c in zip(rows, correct, strict=True) if r["hard"]]
    kinds: dict[str, list[bool]] = {}
    for r, c in zip(rows, correct, strict=True):
        if r["hard"]:
            kinds.setdefault(r["hard"], []).append(c)
    return Scores(len(rows), sum(correct) / len(rows), sum(f1s) / len(f1s), len(hard),
                  sum(hard) / len(hard) if hard else 0.0,
                  {k: (len(v), sum(v) / len(v)) for k, v in sorted(kinds.items())}, errors)
