"""The FAQ matcher's checks that an entry's answer covers what a question asks, not only its
topic: each rule with a question it rejects and a near one it lets through."""

from __future__ import annotations

import pytest

from bot.text.normalize import shared_analyzer
from bot.text.qa_intent import (
    EntryIntent,
    QueryIntent,
    extended_to_another,
    negated_topic,
    substituted_subject,
    unanswered_slot,
    unasked_thing,
    unnamed_alternatives,
    unsaid_whether,
    wants_a_thing,
)
from bot.text.qa_matcher import FaqDoc, FaqIndex

PARK = [
    FaqDoc("hours", "乐园几点开门？", "每天 9:30 到 18:00 开放，周一上午闭园维护。"),
    FaqDoc(
        "parking",
        "停车怎么收费？",
        "停商场地下停车场，会员免费停 3 小时，超出每小时 10 元。",
    ),
    FaqDoc("refund", "年卡能退吗？", "开卡 7 天内没有入园可以全额退款，之后不退。"),
    FaqDoc("private", "有一对一私教课吗？", "有，私教课 300 元一节，需要提前三天预约。"),
    FaqDoc("certificate", "上完课有证书吗？", "小班课出勤满 7 次发结业证书。"),
    FaqDoc("volunteer", "怎么报名当志愿者？", "在小程序填写志愿者申请表。"),
    FaqDoc("coach", "可以换教练吗？", "开课两周内可以申请换一次教练，找班主任登记。"),
    FaqDoc("match", "俱乐部有比赛吗？", "每季度末办一次内部双打赛，前三名有奖品。"),
    FaqDoc("schedule", "上课时间是什么时候？", "成人班每周二、周四晚上 7 点开始。"),
    FaqDoc("gear", "上课要带什么？", "带泳衣、泳帽和泳镜，毛巾自备。"),
    FaqDoc("meeting", "外拍在哪里集合？", "一般早上 7 点在地铁站出口集合。"),
    FaqDoc("signup", "外拍怎么报名？", "在群里接龙报名，每场限 20 人。"),
    FaqDoc("award", "全勤有奖励吗？", "全勤的同学月底送一份小礼物。"),
    FaqDoc("piano", "买什么钢琴比较好？", "初学买电钢琴就够了，以后再换立式钢琴。"),
    FaqDoc("pool-parking", "场馆能停车吗？", "地下车库可以停车，学员免费停 2 小时。"),
    FaqDoc("points", "积分能用来抵学费吗？", "可以，100 积分抵 10 元学费。"),
    FaqDoc("member-fee", "会员费多少？", "年度会员 299 元，半年会员 169 元。"),
    FaqDoc("salon", "沙龙在哪里办？", "每月在半山书房办，会员免费，非会员 39 元。"),
    FaqDoc("car-park", "开车去能停车吗？", "体育中心有停车场，来打球的会员停车 5 元一次。"),
    FaqDoc("guest", "可以带朋友来打吗？", "可以，朋友每次交 40 元场地费。"),
    FaqDoc("card-price", "年卡多少钱？", "年卡 1288 元一张，一年内不限次数入园。"),
    FaqDoc("companion", "一张年卡能带几个大人？", "可以同行两位成人。"),
    FaqDoc("punch-card", "次卡可以转让吗？", "次卡和年卡都不能转让。"),
]


@pytest.fixture(scope="module")
def park() -> FaqIndex:
    return FaqIndex.build(PARK, shared_analyzer())


def _intents(index: FaqIndex, query: str, key: str) -> tuple[QueryIntent, EntryIntent]:
    analysis = index.analyzer.analyze(query, question=True)
    entry = next(e for e in index.entries if e.doc.key == key)
    assert entry.intent is not None
    return index.read_intent(analysis), entry.intent


@pytest.mark.parametrize(
    ("query", "key", "covered"),
    [
        # how long until the money arrives: the answer's 7 days are a limit on asking
        ("退款多久能到账", "refund", False),
        ("开卡几天内可以退", "refund", True),
        # a span said of another thing (booking ahead), not of the lesson
        ("私教课一节多长时间", "private", False),
        ("私教课要提前几天预约", "private", True),
        # 怎么收费 asks a price: of a stay the answer never mentions
        ("停车超过两个小时怎么收费", "pool-parking", False),
        ("停车怎么收费", "pool-parking", True),
    ],
)
def test_a_specific_answer_must_be_about_what_is_asked(
    park: FaqIndex, query: str, key: str, covered: bool
) -> None:
    assert (unanswered_slot(*_intents(park, query, key)) is None) is covered


