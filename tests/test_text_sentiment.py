"""Sentiment: the floor on the never-tuned test set, one focused case per hard kind, and evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from cem_core.text.dictionaries import build_config, default_config
from cem_core.text.evaluate import evaluate
from cem_core.text.sentiment import SentimentEngine, engine_for

DATA = Path(__file__).parent / "data"


def test_floor_on_the_test_set() -> None:
    """The floor reached on the held-out set (written before the rules, never tuned on). Unseen real
    comments will score lower: see the README for what that number means."""
    s = evaluate(DATA / "sentiment_test.tsv")
    assert s.n >= 180
    assert s.accuracy >= 0.92, s.errors
    assert s.macro_f1 >= 0.92
    assert s.hard_accuracy >= 0.90, s.errors
    for kind, (n, acc) in s.by_kind.items():
        assert acc >= 0.8, (kind, n, acc)


def test_development_set_is_large_and_balanced() -> None:
    s = evaluate(DATA / "sentiment_dev.tsv")
    assert s.n >= 400 and s.hard_n / s.n >= 0.3
    assert s.accuracy >= 0.95


CASES = [
    # (kind, text, lang, industry, label)
    ("negation", "服务一点也不专业", "zh", "hotel", "negative"),
    ("negation", "没有任何异味", "zh", "hotel", "positive"),
    ("negation", "The staff were not friendly", "en", "hotel", "negative"),
    ("negation", "No delays and no lost bags", "en", "airline", "positive"),
    ("double_negation", "没有不满意的地方", "zh", "bank", "positive"),
    ("double_negation", "I can't complain about anything", "en", "bank", "positive"),
    ("intensifier", "态度非常恶劣", "zh", "retail", "negative"),
    ("contrast", "虽然价格便宜，但是质量太差", "zh", "retail", "negative"),
    ("contrast", "房间有点小，不过服务特别好", "zh", "hotel", "positive"),
    ("contrast", "Great location, but the room was dirty", "en", "hotel", "negative"),
    ("contrast", "The queue was long, but the teller was brilliant", "en", "bank", "positive"),
    ("irony", "真是“高效”，一个业务办了三小时", "zh", "bank", "negative"),
    ("irony", 'What a "premium" lounge, no seats and no food', "en", "airline", "negative"),
    ("neutral_cue", "还行吧，一般", "zh", "insurance", "neutral"),
    ("neutral_cue", "It was fine, nothing special", "en", "insurance", "neutral"),
    ("score", "打6分", "zh", "auto", "neutral"),
    ("score", "给9分，很好", "zh", "auto", "positive"),
    ("score", "2/10 awful", "en", "auto", "negative"),
    ("domain", "信用卡提额了", "zh", "bank", "positive"),
    ("domain", "店里价保很给力", "zh", "retail", "positive"),
    ("domain", "航班超售把我拉下了", "zh", "airline", "negative"),
    ("domain", "销售要求加价提车", "zh", "auto", "negative"),
    ("domain", "We got bumped to a later flight", "en", "airline", "negative"),
    ("waiting", "办个卡等了两个小时", "zh", "bank", "negative"),
    ("waiting", "I was on hold for 45 minutes", "en", "bank", "negative"),
    ("question", "请问早餐几点开始", "zh", "hotel", "neutral"),
]


@pytest.mark.parametrize(("kind", "text", "lang", "industry", "label"), CASES,
                         ids=[f"{c[0]}:{c[1][:12]}" for c in CASES])
def test_hard_case_kinds(kind: str, text: str, lang: str, industry: str, label: str) -> None:
    v = engine_for(default_config(industry)).analyse(text, lang)
    assert v.label == label, (kind, v.evidence)


def test_evidence_names_the_words_that_decided() -> None:
    eng = engine_for(default_config("hotel"))
    v = eng.analyse("早餐一点都不新鲜", "zh")
    assert v.label == "negative" and any("新鲜" in e and "negated" in e for e in v.evidence)
    v = eng.analyse("虽然位置好，但是太吵了", "zh")
    assert any("吵" in e for e in v.evidence) and any("contrast" in e for e in v.evidence)
    v = eng.analyse('Thanks for the "quiet" room', "en")
    assert any("ironic" in e and "quiet" in e for e in v.evidence)
    v = eng.analyse("6/10", "en")
    assert v.label == "neutral" and "written score" in v.evidence[0]
    assert -1 <= v.score <= 1


def test_lexicon_is_data_an_admin_extends() -> None:
    """An industry word unknown to the defaults gets its polarity from an override, not from code."""
    base = SentimentEngine(build_config("bank"))
    assert base.analyse("又被风控了", "zh").label == "neutral"
    extended = SentimentEngine(build_config("bank", {"lexicon": {"风控": -1.5}}))
    assert extended.analyse("又被风控了", "zh").label == "negative"
