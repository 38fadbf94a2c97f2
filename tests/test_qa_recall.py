"""How a recognised question is scored against FAQ entries: words found only in one entry's
answer, words held as parts of the entry's words, asked verbs, and the analyser's readings
that let a question meet the entry's words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.text.normalize import shared_analyzer
from bot.text.qa_matcher import Decision, FaqDoc, FaqIndex, MatchParams, _asked_verbs

GYM = [
    FaqDoc("gear", "需要自己准备什么？", "毛巾、水杯、运动鞋都要自备，更衣室有免费吹风机。"),
    FaqDoc("locker", "更衣柜怎么用？", "到前台领手环开柜，用完把手环还回前台。"),
    FaqDoc("parking", "场馆能停车吗？", "地下车库可以停车，会员免费停两小时。"),
    FaqDoc("water", "水温多少度？", "恒温池，水温常年在 27 度左右。"),
    FaqDoc("racket", "没有球拍怎么办？", "前台可以租球拍，一次 10 元。"),
    FaqDoc("fee", "年卡多少钱？", "年卡 2400 元，学生卡 1800 元。"),
    FaqDoc("class", "团课几点上？", "团课每天晚上 7 点开始，一节 60 分钟。"),
    FaqDoc("coach", "私教课怎么收费？", "私教课 300 元一节，找前台预约。"),
    FaqDoc("towel", "可以借浴巾吗？", "浴巾 5 元一条，前台租借。"),
]


def index(params: MatchParams | None = None) -> FaqIndex:
    return FaqIndex.build(GYM, shared_analyzer(), params)


def entry(idx: FaqIndex, key: str):  # type: ignore[no-untyped-def]
    return next(e for e in idx.entries if e.doc.key == key)


def score_of(decision: Decision, key: str) -> float:
    """The entry's score, whether it was answered, runner-up or rejected for its intent."""
    for hit in (decision.best, decision.runner_up, decision.rejected):
        if hit is not None and hit.key == key:
            return hit.score
    raise AssertionError(f"{key} was not scored")


def plain_index() -> FaqIndex:
    """The index without the extra weight of rare answer words."""
    return index(replace(MatchParams(), specific_answer_weight=MatchParams().answer_weight))


def test_an_answer_word_no_other_entry_says_weighs_more_than_a_shared_one() -> None:
    idx = index()
    p = idx.params
    gear = entry(idx, "gear")
    assert gear.term_weights["毛巾"] == p.specific_answer_weight
    coach = entry(idx, "coach")
    assert coach.term_weights["前台"] == p.answer_weight  # four entries' answers say 前台


def test_two_rare_answer_words_together_answer_the_question() -> None:
    idx = index()
    decision = idx.match("毛巾水杯要自己带吗")
    assert decision.answer_key == "gear"
    # Without the weight of rare answer words the same question scores lower.
    literal = plain_index().match("毛巾水杯要自己带吗")
    assert score_of(literal, "gear") < score_of(decision, "gear")


def test_one_answer_word_alone_earns_no_more_than_any_answer_word() -> None:
    # 吹风机 is said by one answer only, but nothing else of the question is in that entry.
    boosted = index().match("吹风机坏了找谁")
    literal = plain_index().match("吹风机坏了找谁")
    assert score_of(boosted, "gear") == score_of(literal, "gear")


def test_a_word_many_answers_say_does_not_corroborate() -> None:
    # A price (元, 免费) is in most answers: with it, 吹风机 is still one telling word alone.
    boosted = index().match("吹风机多少钱")
    literal = plain_index().match("吹风机多少钱")
    assert score_of(boosted, "gear") == score_of(literal, "gear")


@pytest.mark.parametrize(
    ("key", "word", "held"),
    [
        ("locker", "衣柜", True),  # typed inside the entry's 更衣柜
        ("parking", "停车位", True),  # the entry's 停车 inside the query's word
        ("water", "池子", True),  # the noun without its suffix: 池
        ("racket", "拍子", True),  # a compound the noun heads: 球拍
        ("fee", "池子", False),
        ("parking", "车位费", False),  # only characters in common
    ],
)
def test_words_held_as_parts_of_the_entrys_words(key: str, word: str, held: bool) -> None:
    idx = index()
    assert (idx._part_of(entry(idx, key), word) > 0) is held


def test_a_word_typed_in_the_question_counts_more_than_in_the_answer() -> None:
    idx = index()
    in_question = idx._part_of(entry(idx, "locker"), "衣柜")
    in_answer = idx._part_of(entry(idx, "water"), "温池")
    assert in_question > in_answer > 0


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("有停车位吗", "parking"),
        ("衣柜钥匙去哪领", "locker"),
        ("池子是恒温的吗", "water"),
    ],
)
def test_questions_with_words_cut_otherwise_are_answered(query: str, key: str) -> None:
    assert index().match(query).answer_key == key


def test_the_verb_whose_object_is_asked_is_a_topic_word() -> None:
    analyzer = shared_analyzer()
    # 带啥 is one everyday phrase (准备); a verb cut alone before 什么 is the asked verb
    assert _asked_verbs(analyzer.analyze("中午吃点什么").tokens, analyzer) == {"吃"}
    assert _asked_verbs(analyzer.analyze("上课穿点什么好").tokens, analyzer) == {"穿"}
    assert _asked_verbs(analyzer.analyze("上课要带毛巾吗").tokens, analyzer) == frozenset()
    idx = index()
    weights = idx._weights(("上课", "带"), frozenset(), verbs=frozenset({"带"}))
    plain = idx._weights(("上课", "带"), frozenset())
    assert weights["带"] == 2 * plain["带"]


def test_a_topic_word_another_entry_asks_about_lowers_the_score() -> None:
    # 团课 is what the class entry asks about; the coach entry never says it.
    text = "私教课和团课能一起买吗"
    gentle = index(replace(MatchParams(), foreign_penalty=1.0)).match(text)
    assert score_of(index().match(text), "coach") < score_of(gentle, "coach")


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("泳镜要自己买吗", "准备", ""),
        ("需要自己带什么", "准备", ""),
        ("开车过去有地方停吗", "停车", "请假"),
        ("卡能停吗", "请假", "停车"),
        ("课后要交作业吗", "作业", ""),
        ("我家孩子三岁能学吗", "年龄", "我家"),
        ("孩子几岁可以学", "年龄", ""),
        ("结业有没有证", "证书", ""),
        ("打完球能冲个澡吗", "洗澡", ""),
        ("不上课的时候能来练吗", "上课", "时间"),
    ],
)
def test_the_analyser_reads_what_the_words_mean(text: str, present: str, absent: str) -> None:
    terms = shared_analyzer().analyze(text, question=True).terms
    assert present in terms
    if absent:
        assert absent not in terms