@pytest.mark.parametrize(
    ("query", "key", "same"),
    [
        # the car park is a thing the FAQ knows elsewhere: not the park's opening hours
        ("停车场几点关门", "hours", False),
        # a time word says when, it is not another thing
        ("周末几点开门", "hours", True),
        # an unknown word may be a synonym the lexicon lacks: left to the score
        ("游乐场几点关门", "hours", True),
        # yes or no: a volunteer is not someone who finished the course
        ("志愿者有证书吗", "certificate", False),
        ("上完课有没有证书", "certificate", True),
        # where to sign up is not where to meet
        ("外拍在哪报名", "meeting", False),
        ("外拍在哪集合", "meeting", True),
        # another kind of card (one head, another modifier); the subject may stand apart
        # from its interrogative (年卡…几个)
        ("次卡多少钱", "card-price", False),
        ("年卡现在多少钱", "card-price", True),
        ("次卡能带几个大人", "companion", False),
        ("年卡能带几个大人", "companion", True),
    ],
)
def test_a_question_about_another_thing_the_faq_knows(
    park: FaqIndex, query: str, key: str, same: bool
) -> None:
    query_intent, entry = _intents(park, query, key)
    analysis = park.analyzer.analyze(query, question=True)
    why = substituted_subject(
        query_intent, entry, park.term_idf.__contains__, analysis.text, analysis.terms
    )
    assert (why is None) is same


def test_the_car_park_question_goes_unanswered(park: FaqIndex) -> None:
    decision = park.match("停车场几点关门")
    assert decision.answer_key is None
    assert "hours" in decision.rejected_keys
    assert park.match("乐园周末几点开门").answer_key == "hours"


def test_an_either_or_question_needs_one_of_its_sides(park: FaqIndex) -> None:
    assert unnamed_alternatives(*_intents(park, "教练是男的还是女的", "coach")) is not None
    assert unnamed_alternatives(*_intents(park, "买电钢琴还是立式的", "piano")) is None


def test_a_bare_what_is_not_answered_by_a_time(park: FaqIndex) -> None:
    assert wants_a_thing(*_intents(park, "第一次上课要带啥", "schedule")) is not None
    assert wants_a_thing(*_intents(park, "第一次上课要带啥", "gear")) is None
    assert park.match("第一次上课要带啥").answer_key != "schedule"


def test_a_what_question_needs_its_thing_in_a_yes_no_entry(park: FaqIndex) -> None:
    # that there are prizes is not what they are
    assert unasked_thing(*_intents(park, "比赛奖品是什么", "match")) is not None
    # the yes/no entry names the reward it is about
    assert unasked_thing(*_intents(park, "全勤有什么奖励", "award")) is None
    # what a certificate is for is not that there is one; a use the entry asks about is
    assert unasked_thing(*_intents(park, "证书有什么用", "certificate")) is not None
    assert unasked_thing(*_intents(park, "积分有什么用", "points")) is None


def test_a_time_does_not_say_yes_or_no_about_something_unnamed(park: FaqIndex) -> None:
    assert unsaid_whether(*_intents(park, "不上课的时候可以自己去游吗", "schedule")) is not None
    assert unsaid_whether(*_intents(park, "成人班周四晚上上课吗", "schedule")) is None


def test_a_question_about_non_members_is_not_about_the_membership(park: FaqIndex) -> None:
    assert negated_topic(*_intents(park, "非会员去沙龙要钱吗", "member-fee")) is not None
    # an entry that speaks of non-members may answer it
    assert negated_topic(*_intents(park, "非会员去沙龙要钱吗", "salon")) is None
    assert negated_topic(*_intents(park, "会员去沙龙要钱吗", "member-fee")) is None


def test_also_asks_of_another_party_the_entry_never_names(park: FaqIndex) -> None:
    known = park.term_idf.__contains__
    query, entry = _intents(park, "朋友开车来停车也是五块吗", "car-park")
    assert extended_to_another(query, entry, known) is not None  # said of members only
    query, entry = _intents(park, "会员开车来停车也是五块吗", "car-park")
    assert extended_to_another(query, entry, known) is None
