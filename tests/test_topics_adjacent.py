"""Judge round: where a theme's activity takes place (the weather and pests outdoors and in a
garden, the drive to a mountain, cooking at camp) is weaker off-topic evidence; a feeling
taken back ("累死了，但是风景太值了") is no complaint; ads written in English, international
numbers and education ads (free trial lessons, exam answers, franchises, guarantees)."""

from __future__ import annotations

import pytest

from bot.settings.base import ThemeSettings
from bot.text.classify import TopicClassifier, near_domains

HIKING = ThemeSettings(
    name="周末登山群",
    description="周末一起爬山登山，分享路线、装备和安全经验",
    keywords=["登山", "爬山", "路线", "装备", "登山杖", "冲锋衣", "海拔", "领队"],
)
WRITING = ThemeSettings(
    name="写作成长营",
    description="每天日更写文章，互相点评稿子",
    keywords=["写作", "日更", "文章", "稿子", "投稿"],
)
LANGUAGE = ThemeSettings(
    name="法语学习交流群",
    description="一起学习法语，练习发音、语法、听力和口语",
    keywords=["法语", "发音", "语法", "听力", "口语", "单词"],
)


@pytest.fixture(scope="module")
def hiking() -> TopicClassifier:
    return TopicClassifier(HIKING)


@pytest.fixture(scope="module")
def writing() -> TopicClassifier:
    return TopicClassifier(WRITING)


@pytest.fixture(scope="module")
def language() -> TopicClassifier:
    return TopicClassifier(LANGUAGE)


def test_near_domains_follow_the_kind_of_activity() -> None:
    assert {"weather", "pests", "travel", "cars"} <= near_domains(HIKING)
    assert near_domains(WRITING) == frozenset()
    garden = ThemeSettings(name="阳台种菜群", keywords=["种菜", "育苗"])
    assert {"weather", "pests"} <= near_domains(garden)
    assert "cars" not in near_domains(garden)  # a balcony is not somewhere to drive to


@pytest.mark.parametrize(
    "text",
    ["明天下雨还去吗", "被蚊子咬了好多包", "回程堵车堵了两个小时", "爬完累死了，但是风景太值了"],
)
def test_the_setting_of_an_outing_is_not_off_topic(
    hiking: TopicClassifier, writing: TopicClassifier, text: str
) -> None:
    assert hiking.classify(text).label == "on"
    if "但是" not in text:
        assert writing.classify(text).label == "off"  # everyday chat for a writing group


def test_a_feeling_taken_back_is_no_complaint_but_a_complaint_stays(
    writing: TopicClassifier,
) -> None:
    assert writing.classify("好累但是好开心，下次还来").label == "on"
    assert writing.classify("烦死了，今天又被领导说了一顿").label == "off"
    assert writing.classify("上班好累，什么都不想干").label == "off"


@pytest.mark.parametrize(
    "text",
    [
        "Earn $300 a day working from home! Contact me on WhatsApp +44 7700 900123",
        "Make money online easily, DM me on Telegram @fastcash_88 for details",
        "Need help with the exam? We guarantee band 7. Message me for details.",
        "外教一对一口语课，免费试听一节，有兴趣的私信我",
        "考前答案，考前一晚发，需要的联系",
        "少儿法语加盟，零基础也能开，总部扶持，诚招合伙人",
        "有没有想学法语的，我们机构新开了口语班，试听免费，私我",
        "Limited offer, order today! Call +44 7700 900123",
    ],
)
def test_ads_in_english_and_education_ads_are_spam(language: TopicClassifier, text: str) -> None:
    verdict = language.classify(text)
    assert verdict.label == "spam", verdict.explain()


@pytest.mark.parametrize(
    "text",
    [
        "I work from home on Fridays, so I can join the morning session.",
        "Can you message me the homework link? I missed the class.",
        "I have no experience with French grammar at all, where should I start?",
        "One day I want to make money as a French translator.",
        "Contact me if you want to practise speaking, I'm free on weekends.",
        "我上周上了一节试听课，老师讲得还不错",
        "有兴趣的可以一起来练口语，每周三晚上",
        "考试答案什么时候公布啊",
        "老师的电话是13512345678吗？我想约一节试听课",
        "My number in London is +44 7700 900123, call me when you land.",
    ],
)
def test_members_writing_the_same_words_are_not_spam(language: TopicClassifier, text: str) -> None:
    verdict = language.classify(text)
    assert verdict.label != "spam", verdict.explain()


