"""The classifier's graded evidence: hard signals, the ad classes, and the innocent messages
that share their words (prices, jobs, phone numbers, links, debts, health, stories)."""

from __future__ import annotations

import pytest

from bot.settings.base import ThemeSettings
from bot.text.classify import TopicClassifier

WRITING = ThemeSettings(
    name="写作成长营",
    description="以日更写作、作品互评和投稿变现为主题的写作社群",
    keywords=["写作", "日更", "文章", "稿子", "投稿", "选题", "标题", "大纲", "互评", "素材"],
)
HIKING = ThemeSettings(
    name="周末户外徒步群",
    description="组织周末郊区徒步、登山和露营，分享路线、装备和安全知识",
    keywords=["徒步", "登山", "露营", "路线", "装备", "领队", "背包", "冲锋衣", "登山杖", "爬升"],
)


@pytest.fixture(scope="module")
def writing() -> TopicClassifier:
    return TopicClassifier(WRITING)


@pytest.fixture(scope="module")
def hiking() -> TopicClassifier:
    return TopicClassifier(HIKING)


# What members say every day that shares words with ads.
INNOCENT = [
    # prices
    "这本书三十九块，京东买的，挺值",
    "训练营报名费多少？现在还能报吗",
    "稿费千字一百算高吗",
    "今天的咖啡十八一杯，贵了",
    "二手键盘两百出了，给新人用正好",
    "团购价是多少？我想要两份",
    "这个课原价999，现在打折吗？",
    # jobs
    "最近在找兼职，有没有靠谱的写稿平台",
    "我以前做过两年微商，后来觉得没意思",
    "刚辞职，想全职写作试试",
    "公司招实习生，大家有推荐的吗",
    "宝妈带娃太累了，写作是我唯一的放松",
    "我以前当宝妈时做过兼职，日结的那种，后来才开始写作",
    # phone numbers, handles, links
    "我手机号 13812345678，活动当天找不到我可以打",
    "领队电话是 13900001111 吗？",
    "大家可以加一下群主微信，问他要书单",
    "私聊你了，看一下",
    "我的文章 https://mp.weixin.qq.com/s/abc 求互评",
    "这是地图 https://www.amap.com/place/xyz",
    "邮箱 abc@163.com，投稿发这里",
    # debts, health, farms
    "信用卡账单出来了，这个月又超支",
    "房贷利率降了，要不要提前还款",
    "网贷逾期了好焦虑，睡不着",
    "我妈在吃鱼油，说对心脏好",
    "医生说我血压有点高，要少吃盐",
    "老家果园的橘子熟了，过年回去摘",
    "自己家种的菜就是好吃",
    # calls to contact between members
    "有需要的可以私聊我，我帮大家看稿",
    "需要资料的找我，我发你",
    "感兴趣的可以一起组队",
    "想了解的可以看群公告",
    # numbers that are no phone
    "第 11-20 页看完了",
    "今天走了 25000 步",
    "订单号 2024112112345678 还没发货",
    "2024.11.21 打卡，写了 1500 字",
    "我的学号是 20210305118",
]


@pytest.mark.parametrize("text", INNOCENT)
def test_innocent_messages_are_not_spam(writing: TopicClassifier, text: str) -> None:
    verdict = writing.classify(text)
    assert verdict.label != "spam", verdict.explain()


@pytest.mark.parametrize(
    ("text", "hard"),
    [
        ("徒步鞋厂家直销，出厂价一百二一双，需要的私我", False),
        ("农家散养土鸡蛋，一盒三十枚四十五，要的联系", False),
        ("户外装备代购，价格美丽，加我 v：huwai_2024", True),
        ("专业代背包代拍照，徒步路线一条龙，价格私聊", False),
        ("不看征信当天放款，额度五万起，私聊", False),
        ("逾期不用怕，专业团队帮你协商还款，停息挂账", False),
        ("膝盖疼的驴友看过来，氨糖软骨素，三天见效，私信下单", False),
        ("招领队助理，日结三百，入职先交五百服装押金", False),
        ("领队电话：一三八零零一三八零零零，报名从速", True),
        ("订购热线：壹叁玖 壹贰叁肆 伍陆柒捌", True),
        ("报名找我 ①⑤⑨⑧⑧⑧⑧⑦⑦⑦⑦", True),
        ("装备出租，联系 186****1234", True),
        ("冲锋衣清仓，需要的加 ｗｘ：ｙｕｎｄｏｎｇ８８", True),
        ("帮忙砍一刀 https://mobile.yangkeduo.com/xx", True),
    ],
)
def test_ad_classes_and_their_evidence(hiking: TopicClassifier, text: str, hard: bool) -> None:
    verdict = hiking.classify(text)
    assert verdict.label == "spam", verdict.explain()
    assert verdict.hard_evidence is hard, verdict.explain()


def test_a_phone_number_alone_is_hard_evidence_but_no_ad(hiking: TopicClassifier) -> None:
    verdict = hiking.classify("领队电话是 13900001111，集合找不到人就打")
    assert verdict.label != "spam" and verdict.hard_evidence
    assert "phone+8(13900001111)" in verdict.explain()


def test_the_story_signal_is_explained(writing: TopicClassifier) -> None:
    verdict = writing.classify("我以前当宝妈时做过兼职，日结的那种，后来才开始写作")
    assert verdict.label == "on"
    assert any(s.code == "story" and s.points < 0 for s in verdict.signals)
    pitch = writing.classify("我以前也是宝妈，做兼职日结，想了解的私我")
    assert pitch.label == "spam" and not any(s.code == "story" for s in pitch.signals)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("冲锋衣哪个牌子值得买？", "on"),  # buying a theme item
        ("登山杖在哪里买比较划算", "on"),
        ("想入手一个轻量帐篷，求推荐", "on"),
        ("双十一你们都囤了啥", "off"),  # shopping for its own sake
        ("在淘宝买的背包质量好差", "on"),
        ("今天好累，什么都不想干", "off"),  # a complaint with no strong domain word
        ("最近心情好差，提不起劲", "off"),
        ("爬了一天山好累，腿都软了", "on"),  # a complaint about the theme
        ("同意楼上", "social"),
        ("楼上说得对", "social"),
        ("欢迎小林加入", "social"),
        ("欢迎光临小店", "on"),  # a shop's greeting is no welcome
    ],
)
def test_off_topic_rules(hiking: TopicClassifier, text: str, label: str) -> None:
    verdict = hiking.classify(text)
    assert verdict.label == label, verdict.explain()


def test_word_sets_are_call_to_action_words() -> None:
    from bot.text.spam import PHONE_WORDS, SOLICITING, SPAM_WORDS

    calls = set(SPAM_WORDS["cta"][1].split())
    assert calls >= SOLICITING | PHONE_WORDS
