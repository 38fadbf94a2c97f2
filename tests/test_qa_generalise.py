"""How the FAQ matcher generalises: homophone typos, answer keywords, silence off the FAQ.

The eval files under tests/data are guarded against regressions in tests/test_qa_targets.py.
"""

from __future__ import annotations

import pytest

from bot.text.normalize import looks_like_question, shared_analyzer
from bot.text.pinyin import Respeller, readings
from bot.text.qa_matcher import FaqDoc, FaqIndex

FAQ = [
    FaqDoc("replay", "直播错过了能看回放吗？", "回放在直播结束后 2 小时内上传到群文件。"),
    FaqDoc("fee", "训练营收费多少？", "21 天训练营 199 元，老学员 149 元。"),
    FaqDoc("refund", "报名后可以退款吗？", "开营前可以全额退款，请联系班主任。"),
    FaqDoc("leave", "怎么退群？", "直接退出群聊即可。"),
    FaqDoc("invoice", "能开发票吗？", "可以开电子发票，把抬头和税号私信班主任。"),
    FaqDoc("meals", "饮食记录要怎么交？", "每天晚上 10 点前把三餐照片发到群里，助教第二天点评。"),
    FaqDoc("jersey", "俱乐部跑衫怎么领？", "交费后在周六现场领取跑衫，尺码提前登记。"),
]


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.build(FAQ, shared_analyzer())


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("直播回访在哪里看？", "replay"),  # 回访 for 回放
        ("训练营收废多少", "fee"),  # 收废 for 收费
        ("开营前还能退宽吗", "refund"),  # 退宽 for 退款
        ("发漂怎么开？", "invoice"),  # 发漂 for 发票
    ],
)
def test_homophone_typos_are_answered(index: FaqIndex, query: str, expect: str) -> None:
    assert index.match(query).answer_key == expect


def test_respeller_repairs_only_non_words_and_never_numbers() -> None:
    analyzer = shared_analyzer()
    respeller = Respeller(["回放", "时间", "跑量", "多少钱", "月底"], analyzer.is_real_word)
    assert respeller.respell(analyzer.tokens("回访在哪看")) == "回放在哪看"
    assert respeller.respell(analyzer.tokens("一年多少前")) == "一年多少钱"
    assert respeller.respell(analyzer.tokens("这个事件")) is None  # a real word stays
    assert respeller.respell(analyzer.tokens("我跑两公里")) is None  # 两 is a number
    assert respeller.respell(analyzer.tokens("这个月的主题")) is None  # 的 is a particle
    assert readings("重")[:2] == ("zhong", "chong")


def test_respeller_merges_front_and_back_nasals_only_when_no_word_sounds_exactly_alike() -> None:
    analyzer = shared_analyzer()
    respeller = Respeller(["押金", "报名", "几次", "时间"], analyzer.is_real_word)
    assert respeller.respell(analyzer.tokens("押经多少")) == "押金多少"  # jing ~ jin
    assert respeller.respell(analyzer.tokens("鸡翅怎么做")) is None  # chi is not ci
    # Two vocabulary words alike under the merge: no repair for that sound.
    both = Respeller(["进京", "晶金"], lambda word: False)  # jin jing, jing jin
    assert both.respell(["金", "金"]) is None
    assert Respeller(["进京"], lambda word: False).respell(["金", "金"]) == "进京"


def test_a_keyword_only_in_the_answer_finds_the_entry(index: FaqIndex) -> None:
    assert index.match("三餐照片发哪里？").answer_key == "meals"


def test_a_word_the_dictionary_lacks_is_learned_from_the_faq(index: FaqIndex) -> None:
    assert "跑衫" in shared_analyzer().tokens("跑衫在哪领")
    assert index.match("跑衫在哪领").answer_key == "jersey"


def test_a_bare_tui_next_to_money_is_a_refund_otherwise_leaving(index: FaqIndex) -> None:
    assert index.match("刚交的钱能退不").answer_key == "refund"
    assert index.match("这个群怎么退？").answer_key == "leave"


@pytest.mark.parametrize(
    "query",
    [
        "明天会下雨吗？",
        "有人知道哪个牌子的哑铃好用吗",
        "周末大家都去哪玩了？",
        "深蹲的时候膝盖应该朝哪？",  # on the topic, but the FAQ does not say
        "这个事件大家怎么看",
    ],
)
def test_questions_outside_the_faq_are_silent(index: FaqIndex, query: str) -> None:
    assert index.match(query).answer_key is None


@pytest.mark.parametrize(
    ("text", "asks"), [("钱能退不", True), ("能开发票不", True), ("我觉得不", False)]
)
def test_a_not_a_questions_closed_by_bu(text: str, asks: bool) -> None:
    assert looks_like_question(text) is asks


def test_a_bare_tui_in_an_faq_question_is_read_with_its_answer() -> None:
    docs = [
        FaqDoc("refund", "不想学了能退吗？", "开课 7 天内可以全额退款，学费原路返回。"),
        FaqDoc("quit", "怎么离开这个群？", "直接退出群聊即可。"),
        FaqDoc("price", "课程多少钱？", "一期 199 元。"),
    ]
    index = FaqIndex.build(docs, shared_analyzer())
    refund_terms = next(e.views[0].terms for e in index.entries if e.doc.key == "refund")
    assert "退款" in refund_terms and "退出" not in refund_terms
    assert index.match("学费还能退不").answer_key == "refund"
    assert index.match("我想退群 怎么操作").answer_key == "quit"
