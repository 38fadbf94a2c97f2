"""How members ask without a question mark: split words (包不包, 发了没), 多+adjective, 几楼,
confirmations, and a wish stated for a service (想请个假, 我要退卡). Stories, idioms, notices
and reports that use the same words are not questions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.text.normalize import looks_like_question, shared_analyzer
from bot.text.qa_intent import Slot, asked_slots
from bot.text.qa_matcher import FaqDoc, FaqIndex
from bot.text.question_forms import request_wish, split_question, wish_start
from storage.models import QaBacklog
from tests.qa_support import qa_config
from tests.support import at, running_bot


@pytest.mark.parametrize(
    "text",
    [
        "学费里包不包门票",  # a verb split around 不
        "水冷不冷啊",  # an adjective split, closed by 啊
        "周一上午开不开门",
        "约了没去扣不扣课时",
        "转卡收不收手续费",
        "买了卡还没上过课 退不退全款",
        "这周的课表发了没",  # done or not yet
        "报了名没",
        "课都上完了没有",
        "完全没跳过 跟得上不",  # can it be done, closed by 不
        "考核要游多远才算过",  # 多 + an adjective
        "儿童池水有多深",
        "体育中心几楼",  # 几 + a measure
        "坐几号线过去",
        "周三上课对吧",  # a confirmation
        "明天上课不",  # a bare 不 closing the verb phrase
        "想找个一起练口语的伙伴",  # a wish to find a partner
        "刚入门 求推荐一款相机",
        "电钢琴可以吗还是要买立式的",  # a particle before an alternative
        "有人知道停车场在哪儿",
        "孩子发烧了明天的课想请个假",  # a wish for a service the FAQ describes
        "想停卡一个月",
        "我要退卡",
        "今晚的课想取消",
        "卡用不完 想转给朋友",
        "麻烦帮我取消明天的课",
        "是不是都要带泳帽",  # 都 after a split that asks, not "whether or not"
        "下周要出差 课想往后挪挪",  # a wish to reschedule
        "老师 我想转到晚班",
        "想续一期",
        "是在二楼吧",  # a guess put to be confirmed
        "打听一下学费",
        "求个课表",
        "上次那个链接发一下",  # a request to send, past or not
    ],
)
def test_questions_put_without_a_question_word_are_recognised(text: str) -> None:
    assert looks_like_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "上次想请假没请成 后来直接扣了一次课",  # a story that uses the wish
        "我以前学过两年芭蕾 现在想重新捡起来",
        "明天的课要取消了",  # a notice of what will happen
        "好想退群啊",  # an exclamation
        "卡里的次数显示不对",  # a problem stated, nothing asked
        "你们时不时就迟到",  # idioms shaped like a split
        "动不动就生气",
        "今天的课好得不得了",
        "我们俩差不多大",  # 多 of 差不多, 很多
        "群里很多大学生",
        "多大点事啊",
        "这种优惠有多重保障",  # 多重 before a noun is "multiple"
        "最近有人问我卖不卖皂",  # a question reported, not asked
        "我问过前台包不包",
        "这几楼都是办公室",
        "今天游了一千米 打卡",
        "我才不",  # a plain no
        "想报名的同学在群里接龙",  # an announcement to those who wish it
        "需要请假的同学提前一天说",
        "如果想退费 请私信班主任",  # a condition an announcement sets
        "想报名但是太忙了",  # a wish turned down
        "时不时就想请假",
        "不管有没有时间都要来",  # whether or not: it asks nothing
        "去不去都行",
        "这衣服好不好看都无所谓",
        "这个真的不",
        "我认为不",  # an opinion
        "应该是在二楼吧",  # a guess, not put to anyone
        "我打听过了",
        "想改一下文章",
        "准备转到别的城市了",
        "想找个时间聊聊",
    ],
)
def test_stories_idioms_notices_and_reports_are_not_questions(text: str) -> None:
    assert not looks_like_question(text)


# Verbs and adjectives members split to ask yes or no, and what they ask about.
_SPLITTABLE = "包冷开扣收退贵远难累热忙挤送卖约停换补交带"
_NOUNS = ("门票", "课时", "手续费", "押金", "停车", "水", "教练", "课表")


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_NOUNS),
    st.sampled_from(_SPLITTABLE),
    st.sampled_from(_NOUNS),
    st.sampled_from(("", "啊", "呀", "呢", "哈", "😅")),
)
def test_any_split_word_asks_yes_or_no(before: str, word: str, after: str, end: str) -> None:
    text = f"{before}{word}不{word}{after}{end}"
    assert split_question(text)
    assert looks_like_question(text)


_PAST = ("上次", "以前", "之前", "去年", "昨天", "当时", "后来")
_WISHES = ("想请个假", "想退费", "想报名", "我要退卡", "想补课", "打算续费", "想停卡")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_PAST), st.sampled_from(_WISHES), st.sampled_from(("", "没成", "了")))
def test_a_wish_told_of_the_past_is_a_story_not_a_request(past: str, wish: str, after: str) -> None:
    assert request_wish(wish)
    assert not request_wish(f"{past}{wish}{after}")


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(("孩子发烧了", "明天的课", "临时有事", "卡用不完 ")), st.sampled_from(_WISHES)
)
def test_a_wish_starts_where_its_verb_does(occasion: str, wish: str) -> None:
    text = occasion + wish
    start = wish_start(text)
    assert start is not None and text[start:] == wish


def test_a_split_word_reads_as_the_word_it_splits() -> None:
    analyzer = shared_analyzer()
    assert analyzer.canonical("喜不喜欢") == analyzer.canonical("喜欢")
    assert "数量" not in analyzer.analyze("考核要游多远才算过").terms  # 多远 is how it asks
    assert analyzer.analyze("万达几楼啊").terms == (*analyzer.canonical("万达"), "地点")


def test_what_the_forms_ask() -> None:
    assert asked_slots("万达几楼") & Slot.PLACE
    assert asked_slots("坐几号线") & Slot.PLACE
    assert not asked_slots("我们是几号场地") & Slot.TIME  # a numbered court, not a date
    assert asked_slots("游多深") & Slot.COUNT
    assert asked_slots("一般卖几折") & Slot.COUNT


DANCE = [
    FaqDoc(
        "price", "成人课怎么收费？", "成人课次卡 20 次 1600 元，有效期 4 个月；单次上课 98 元。"
    ),
    FaqDoc(
        "cancel",
        "约了课去不了怎么办？",
        "开课前 4 小时以前在小程序取消不扣课时，之后取消或者没来扣一次课。",
    ),
    FaqDoc("pause", "出差能停卡吗？", "每张卡可以停卡一次，最长 30 天，到前台登记就行。"),
    FaqDoc(
        "refund",
        "不想学了能退吗？",
        "购卡 7 天内没上过课全额退；之后按剩余次数退，扣 20% 手续费。",
    ),
    FaqDoc(
        "transfer",
        "课卡能转让吗？",
        "课卡可以转让一次，双方带身份证到前台办理，收 50 元手续费。",
    ),
    FaqDoc(
        "location", "工作室在哪？", "在万达广场 B 座 12 楼 1205，地铁 2 号线万达站 C 口出来就到。"
    ),
    FaqDoc("leave", "有事上不了课怎么请假？", "提前 24 小时在小程序里请假，课时顺延。"),
]


@pytest.fixture(scope="module")
def dance() -> FaqIndex:
    return FaqIndex.build(DANCE, shared_analyzer())


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("次卡贵不贵", "price"),
        ("约了没去扣不扣课时", "cancel"),
        ("下个月出差 想停卡一个月", "pause"),
        ("买了卡还没上过课 退不退全款", "refund"),
        ("转卡收不收手续费", "transfer"),
        ("万达几楼啊", "location"),
    ],
)
def test_questions_in_these_forms_are_answered(dance: FaqIndex, text: str, key: str) -> None:
    assert dance.match(text).answer_key == key


@pytest.mark.parametrize(
    "text",
    [
        "上次想请假没请成 后来直接扣了一次课",
        "卡里的次数显示不对",
        "最近有人问我转不转卡",
        "明天的课要取消了",
    ],
)
def test_stories_and_statements_with_the_same_words_get_no_answer(
    dance: FaqIndex, text: str
) -> None:
    decision = dance.match(text)
    assert decision.answer_key is None
    assert not decision.analysis.question


DANCE_GROUP = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  theme:
    name: 星光舞蹈工作室
    keywords: [舞蹈, 爵士, 韩舞, 中国舞, 课卡, 约课, 停卡]
  qa:
    faq:
      - id: price
        question: 成人课怎么收费？
        answer: 成人课次卡 20 次 1600 元，有效期 4 个月；单次上课 98 元。
      - id: pause
        question: 出差能停卡吗？
        answer: 每张卡可以停卡一次，最长 30 天，到前台登记就行。
      - id: leave
        question: 有事上不了课怎么请假？
        answer: 提前 24 小时在小程序里请假，课时顺延。
groups:
  g1:
    name: 舞蹈群
    admins: [coach]
"""


