"""Everyday words of any group (bot/text/lexicon_everyday.py): they meet, and stay apart."""

from __future__ import annotations

import ast
import inspect

import pytest

from bot.text import lexicon_everyday
from bot.text.lexicon import FAMILIES, NEAR_WORDS, SPLITS, STOPWORDS, STRONG_SINGLES
from bot.text.lexicon_everyday import (
    EVERYDAY_PHRASES,
    EVERYDAY_SPLITS,
    EVERYDAY_STRONG_SINGLES,
    EVERYDAY_WORDS,
)
from bot.text.normalize import Analyzer, shared_analyzer
from bot.text.qa_matcher import FaqDoc, FaqIndex


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return shared_analyzer()


@pytest.fixture(scope="module")
def fresh_analyzer() -> Analyzer:
    """One that has learned no community's words (those can cut a phrase differently)."""
    return Analyzer()


def terms(analyzer: Analyzer, text: str) -> tuple[str, ...]:
    return analyzer.analyze(text, question=True).terms


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("结业有没有证", "证书"),
        ("能拿到结业证明吗", "证书"),
        ("要带身份证吗", "证件"),
        ("结课考难不难", "考试"),
        ("有停车位吗", "停车"),
        ("开车过去停哪里", "停车"),
        ("坐地铁能到吗", "公共交通"),
        ("第一次上课要带啥", "准备"),
        ("毛巾要自备吗", "准备"),
        ("来例假了还能上课吗", "生理期"),
        ("大姨妈期间能练吗", "生理期"),
        ("孩子发烧了", "生病"),
        ("崴脚了怎么办", "受伤"),
        ("孩子几岁可以学", "年龄"),
        ("孩子多大可以学", "年龄"),
        ("我家娃三岁能报吗", "年龄"),
        ("老公能一起来吗", "朋友"),
        ("爸妈能陪着上课吗", "陪同"),
        ("管饭吗", "用餐"),
        ("上课可以拍照吗", "拍摄"),
        ("教材要自己买吗", "资料"),
        ("能换课吗", "调课"),
        ("有试听课吗", "体验"),
        ("晚到十分钟可以进吗", "迟到"),
        ("快递什么时候发", "发货"),
        ("坏了能保修吗", "维修"),
        ("小程序闪退怎么办", "打不开"),
        ("忘记密码了", "账号"),
        ("能用云闪付吗", "支付方式"),
        ("卡里还剩几次", "剩余"),
        ("国庆开门吗", "节假日"),
        ("想找个搭子一起练", "伙伴"),
        ("可以拼车吗", "拼车"),
        ("自提点在哪", "自提"),
    ],
)
def test_everyday_surface_meets_its_canonical_term(
    analyzer: Analyzer, text: str, canonical: str
) -> None:
    assert canonical in terms(analyzer, text)


@pytest.mark.parametrize(
    ("one", "other", "shared"),
    [
        ("能开发票吗", "可以报销吗", "发票"),
        ("包邮吗", "运费怎么算", "发货"),
        ("年卡多少钱", "会员卡怎么办", "会员卡"),
        ("腰疼能练吗", "受伤了能练吗", "受伤"),
        ("要自己买拖把吗", "需要自己准备工具吗", "准备"),
        ("病假怎么请", "怎么请假", "请假"),
    ],
)
def test_two_ways_of_asking_share_a_term(
    analyzer: Analyzer, one: str, other: str, shared: str
) -> None:
    assert shared in terms(analyzer, one)
    assert shared in terms(analyzer, other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("有停车位吗", "开车方便吗"),  # parking is not driving there
        ("有停车位吗", "坐地铁能到吗"),
        ("发烧了能上课吗", "受伤了能上课吗"),  # an illness is not an injury
        ("可以拍照吗", "照片什么时候发"),  # taking photos is not the photos
        ("快递到哪了", "坏了能修吗"),  # a shipment is not a repair
        ("家长能进教室吗", "可以带朋友来吗"),
        ("国庆放假吗", "寒假有课吗"),  # public holidays are not school holidays
    ],
)
def test_distinct_families_stay_distinct(analyzer: Analyzer, one: str, other: str) -> None:
    everyday = set(EVERYDAY_WORDS) | set(EVERYDAY_PHRASES)
    first = set(terms(analyzer, one)) & everyday
    second = set(terms(analyzer, other)) & everyday
    assert first, one
    assert not first & second, (one, other)


