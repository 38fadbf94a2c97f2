"""Intent agreement in the FAQ matcher: what a question asks, what an entry answers."""

from __future__ import annotations

import pytest

from bot.text.normalize import looks_like_question, shared_analyzer
from bot.text.qa_intent import Slot, answer_slots, asked_slots
from bot.text.qa_matcher import FaqDoc, FaqIndex

WRITING = [
    FaqDoc("fee", "会员费多少钱？", "年费会员 365 元，季度会员 128 元，新人首月 19.9 元体验。"),
    FaqDoc("refund", "可以退款吗？", "加入 7 天内且未参加训练营可以全额退款，请私信班长处理。"),
    FaqDoc("share-time", "每周的主题分享会是什么时候？", "每周三晚上 8 点在群里进行主题分享。"),
    FaqDoc(
        "replay", "错过了分享会有回放吗？", "有的，回放会在分享结束后 24 小时内整理到群精华里。"
    ),
    FaqDoc(
        "payout", "稿费多久发放？", "稿件被采用后，稿费在次月 15 号统一发放到你登记的收款账户。"
    ),
    FaqDoc("submit", "在哪里投稿？", "投稿请发到社群投稿邮箱 tougao@example.com。"),
    FaqDoc("leave", "怎么退出社群？", "直接退群即可；如需保留积分，请先私信班长登记。"),
    FaqDoc("join", "怎么加入社群？", "扫群公告里的二维码报名，审核通过后拉你进群。"),
    FaqDoc("points-use", "积分有什么用？", "积分可以兑换一对一稿件点评和社群周边。"),
]
WITHOUT = ("refund", "replay", "payout")


@pytest.fixture(scope="module")
def full() -> FaqIndex:
    return FaqIndex.build(WRITING, shared_analyzer())


@pytest.fixture(scope="module")
def partial() -> FaqIndex:
    return FaqIndex.build([d for d in WRITING if d.key not in WITHOUT], shared_analyzer())


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("分享会几点开始", Slot.TIME),
        ("稿费多久发放", Slot.DURATION),
        ("在哪里投稿", Slot.PLACE),
        ("补卡找谁", Slot.WHO),
        ("会员费多少钱", Slot.COUNT),
        ("为什么我的积分没了", Slot.WHY),
        ("镜头摔了怎么办", Slot.REMEDY),
    ],
)
def test_the_slot_a_question_asks(text: str, slot: Slot) -> None:
    assert asked_slots(text) & slot


def test_yes_no_questions_and_identifiers_ask_no_specific_slot() -> None:
    assert asked_slots("可以退款吗") == 0
    assert not asked_slots("投稿邮箱是多少") & Slot.COUNT  # an address, not a count
    assert not asked_slots("几点到几点营业") & Slot.COUNT  # hours, not a count


def test_what_an_answer_offers() -> None:
    slots = answer_slots("每周三晚上 8 点在群里进行主题分享")
    assert slots & Slot.TIME and slots & Slot.PLACE and not slots & Slot.WHO
    assert answer_slots("年费会员 365 元") & Slot.COUNT
    assert not answer_slots("年费会员 365 元") & Slot.TIME
    assert answer_slots("请私信班长处理") & Slot.WHO
    # Sent somewhere (a clinic, a shop) is a place: 驱虫去哪里做 is answered.
    assert answer_slots("疫苗请去合作的安心宠物医院") & Slot.PLACE
    assert not answer_slots("去年涨过一次价") & Slot.PLACE


@pytest.mark.parametrize(
    ("query", "near"),
    [
        ("会员可以退款吗？", "fee"),  # a refund, not the price
        ("每周分享会有回访吗？", "share-time"),  # a replay (typed 回访), not the time
        ("投稿稿费一般多少？", "submit"),  # how much: the entry says where
    ],
)
def test_a_near_entry_of_another_intent_is_rejected_not_answered(
    partial: FaqIndex, query: str, near: str
) -> None:
    decision = partial.match(query)
    assert decision.answer_key is None
    assert near in decision.rejected_keys
    # Nothing compatible is left to become a similar phrasing when an admin answers it.
    assert decision.best is None or decision.best.score < 0.4


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("会员可以退款吗？", "refund"),
        ("每周分享会有回访吗？", "replay"),
        ("每周分享会几点开始？", "share-time"),
        ("会员一年多少钱", "fee"),
        ("稿费什么时候发", "payout"),
        ("交了会费不想玩了，能退吗", "refund"),
    ],
)
def test_the_entry_of_the_same_intent_answers(full: FaqIndex, query: str, expect: str) -> None:
    assert full.match(query).answer_key == expect


def test_whose_fee_a_question_asks(full: FaqIndex) -> None:
    # 稿费 is money the member receives: never the membership fee; the entry about it says
    # when it is paid, not how much.
    assert "收入" in shared_analyzer().analyze("投稿稿费一般多少？").terms
    decision = full.match("投稿稿费一般多少？")
    assert decision.answer_key is None
    assert decision.best is None or decision.best.key != "fee"
    assert full.match("稿费多久发放？").answer_key == "payout"


def test_the_price_of_something_else_is_not_the_entrys_price() -> None:
    docs = [
        FaqDoc("price", "编程课多少钱？", "常规班 48 课时 5760 元。"),
        FaqDoc("contest", "怎么报名编程比赛？", "报名通知发在群公告，报名费由家长承担。"),
    ]
    index = FaqIndex.build(docs, shared_analyzer())
    assert index.match("编程课一节多少钱？").answer_key == "price"
    for query in ("比赛报名费多少钱？", "证书考试多少钱？"):
        assert index.match(query).answer_key is None, query


def test_a_single_character_synonym_is_a_weak_hint(full: FaqIndex) -> None:
    analysis = shared_analyzer().analyze("加个微信好吗？")
    assert "报名" in analysis.terms  # 加 is in the joining family...
    assert "报名" in full.read_intent(analysis).weak  # ...but only as a weak hint
    assert full.match("加个微信好吗？").answer_key is None
    assert full.match("怎么加入社群？").answer_key == "join"


@pytest.mark.parametrize(
    "text",
    [
        "我以前在别的群，后来群主天天发广告，我就退出了，不知道大家有没有遇到过",
        "她后来离开了这个群，不知道去哪了",
        "我当时也不知道为什么就退出了那个群",
        "看了个纪录片，那个大师为什么最后离开了印度？",
    ],
)
def test_a_story_is_not_a_question_for_the_faq(full: FaqIndex, text: str) -> None:
    decision = full.match(text)
    assert decision.answer_key is None
    assert decision.analysis.question is False  # not logged to the backlog either


@pytest.mark.parametrize(
    "text", ["我想退群，积分还能保留吗", "忘记打卡了可以补卡吗", "交了会费不想玩了，能退吗"]
)
def test_questions_with_a_finished_event_are_still_questions(full: FaqIndex, text: str) -> None:
    assert full.match(text).analysis.question is True


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("后期课报了但是去不了，可以退款不😢", True),  # an emoji after the final 不
        ("打扰一下，我想申请退费", True),  # a request the FAQ answers
        ("进群第三天，想退款", True),
        ("瑜伽馆地址发一下", True),
        ("每个月的比赛一个人能交几张照片", True),
        ("比赛结果是评委定还是大家投票啊", True),
        ("我想吃火锅", False),
        ("今天天气真好😊", False),
    ],
)
def test_question_shapes(text: str, asks: bool) -> None:
    assert looks_like_question(text) is asks