async def _backlog(bot: object) -> list[str]:
    async with bot.app.uow() as uow:  # type: ignore[attr-defined]
        rows = (await uow.session.execute(select(QaBacklog))).scalars().all()
    return [row.question for row in rows]


async def test_split_and_wished_questions_are_answered_and_stories_stay_silent(
    sqlite_db: str,
) -> None:
    async with running_bot(sqlite_db, qa_config(DANCE_GROUP)) as bot:
        assert await bot.say("次卡贵不贵", user="m1", when=at("2026-11-21 09:00")) == [
            "成人课次卡 20 次 1600 元，有效期 4 个月；单次上课 98 元。"
        ]
        assert await bot.say("下个月出差 想停卡一个月", user="m2") == [
            "每张卡可以停卡一次，最长 30 天，到前台登记就行。"
        ]
        # Stories and statements that use the same words: no answer, nothing for the admins.
        for n, text in enumerate(("上次想请假没请成 后来直接扣了一次课", "卡里的次数显示不对")):
            assert await bot.say(text, user=f"s{n}") == [], text
        assert await _backlog(bot) == []
        # A split question the FAQ cannot answer is still a question: it reaches the admins.
        assert await bot.say("停卡期间收不收管理费", user="m3") == []
        assert await _backlog(bot) == ["停卡期间收不收管理费"]