def test_plant_names_are_a_garden_groups_own_words_and_everyday_chat_elsewhere(
    writing: TopicClassifier,
) -> None:
    garden = TopicClassifier(
        ThemeSettings(
            name="花友会",
            description="喜欢养花种草的花友交流养护经验",
            keywords=["养花", "花友", "月季", "多肉", "换盆", "浇水"],
        )
    )
    assert "plants" in garden.suppressed
    for text in ["邻居家的三角梅开了好多", "出差一周，回来全蔫了", "送了邻居两盆薄荷"]:
        assert garden.classify(text).label == "on", text
    assert writing.classify("我家的三角梅开了好多").label == "off"


def test_sun_protection_is_outdoor_kit_and_thesis_proxies_are_ads(
    hiking: TopicClassifier, writing: TopicClassifier, language: TopicClassifier
) -> None:
    assert hiking.classify("太阳太晒了，没带防晒霜").label == "on"
    assert writing.classify("新买的防晒霜不好用").label == "off"
    assert language.classify("论文降重，查重率降到10%以下，价格优惠，私聊").label == "spam"
    assert language.classify("网课代看代刷，期末代考，加我详聊").label == "spam"
    assert language.classify("论文降重有什么好办法吗，查重率太高了").label != "spam"


def test_a_square_dance_group_keeps_errands_off_topic_and_absences_on() -> None:
    dance = TopicClassifier(
        ThemeSettings(
            name="幸福广场舞队",
            description="退休的阿姨叔叔们一起跳广场舞，学新舞、排练队形",
            keywords=["广场舞", "跳舞", "排练", "队形", "音响", "演出"],
        )
    )
    assert "pastimes" in dance.suppressed and "daily" not in dance.suppressed
    assert dance.classify("今天菜市场的猪肉又涨价了").label == "off"
    assert dance.classify("孙子放假了，这几天可能来不了").label == "on"
    assert dance.classify("孙子放假了，带他去公园玩了一天").label == "off"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("花苗批发，有意者联系壹叁捌****伍陆柒捌", "138****5678"),
        ("多肉批发，电话138-xxxx-5678，量大从优", "138xxxx5678"),
    ],
)
def test_masked_numbers_in_numerals_or_with_letters_are_phone_numbers(
    language: TopicClassifier, text: str, number: str
) -> None:
    verdict = language.classify(text)
    assert verdict.label == "spam" and verdict.hard_evidence
    assert [s.evidence for s in verdict.signals if s.code == "phone"] == [number]


def test_the_body_is_part_of_a_dance_or_a_sport(writing: TopicClassifier) -> None:
    dance = TopicClassifier(
        ThemeSettings(name="幸福广场舞队", keywords=["广场舞", "跳舞", "排练", "队形"])
    )
    assert "medical" in near_domains(dance.theme)
    assert dance.classify("我血压有点高，跳快的那支歌就在旁边歇会儿").label == "on"
    assert dance.classify("老伴住院了，这几天在医院陪床").label == "off"  # two words still do
    assert writing.classify("我血压有点高，今天早点睡").label == "off"


def test_places_and_trades_are_no_outdoor_hobby() -> None:
    estate = ThemeSettings(
        name="阳光花园小区团购群",
        description="小区邻居团购农户种植的新鲜蔬菜水果，赶海海鲜",
        keywords=["团购", "接龙", "自提", "蔬菜", "水果"],
    )
    assert near_domains(estate) == frozenset()
    assert TopicClassifier(estate).classify("今天好热啊，空调开了一整天").label == "off"
    assert TopicClassifier(WRITING).classify("排队太长，那家火锅店去不了了").label == "off"


def test_a_domain_a_keyword_belongs_to_borders_on_the_theme() -> None:
    # a concert group's 演唱会 is among the shows, a collectors' 开箱 among the shopping: one
    # word of that field alone is their talk, while plainly everyday talk stays off-topic
    concerts = TopicClassifier(
        ThemeSettings(
            name="演唱会歌迷群",
            description="一起追演唱会、交流抢票经验、分享现场视频和应援物，组织同城歌迷线下应援",
            keywords=["演唱会", "抢票", "门票", "内场", "看台", "应援", "灯牌", "周边", "场馆"],
        )
    )
    assert "celebrity" in concerts.adjacent
    assert concerts.classify("黄牛票炒到三千了，离谱").label != "off"
    assert concerts.classify("有没有好看的电视剧推荐").label == "off"
    figures = TopicClassifier(
        ThemeSettings(
            name="手办模型收藏群",
            description="手办、高达模型收藏交流，晒柜子、分享拼装涂装经验",
            keywords=["手办", "模型", "高达", "粘土人", "景品", "补款", "开箱", "涂装"],
        )
    )
    assert "shopping" in figures.adjacent
    assert figures.classify("淘宝和官方旗舰店差了一百多，淘宝那家靠谱吗").label != "off"
    assert figures.classify("双十一买了个扫地机器人，挺好用").label == "off"
