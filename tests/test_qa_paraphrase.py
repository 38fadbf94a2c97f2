"""Everyday variants of how members ask, and answer texts read for what they say.

Each pair below is a general Chinese equivalence (not one community's wording): a weekday
question asks a time, a place's doors opening or closing are its opening hours, a child is a
child however a parent says it; 「保存 3 个月」 in an answer says how long a thing is kept, not
that it can be downloaded; 「也太好笑了吧？」 is an exclamation, not a question.
"""

from __future__ import annotations

import pytest

from bot.text.normalize import looks_like_question, shared_analyzer
from bot.text.qa_matcher import FaqDoc, FaqIndex

FAQ = [
    FaqDoc("time", "活动一般什么时候？", "英语角每周六下午 2 点到 5 点。"),
    FaqDoc("fee", "参加英语角要交钱吗？", "每次 30 元，含一杯饮料。"),
    FaqDoc("hours", "店里几点开门？", "每天上午 10 点到晚上 9 点营业。"),
    FaqDoc("kids", "可以带孩子来吗？", "12 岁以上的孩子可以在家长陪同下参加。"),
    FaqDoc("replay", "线上课有录播吗？", "线上课都有录播，课后发到学员群，保存 3 个月。"),
    FaqDoc("video", "视频课什么时候开始？", "每周四晚上 8 点开始。"),
]


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.build(FAQ, shared_analyzer())


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("英语角是周几", "time"),
        ("英语角星期几有", "time"),
        ("晚上几点关门", "hours"),
        ("带小孩去可以吗", "kids"),
        ("小朋友能来吗", "kids"),
        ("线上课有录播吗", "replay"),
    ],
)
def test_everyday_variants_are_answered(index: FaqIndex, query: str, expect: str) -> None:
    assert index.match(query).answer_key == expect


def test_an_answer_that_keeps_a_replay_for_months_does_not_offer_a_download(
    index: FaqIndex,
) -> None:
    decision = index.match("录播可以下载吗")
    assert decision.answer_key is None
    assert decision.rejected is not None and decision.rejected.key == "replay"


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("这个视频也太好笑了吧？", False),
        ("这也太贵了吧", False),
        ("这个课太难了吧，怎么办", True),  # a question word still asks
        ("能退款吧？", True),
    ],
)
def test_an_exclamation_with_a_question_mark_is_not_a_question(text: str, asks: bool) -> None:
    assert looks_like_question(text) is asks


def test_an_exclamation_about_an_faq_topic_gets_no_answer(index: FaqIndex) -> None:
    assert index.match("这个视频也太好笑了吧？").answer_key is None
