"""Tokens: user-dictionary words stay whole, stop words never appear, synonyms merge, plurals fold."""

from __future__ import annotations

from cem_core.text.dictionaries import build_config, default_config
from cem_core.text.tokens import Tokenizer, bigrams, detect_lang, fold_plural


def test_user_dictionary_words_stay_whole() -> None:
    plain = Tokenizer(build_config("auto"))
    assert "加价提车" in plain.terms("4S店要求加价提车，不然不给车")
    custom = Tokenizer(build_config("hotel", {"user_words": ["悦享会员"]}))
    assert "悦享会员" in custom.terms("我是悦享会员，升级很快")
    assert "悦享会员" not in Tokenizer(build_config("hotel")).terms("我是悦享会员，升级很快")


def test_stop_words_never_appear() -> None:
    tok = Tokenizer(default_config("hotel"))
    cfg = default_config("hotel")
    comments = ["我们在前台等了很久，但是服务员的态度还是很好的", "The room was not clean and the staff were rude",
                "这个酒店的早餐真的是非常一般", "It was an ok stay, but we would not come back"]
    for c in comments:
        for term in tok.terms(c):
            assert term not in cfg.stopwords, (c, term)
    extra = Tokenizer(build_config("hotel", {"stopwords": ["早餐"]}))
    assert "早餐" not in extra.terms("早餐很好吃")


def test_synonyms_merge_to_one_display_term() -> None:
    tok = Tokenizer(default_config("hotel"))
    assert tok.terms("客服人员态度好")[0] == "客服"
    assert tok.terms("服务人员态度好")[0] == "客服"
    assert "check-in" in tok.terms("The checkin was slow")
    assert "check-in" in tok.terms("Check in was slow")
    assert "customer service" in tok.terms("Customer support never replied")


def test_english_lower_case_and_plural_folding() -> None:
    tok = Tokenizer(default_config("hotel"))
    assert tok.terms("Rooms ROOM rooms") == ["room", "room", "room"]
    assert fold_plural("queries") == "query" and fold_plural("boxes") == "box"
    assert fold_plural("business") == "business" and fold_plural("bus") == "bus"
    assert tok.terms("Towels and Sheets were stained") == ["towel", "sheet", "stained"]


def test_language_detection_and_bigrams() -> None:
    assert detect_lang("前台太慢了") == "zh" and detect_lang("The app crashed") == "en"
    assert detect_lang("App 闪退") == "zh"
    assert bigrams(["前台", "排队", "排队"]) == ["前台 排队"]


def test_cutting_at_punctuation_keeps_jiebas_tokens() -> None:
    """Comments are segmented piece by piece between punctuation (``tokens._CUT``), each distinct piece
    once: on random text mixing Chinese, Latin, digits, spaces, line ends and punctuation, the tokens and
    terms are exactly those of segmenting the whole text."""
    import random

    tok = Tokenizer(default_config("hotel"))
    alphabet = [*"服务很好前台排队房间干净不太满意但是虽然酒店早餐", *"abcXYZ019", " ", "\r\n", "\n", "\t", *".%-_+#&",
                *"，,。!！？?；;…~～、:：“”（）《》【】", "😀", "ｏｋ", "客服人员", "check-in", "5.5分"]
    rng = random.Random(13)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        whole = tok.jieba.cut(text, True)
        assert tok.cut_zh(text) == whole, text
        tok.forget()
        assert tok.terms(text, "zh") == tok._terms_of(whole), text
