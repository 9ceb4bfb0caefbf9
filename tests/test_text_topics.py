"""Topics: any / all / not rules, two levels, several topics per comment, per-topic sentiment."""

from __future__ import annotations

from cem_core.text.analyze import TextAnalyzer
from cem_core.text.dictionaries import TopicRule, build_config, default_config
from cem_core.text.sentiment import engine_for
from cem_core.text.topics import Taxonomy, suggest_topics

RULES = [
    TopicRule("service", "", "服务", "Service"),
    TopicRule("front_desk", "service", "前台效率", "Front desk", any_of=("前台", "reception", "front desk")),
    TopicRule("staff_rude", "service", "态度", "Rudeness", any_of=("态度", "rude"), not_of=("态度很好",)),
    TopicRule("room", "", "房间", "Room"),
    TopicRule("room_noise", "room", "噪音", "Noise", any_of=("吵", "noise", "noisy")),
    TopicRule("night_noise", "room", "夜间噪音", "Night noise", any_of=("吵", "noise"), all_of=("晚上",)),
]


def codes(text: str) -> list[str]:
    return sorted(m.code for m in Taxonomy(RULES).match(text))


def test_any_rule_and_english_whole_words() -> None:
    assert codes("前台很慢") == ["front_desk", "service"]
    assert codes("The reception was slow") == ["front_desk", "service"]
    assert codes("The receptionist was slow") == []  # "reception" is a whole word in English


def test_all_rule_needs_every_keyword() -> None:
    assert "night_noise" not in codes("房间很吵")
    assert "night_noise" in codes("晚上房间很吵")


def test_not_rule_excludes() -> None:
    assert "staff_rude" in codes("态度冷漠")
    assert "staff_rude" not in codes("态度很好")


def test_two_levels_parent_counted_once_with_several_topics() -> None:
    found = codes("前台态度冷漠，晚上房间很吵")
    assert found == ["front_desk", "night_noise", "room", "room_noise", "service", "staff_rude"]
    assert len(found) == len(set(found))


def test_per_topic_sentiment_on_a_mixed_comment() -> None:
    cfg = default_config("hotel")
    text = "早餐很丰富，但是前台办理入住太慢了"
    verdict = engine_for(cfg).analyse(text, "zh")
    tax = Taxonomy(cfg.topics)
    labels = {m.code: m.label for m in tax.match(text, verdict)}
    assert labels["breakfast"] == "positive"
    assert labels["check_in"] == "negative"
    text = "The room was spotless but the breakfast was awful"
    labels = {m.code: m.label for m in tax.match(text, engine_for(cfg).analyse(text, "en"))}
    assert labels["cleanliness"] == "positive" and labels["breakfast"] == "negative"


def test_taxonomy_is_editable_data() -> None:
    custom = [r.as_dict() for r in RULES] + [{"code": "spa", "parent": "room", "name_zh": "水疗", "name_en": "Spa",
                                              "any": ["水疗", "spa"]}]
    analyzer = TextAnalyzer(build_config("hotel", {"topics": custom}))
    result = analyzer.analyse("水疗中心很棒", "zh")
    assert result is not None and {m.code for m in result.topics} == {"spa", "room"}


def test_every_industry_has_a_two_level_default() -> None:
    for industry in ("hotel", "airline", "bank", "auto", "insurance", "retail"):
        rules = default_config(industry).topics
        parents = {r.code for r in rules if not r.parent}
        assert len(rules) >= 20 and parents
        assert all(r.parent in parents for r in rules if r.parent)


def test_suggested_topics_are_frequent_uncovered_terms() -> None:
    tax = Taxonomy(RULES)
    got = suggest_topics({"泳池": 9, "前台": 50, "前台经理": 7, "spa": 2, "电梯": 4}, tax, min_count=3)
    assert got == [("泳池", 9), ("电梯", 4)]
