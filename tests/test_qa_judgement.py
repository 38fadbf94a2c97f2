"""The matcher's answer-vs-silence judgement: what a question asks against what an entry
answers (yes/no against what/how, how against when, whose price), and the candidate gate
that keeps chatter cheap whatever the FAQ's size."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.text.normalize import shared_analyzer
from bot.text.qa_matcher import FaqDoc, FaqIndex, MatchParams

STUDIO = [
    FaqDoc("bring", "上课需要带什么？", "带一张瑜伽垫和一条毛巾，穿宽松的衣服。"),
    FaqDoc("injury", "腰不好能练吗？", "腰椎有伤的同学先上康复课，课前告诉老师哪里不舒服。"),
    FaqDoc("fee", "训练营多少钱？", "21 天训练营 399 元，包含全部直播课和一份材料包。"),
    FaqDoc("kit-extra", "材料包用完了怎么加购？", "在小程序商城加购，毛线 25 元一团。"),
    FaqDoc("contest", "怎么报名编程比赛？", "每年 3 月在群公告里发报名通知，报名费家长自理。"),
    FaqDoc("price", "钢琴课怎么收费？", "一对一课 260 元一节，小组课每人 120 元。"),
    FaqDoc("grading-fee", "考级费多少钱？", "一级 180 元，每升一级加 40 元。"),
    FaqDoc("hours", "瑜伽馆几点开门？", "每天早上 7 点开门，晚上 10 点关门。"),
]
# Questions that share an entry's topic words but ask something it does not answer.
NEAR_MISSES = [
    "感冒了可以上课吗",  # a yes/no question the what-to-bring entry never answers
    "我怀孕四个月了，还能上课吗",
    "材料包可以单独买吗，多少钱",  # the price of the kit, not of the camp
    "比赛什么时候出成绩",  # when the results come, not how to sign up
]
ANSWERED = [
    ("第一次上课要带瑜伽垫吗", "bring"),  # its answer says so
    ("腰疼可以上课吗", "injury"),  # a sore back is the entry's bad back
    ("训练营报名费多少", "fee"),
    ("小组课一个人多少钱", "price"),  # per person: the group class's price
    ("瑜伽馆早上几点开门", "hours"),
]


@pytest.fixture(scope="module")
def studio() -> FaqIndex:
    return FaqIndex.build(STUDIO, shared_analyzer(), MatchParams(threshold=0.40, margin=0.08))


@pytest.mark.parametrize("query", NEAR_MISSES)
def test_a_near_miss_stays_silent(studio: FaqIndex, query: str) -> None:
    decision = studio.match(query)
    assert decision.analysis.question
    assert decision.answer_key is None


@pytest.mark.parametrize(("query", "key"), ANSWERED)
def test_the_same_topics_asked_as_the_entry_answers_are_answered(
    studio: FaqIndex, query: str, key: str
) -> None:
    assert studio.match(query).answer_key == key


def test_a_yes_no_question_is_read_against_the_entry_answer(studio: FaqIndex) -> None:
    analyzer = shared_analyzer()
    bring = next(e for e in studio.entries if e.doc.key == "bring")
    assert bring.intent is not None and not bring.intent.yes_no
    injury = next(e for e in studio.entries if e.doc.key == "injury")
    assert injury.intent is not None and injury.intent.yes_no
    asked = studio.read_intent(analyzer.analyze("腰疼可以上课吗"))
    assert asked.predicate is not None  # a yes/no question


def test_whose_price_skips_amounts_and_reads_the_clause_before() -> None:
    index = FaqIndex.build(STUDIO, shared_analyzer())
    analyzer = shared_analyzer()
    owner = index.read_intent(analyzer.analyze("小组课一个人多少钱")).owner
    assert owner is not None and owner[0] == "小组"
    assert index.read_intent(analyzer.analyze("考三级的费用是多少")).owner is None
    kit = index.read_intent(analyzer.analyze("材料包可以单独买吗，多少钱")).owner
    assert kit is not None and kit[0] in "材料包可以单独买吗"  # not the camp's price


def _synthetic(n: int) -> list[FaqDoc]:
    topics = ("瑜伽", "钢琴", "烘焙", "摄影", "跑步", "编程", "书法", "围棋", "游泳", "绘画")
    return [
        FaqDoc(f"s{i}", f"{topics[i % 10]}第{i}期怎么报名？", f"第{i}期在小程序报名，{i} 元。")
        for i in range(n)
    ]


def test_chatter_without_a_topic_word_of_the_faq_scores_no_entry() -> None:
    index = FaqIndex.build(_synthetic(500), shared_analyzer())
    decision = index.match("今天好热啊，你们那边下雨了吗")
    assert decision.best is None and decision.rejected is None


def test_skipping_candidates_that_cannot_reach_the_margin_changes_no_answer() -> None:
    """The candidate bound only skips work: with it and with every candidate scored
    (a huge candidate budget and no margin floor), the answers are the same."""
    docs = STUDIO + _synthetic(300)
    fast = FaqIndex.build(docs, shared_analyzer(), MatchParams(threshold=0.40, margin=0.08))
    exhaustive = FaqIndex.build(docs, shared_analyzer(), replace(fast.params, candidates=400))
    queries = [q for q, _ in ANSWERED] + NEAR_MISSES + ["瑜伽第3期怎么报名", "钢琴怎么报名呀"]
    for query in queries:
        assert fast.match(query).answer_key == exhaustive.match(query).answer_key, query