def test_lunch_talk_is_not_a_question_about_meals(analyzer: Analyzer) -> None:
    assert "用餐" in terms(analyzer, "训练营管饭吗")
    assert "用餐" not in terms(analyzer, "有人中午一起吃饭吗")


def test_a_card_keeps_its_kind(analyzer: Analyzer) -> None:
    yearly, per_visit = terms(analyzer, "年卡多少钱"), terms(analyzer, "次卡多少钱")
    assert "会员卡" in yearly and "会员卡" in per_visit
    assert "年卡" in yearly and "年卡" not in per_visit


def test_a_pain_keeps_the_body_part(analyzer: Analyzer) -> None:
    assert {"膝盖", "受伤"} <= set(terms(analyzer, "膝盖疼能跑吗"))


def test_handing_in_homework_is_still_about_homework(analyzer: Analyzer) -> None:
    assert "作业" in terms(analyzer, "课后要交作业吗")


def test_every_everyday_surface_is_cut_whole_and_mapped(fresh_analyzer: Analyzer) -> None:
    """A word the tokenizer cuts apart, or one an earlier family already owns, would never
    mean what its family says: each surface is one token with its own canonical term."""
    for table in (EVERYDAY_WORDS, EVERYDAY_PHRASES):
        for canonical, surfaces in table.items():
            for surface in surfaces:
                assert fresh_analyzer.tokens(surface) == [surface], surface
                assert fresh_analyzer.canonical(surface) == (canonical,), surface
                assert surface not in STOPWORDS, surface
    for compound, parts in EVERYDAY_SPLITS.items():
        assert fresh_analyzer.tokens(compound) == [compound], compound
        assert fresh_analyzer.canonical(compound) == parts, compound


def test_tables_are_merged_into_the_lexicon() -> None:
    assert "带什么" in FAMILIES["准备"]
    assert "停车位" in NEAR_WORDS["停车"]
    assert SPLITS["包邮"] == ("发货", "费用")
    assert SPLITS["来例假"] == ("生理期",)
    # FAMILIES names community-operations words only: everyday ones never join it.
    assert "生理期" not in FAMILIES and "用餐" not in FAMILIES

    # No everyday surface takes a word a community family already owns (a compound may keep
    # that family among its parts: 交作业 is still handed in, and about homework).
    def owners(surface: str) -> set[str]:
        return {c for c, s in FAMILIES.items() if surface in s or surface == c}

    for table in (EVERYDAY_WORDS, EVERYDAY_PHRASES):
        for canonical, surfaces in table.items():
            for surface in surfaces:
                assert owners(surface) <= {canonical}, surface
    for compound, parts in EVERYDAY_SPLITS.items():
        assert owners(compound) <= set(parts), compound
    assert EVERYDAY_STRONG_SINGLES <= STRONG_SINGLES
    for single in EVERYDAY_STRONG_SINGLES:
        mapped = any(single in s for s in (*EVERYDAY_WORDS.values(), *EVERYDAY_SPLITS))
        assert mapped, single


def test_no_family_is_written_twice() -> None:
    """A repeated key in a dict literal silently drops the first family's words."""
    tree = ast.parse(inspect.getsource(lexicon_everyday))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [str(k.value) for k in node.keys if isinstance(k, ast.Constant)]
            assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


# A small studio's FAQ, worded as its admins would write it; every question below went unanswered
# before these words.
_STUDIO = [
    FaqDoc("parking", "场馆能停车吗？", "地下车库可以停车，会员免费停两小时。"),
    FaqDoc("bring", "上课需要准备什么？", "请穿运动服，带水杯和毛巾。"),
    FaqDoc("age", "孩子几岁可以报名？", "5 岁以上可以报少儿班。"),
    FaqDoc("period", "生理期可以上课吗？", "生理期建议请假，课时可以顺延。"),
    FaqDoc("certificate", "学完有证书吗？", "结课考核通过后发结业证书。"),
    FaqDoc("invoice", "可以开发票吗？", "可以，付款后找前台开电子发票。"),
]


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("有停车位吗", "parking"),
        ("第一次来要带啥", "bring"),
        ("要自备什么", "bring"),
        ("女儿三岁能报名吗", "age"),
        ("月经期间可以上课吗", "period"),
        ("结业有没有证", "certificate"),
        ("能报销吗", "invoice"),
    ],
)
def test_an_everyday_wording_finds_its_entry(analyzer: Analyzer, question: str, key: str) -> None:
    index = FaqIndex.build(_STUDIO, analyzer)
    assert index.match(question).answer_key == key
