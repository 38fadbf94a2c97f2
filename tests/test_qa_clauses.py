"""How the FAQ matcher reads a message in several clauses: the courtesy around the question,
the lead-in to it, the scene set before it, and a pronoun standing for what the scene names."""

from __future__ import annotations

import pytest

from bot.text.normalize import drop_courtesy, shared_analyzer
from bot.text.qa_matcher import FaqDoc, FaqIndex, MatchParams

BIKES = [
    FaqDoc(
        "repair-price",
        "修车怎么收费？",
        "补胎 15 元，换内胎 35 元（含胎），调变速和刹车各 20 元，大保养 180 元含全车清洗上油。",
    ),
    FaqDoc("hours", "店里营业时间是？", "周二到周日 9:30-20:00 营业，每周一店休。"),
    FaqDoc(
        "warranty",
        "车架保修多久？",
        "店里卖的整车车架保修 3 年，零件保修 1 年，人为摔车不保，凭购买记录。",
    ),
    FaqDoc(
        "buy-advice",
        "新手买什么车合适？",
        "预算 3000 以内建议城市车或入门平把公路车，想长途选公路车，店里可以免费试骑。",
    ),
    FaqDoc(
        "group-ride",
        "周末骑行活动怎么报名？",
        "每周六早上 7 点湖滨站集合，周四晚上群里发接龙，报名写名字和车型，新手有领骑带。",
    ),
    FaqDoc("helmet", "参加活动一定要戴头盔吗？", "必须戴头盔，没有的可以在店里借，借用免费。"),
]


@pytest.fixture(scope="module")
def bikes() -> FaqIndex:
    return FaqIndex.build(BIKES, shared_analyzer())


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("变速老是跳档，不好意思打扰下，调一下要多少钱", "变速老是跳档，调一下要多少钱"),
        ("老板你好，我在考虑办个年卡", "我在考虑办个年卡"),
        ("上次买的码表能补张发票吗，不好意思麻烦了", "上次买的码表能补张发票吗"),
        ("谢谢老板，换个内胎多少钱", "换个内胎多少钱"),
    ],
)
def test_courtesy_clauses_are_dropped_wherever_they_stand(text: str, read: str) -> None:
    assert drop_courtesy(text) == read


@pytest.mark.parametrize(
    "text",
    [
        "谢谢",  # nothing else: the message stays what it is
        "麻烦大家帮我看看这个车",  # a request, not a courtesy
        "老板的车真好看",  # 老板 is what the clause is about
        "上次骑完腿很酸，后来才知道是座高不对",  # a story keeps its clauses
        "谢谢群主发的回放，在哪看",  # the thanks names what the question is about
    ],
)
def test_a_clause_that_says_something_is_kept(text: str) -> None:
    assert drop_courtesy(text) == text


def test_a_lead_in_to_the_question_breaks_the_clause() -> None:
    read = drop_courtesy("上周刚把车送去做大保养了，就是想问问啥时候能好")
    assert "问问" not in read and "就是" not in read
    assert read.endswith("，啥时候能好")
    # Reported, not asked now: 问下 inside a clause is no lead-in.
    assert drop_courtesy("我去问下店长开不开门") == "我去问下店长开不开门"


def _roles(index: FaqIndex, text: str) -> dict[str, float]:
    intent = index.read_intent(shared_analyzer().analyze(text))
    return intent.roles


def test_a_long_scene_weighs_less_than_a_short_one(bikes: FaqIndex) -> None:
    context = MatchParams().context_weight
    long_scene = _roles(bikes, "早上骑去上班路上扎了根钉子，车推了一路，补个胎大概多少钱啊")
    assert long_scene and max(long_scene.values()) < context
    # A short condition is what the question is about: it keeps the context weight.
    short = _roles(bikes, "我怀孕四个月了，还能骑车吗")
    assert short and min(short.values()) == pytest.approx(context)


def test_a_story_in_several_clauses_has_no_scene_to_discount(bikes: FaqIndex) -> None:
    story = "今天早上骑了四十公里，湖边风景太好了，最后腿都软了"
    # No clause asks: nothing is a scene to discount (only events done weigh as context).
    context = MatchParams().context_weight
    assert all(w == pytest.approx(context) for w in _roles(bikes, story).values())
    assert bikes.match(story).answer_key is None


def test_a_pronoun_takes_the_words_of_the_clause_before_it(bikes: FaqIndex) -> None:
    roles = _roles(bikes, "去年在店里买的车，最近发现车架上有条裂纹，这个还在保修期内吗")
    analyzer = shared_analyzer()
    for term in analyzer.canonical("裂纹") + analyzer.canonical("车架"):
        assert term not in roles  # the pronoun's referent: full weight
    assert any(t in roles for t in analyzer.canonical("去年") + analyzer.canonical("店里"))
    # "那个旧车": the pronoun points at the clause's own noun, not back.
    roles = _roles(bikes, "去年买的新车太贵了，那个旧车你们收吗")
    assert any(t in roles for t in analyzer.canonical("新车") + analyzer.canonical("贵"))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("谢谢老板上次帮忙，这次还想问问，换个内胎连胎一起多少钱呀", "repair-price"),
        ("我是完全的小白，平时就想周末骑骑绿道，预算两三千，不知道该选哪种车好", "buy-advice"),
    ],
)
def test_the_asking_clause_decides_a_long_message(bikes: FaqIndex, text: str, key: str) -> None:
    assert bikes.match(text).answer_key == key


@pytest.mark.parametrize(
    "text",
    [
        "上周刚在店里做完保养，骑起来确实顺多了，谢谢师傅",
        "昨天路上看到一个人骑车不戴头盔摔了，吓死我了，大家一定注意安全",
    ],
)
def test_a_story_around_topic_words_gets_no_answer(bikes: FaqIndex, text: str) -> None:
    assert bikes.match(text).answer_key is None
