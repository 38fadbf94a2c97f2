"""Issue 5, generalisation round: obfuscated spam, numbers that are not spam, theme-derived
domain suppression, partial theme matches, the group's own questions, held-out sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings.base import ThemeSettings
from bot.text.classify import TopicClassifier
from bot.text.spam import fold_symbols
from bot.text.topic_eval import evaluate, load_cases

DATA = Path(__file__).resolve().parent / "data"

BOOKS = ThemeSettings(
    name="读书会",
    description="每周共读一本书，分享读书笔记",
    keywords=["读书", "笔记", "共读", "书单", "阅读", "作者"],
)
RUNNING = ThemeSettings(
    name="城市跑团",
    description="一起晨跑夜跑、备战马拉松、分享跑步装备和训练计划的跑步社群",
    keywords=["跑步", "马拉松", "配速", "公里", "晨跑", "夜跑", "跑鞋", "训练", "半马"],
)


@pytest.fixture(scope="module")
def books() -> TopicClassifier:
    return TopicClassifier(BOOKS)


@pytest.fixture(scope="module")
def running() -> TopicClassifier:
    return TopicClassifier(RUNNING)


def test_fold_symbols() -> None:
    assert fold_symbols("加v❤信 ab_12") == "加v信 ab_12"
    assert fold_symbols("\u2795v 详聊") == "+v 详聊"
    assert fold_symbols("plain ascii") == "plain ascii"
    # emoji that name a messenger become its name: a penguin is QQ, a satellite 卫星
    assert fold_symbols("\u2795\U0001f427 12345678") == "+企鹅 12345678"
    assert fold_symbols("\U0001f6f0\ufe0f ab_12") == "卫星 ab_12"


@pytest.mark.parametrize(
    "text",
    [
        "加v❤信 dushu_2024 领电子书",  # an emoji between the letters of the handle
        "需要资料的\u2795v：abc12345",  # heavy plus sign
        "威 x：hao_shu99 免费领",
        "绿泡泡 zhang_san88 联系",
        "Q号 889977665 领资料",
        "加薇 \u2795 123456789 送书",
        "ｖｘ：ｂｏｏｋ６６６ 全新正版书低价出",  # full-width
        "联系扣扣：8 8 7 7 6 6 5",  # spaced digits
        "全套电子书9.9元，主页有联系方式",
        "点我头像，免费送书",
        "拼夕夕砍一刀，帮帮忙",
        "pdd助力一下谢谢",
        "带你赚钱，零风险，日息 3%",
        "代写读后感，包过，价格私聊",
        "专业马拉松代跑，保证完赛，价格私聊",
        "t.cn/Rx3abc 读书资料合集",  # a short link decides alone
        "有需要的加我 幺三八一二三四五六七八",  # a phone number in Chinese digits
        "w x：book2024 领资料",  # spaced letters
        "威芯：paizhao666",  # 芯 for 信
        "VX同号 1️⃣3️⃣8️⃣1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣",  # keycap digits
        "①③⑨①②③④⑤⑥⑦⑧ 专业修图",  # circled digits: a disguised phone number
        "进裙领后期预设，私信我",  # 裙 for 群
        "摄影课程免费送，加群领取",  # one phrase, two categories (bait and a call)
        "看我朋友圈，相机低价转",
        "扣1领取免费课程，名额有限",
        "需要的加 v 信 d.o.g.8.8.9.9",  # an id strung on dots
        "书单领取加V-X a-b-c-1-2-3-4",  # split messenger letters, an id on hyphens
        "vx搜索 lucky_2025 领取福利",  # 搜索 between the messenger and the id
        "电子书低价，溦信 book_8899",  # a look-alike of 微
        "有需要的\u2795\U0001f427 1234567890",  # a penguin emoji for QQ
        "读书会资料 + shuyou_2024",  # a plus before an id
        "客服热线 4 0 0 - 6 8 8 - 9 9 9 9，欢迎来电",  # a hotline and a call to ring it
        "澳门赌场线上版，天天返水，下载 app",  # gambling
        "深夜寂寞，约吗，同城私密，点头像",  # sex-trade lead generation
        "虚拟币挖矿，躺着就能赚，一天收益百分之三",  # a daily return in percent
        "高血压喝这个降压茶，不见效退款，电话 13912345678",  # health product, refund promise
        "全新未拆 kindle，599 出，需要的私聊",  # an asking price and a call to contact
        "飞天茅台原箱，价格私聊，量大优惠",  # a price given in private
        "薇 ❤ 芯 ：abc123 有惊喜",  # a messenger's name spaced out
        "招聘线上客服，工资日结，无需经验，有意者私",  # recruiting with pay by the day
    ],
)
def test_obfuscated_spam(books: TopicClassifier, text: str) -> None:
    verdict = books.classify(text)
    assert verdict.label == "spam", verdict.explain()


@pytest.mark.parametrize(
    "text",
    [
        "我跑了 10 公里",
        "今天读了 1500字",
        "第 11-20 页看完了",
        "半马 PB 了 1:45:12😭",
        "间歇跑 400 米 x 8 组，累成狗",
        "这本书 2024 年出版的，豆瓣 8.9",
        "私聊你了，看一下",
        "这本书在京东买的，才 29 块",
        "助力世界读书日，我们这周多读一本",
        "帮我投一票吧，我们读书会参加市里的评选",
        "大家可以加一下群主微信，问他要书单",
        "权威 python3 教程有推荐吗",  # "威" inside a word, an id with a digit
        "c++ vector 怎么用",
        "第一二三四五六七章的笔记整理好了",  # Chinese digits that are no number to call
        "扣 1 分的地方是构图",
        "我在朋友圈发了这组照片",
        "这张照片 1/250 秒，f2.8，iso 400",
        "镜头 24-70mm 和 70-200mm 选哪个",
        "去年 3 月 15 号拍的，13 张",
        "周末同城约跑吗，有兴趣的私聊我",  # 同城约 is how sports groups meet
        "每天做任务打卡，有兴趣的可以加群",
        "医生说可以停药了，但我想再咨询一下",
        "民宿住一天 500 元，有点贵，想订的可以问我",
        "这本书 30 出头就能买到",
        "版本号是 1.2.3.4，升级一下",
        "我在小红书上看到有人说一天轻松赚三百，肯定是骗子，大家别信",
        "我表姐做微商的，天天朋友圈刷屏，烦死了",
        "跑团招募新成员，有兴趣的私信我",  # a group recruits its own members
        "社区活动招募志愿者，有意向的联系居委会",
        "群里有人需要吗，我买多了两袋，原价转，私聊",  # a member's surplus
    ],
)
def test_numbers_and_innocent_asks_are_not_spam(books: TopicClassifier, text: str) -> None:
    verdict = books.classify(text)
    assert verdict.label != "spam", verdict.explain()


MORTGAGE = ThemeSettings(
    name="房贷交流群",
    description="首套二套房贷款、利率、提前还款、公积金和征信问题交流",
    keywords=["房贷", "贷款", "利率", "提前还款", "公积金", "征信", "放款", "额度", "月供"],
)


@pytest.mark.parametrize(
    "text",
    [
        "我的贷款终于放款了，等了一个月",
        "银行说额度只有80万，有没有人遇到过，可以私聊我",
        "信用贷的利率比房贷高多少",
        "急用钱的时候千万别碰网贷",
        "我们这边银行经理说不查流水也能贷，是真的吗",
        "招商银行的房贷经理电话是多少，有人有吗",  # a phone named, no number given
        "有没有人做过停息挂账，靠谱吗，我朋友说被骗了",
        "我信用卡逾期了一次，征信会花吗，懂的朋友私聊我一下",
        "我也是信用卡逾期的，后来自己跟银行协商了",
    ],
)
def test_money_trouble_is_what_members_talk_about(text: str) -> None:
    verdict = TopicClassifier(MORTGAGE).classify(text)
    assert verdict.label != "spam", verdict.explain()


@pytest.mark.parametrize(
    "text",
    [
        "有征信问题的朋友，我们专业处理，网贷信用卡逾期都能谈，私我",
        "程序员专属贷款，凭工牌秒批，额度最高三十万",
        "停息挂账，协商还款，信用卡网贷逾期不用怕，专业团队帮你处理",
        "征信花了、网贷逾期的朋友，可以私我",  # people in money trouble addressed
        "有网贷信用卡逾期问题的，联系我",
    ],
)
def test_loan_ads_in_a_money_group_are_still_spam(text: str) -> None:
    verdict = TopicClassifier(MORTGAGE).classify(text)
    assert verdict.label == "spam", verdict.explain()


# --- the theme's own domains -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "description", "keywords", "own", "not_own"),
    [
        (
            "烘焙爱好者",
            "在家做面包蛋糕甜品，分享配方",
            ["烘焙", "面包", "蛋糕", "烤箱"],
            "food",
            "pets",
        ),
        (
            "理财读书会",
            "讨论基金定投和资产配置",
            ["理财", "基金", "股票", "债券"],
            "finance",
            "food",
        ),
        ("足球迷", "聊足球比赛和球队", ["足球", "球队", "英超"], "sports", "finance"),
        ("多肉植物爱好者", "养多肉、绿植", ["多肉", "绿植", "浇水", "花盆"], "plants", "travel"),
        # "发烧" inside "数码发烧友" is only a partial overlap: medicine is not its field
        (
            "数码发烧友",
            "讨论手机电脑耳机等数码产品",
            ["手机", "电脑", "耳机", "数码"],
            "gadgets",
            "medical",
        ),
        # one keyword shared with a domain (作业 in 辅导作业) does not make it the theme's own
        (
            "Python编程学习群",
            "零基础学 Python",
            ["python", "代码", "作业", "项目"],
            None,
            "parenting",
        ),
    ],
)
def test_domain_suppression_is_derived_from_the_theme(
    name: str, description: str, keywords: list[str], own: str | None, not_own: str
) -> None:
    clf = TopicClassifier(ThemeSettings(name=name, description=description, keywords=keywords))
    if own is not None:
        assert own in clf.suppressed
    assert not_own not in clf.suppressed


def test_own_domain_words_shadow_shorter_words_of_other_domains() -> None:
    cats = TopicClassifier(
        ThemeSettings(
            name="养猫交流群", description="猫粮猫砂驱虫", keywords=["猫", "猫粮", "猫砂", "驱虫"]
        )
    )
    assert "pets" in cats.suppressed
    # "宠物医院" is the group's field, not "医院" (medicine)
    assert cats.classify("宠物医院说要做体检，500 贵吗").label == "on"
    assert cats.classify("今天加班到十点，累死").label == "off"


def test_a_character_several_keywords_share_anywhere_is_a_stem() -> None:
    clf = TopicClassifier(ThemeSettings(name="写作营", keywords=["稿子", "投稿", "稿费"]))
    assert clf.theme_terms["稿"] == (0.3, "stem")


@pytest.mark.parametrize(
    "text",
    [
        "有人去看樱花吗，武大樱花开了",
        "国庆去云南玩了七天",
        "茅台跌成这样还能买吗",
        "养的多肉又烂根了",
        "今天老板又画饼了",
        "最近胖了五斤，裤子都穿不上",
        "昨天的比赛太精彩了",
        "被裁员了，在找工作",
    ],
)
def test_everyday_domains_are_off_for_an_unrelated_theme(books: TopicClassifier, text: str) -> None:
    verdict = books.classify(text)
    assert verdict.label == "off", verdict.explain()


def test_words_inside_other_words_do_not_fire() -> None:
    parenting = TopicClassifier(
        ThemeSettings(name="育儿交流群", keywords=["育儿", "宝宝", "辅食", "早教"])
    )
    assert parenting.classify("一岁的娃可以吃鸡蛋黄了吗").label == "on"  # not the game 吃鸡


def test_bridge_words_make_a_related_domain_the_themes_own() -> None:
    travel = TopicClassifier(
        ThemeSettings(
            name="周末自驾游俱乐部",
            description="组织周末自驾出游、露营，分享路线攻略",
            keywords=["自驾", "路线", "露营", "攻略", "车队", "高速", "服务区"],
        )
    )
    assert {"travel", "cars"} <= travel.suppressed
    assert travel.classify("新能源车跑长途，充电桩好找吗").label == "on"
    assert travel.classify("今天股票又跌了").label == "off"


# --- the group's own questions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("带孩子一起去可以吗", "on"),  # a question about the group's outing
        ("群里可以发淘宝链接吗", "on"),
        ("周末带孩子去上钢琴课", "off"),  # a statement, not a question to the group
        ("群里有人去过三亚吗", "off"),  # asks the members about travel
    ],
)
def test_short_questions_about_the_group_are_never_off(
    running: TopicClassifier, text: str, label: str
) -> None:
    verdict = running.classify(text)
    assert verdict.label == label, verdict.explain()
    if label == "on":
        assert "group question" in verdict.explain()


def test_a_character_of_the_description_and_a_keyword_is_a_stem() -> None:
    photo = TopicClassifier(
        ThemeSettings(name="摄影群", description="交流拍摄技巧", keywords=["拍照", "构图"])
    )
    assert photo.theme_terms["拍"] == (0.3, "stem")
    assert "学" not in photo.theme_terms  # too common a character


# --- whole sets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "topics_dev_running.yaml",
        "topics_dev_cats.yaml",
        "topics_dev_kaoyan.yaml",
        "topics_dev_baking.yaml",
        "topics_dev_travel.yaml",
        "topics_dev_calligraphy.yaml",
        "topics_dev_piano.yaml",
        "topics_dev_japanese.yaml",
        "topics_dev_coffee.yaml",
        "topics_dev_dogs.yaml",
        "topics_dev_soap.yaml",
        "topics_dev_kidsreading.yaml",
        "topics_dev_weiqi.yaml",
        "topics_dev_drone.yaml",
        "topics_dev_homedecor.yaml",
        "topics_dev_petgrooming.yaml",
    ],
)
def test_development_sets_meet_the_targets(name: str) -> None:
    report = evaluate(load_cases(DATA / name))
    assert report.spam_precision >= 0.95 and report.spam_recall >= 0.90
    assert report.off_precision >= 0.90 and report.off_recall >= 0.70


@pytest.mark.parametrize(
    "name",
    ["topics_holdout_english.yaml", "topics_holdout_investing.yaml", "topics_holdout_python.yaml"],
)
def test_held_out_sets_do_not_regress(name: str) -> None:
    """Measured only, never tuned on: floors at the level reached in the generalisation
    round, so a change that hurts an unseen community shows up."""
    report = evaluate(load_cases(DATA / name))
    assert report.spam_precision >= 0.95 and report.spam_recall >= 0.85
    assert report.off_precision >= 0.85 and report.off_recall >= 0.80


# --- theme characters and context words ----------------------------------------------------------

PIANO = ThemeSettings(
    name="钢琴自学交流群",
    description="成人零基础学钢琴，分享练琴心得、曲谱和指法",
    keywords=["钢琴", "练琴", "曲谱", "指法", "节奏", "和弦", "乐理", "琴键", "弹奏", "视奏"],
)


def test_uncommon_characters_of_the_theme_are_weak_evidence() -> None:
    piano = TopicClassifier(PIANO)
    assert "谱" in piano.theme_chars and "弦" in piano.theme_chars
    assert "节" not in piano.theme_chars  # 中秋节, 春节...: everyday
    assert "学" not in piano.theme_chars  # among the most common characters
    verdict = piano.classify("周杰伦的晴天有简单版的谱吗")
    assert verdict.label == "on" and "谱(char)" in verdict.explain()
    # characters are capped below the veto: two of them never save a clear off-topic message
    assert piano.classify("今天股票又绿了，心态崩了").label == "off"


def test_a_theme_character_inside_a_generic_word_does_not_count() -> None:
    fitness = TopicClassifier(ThemeSettings(name="健身营", keywords=["卧推", "深蹲", "硬拉"]))
    assert "推" in fitness.theme_chars
    assert fitness.classify("有推荐的笔记本电脑吗，预算五千").label == "off"  # 推荐


def test_holidays_are_context_unless_the_message_is_about_them(books: TopicClassifier) -> None:
    calligraphy = TopicClassifier(
        ThemeSettings(name="书法练习营", keywords=["书法", "练字", "临帖", "字帖", "毛笔"])
    )
    assert calligraphy.classify("春节要写春联了，有没有好看的模板").label == "on"
    assert books.classify("中秋节你们回家吗").label == "off"
    assert books.classify("我买的彩票差一个号就中了").label == "off"


def test_a_phrase_pattern_does_not_count_a_word_twice() -> None:
    knitting = TopicClassifier(
        ThemeSettings(name="毛线编织手作群", keywords=["编织", "毛线", "棒针", "钩针", "毛衣"])
    )
    # "追剧" is a word and also matches the drama phrase pattern: 1 point, not 2, so the
    # theme character 织 keeps it on-topic
    verdict = knitting.classify("追剧的时候织最快了哈哈")
    assert verdict.label == "on" and verdict.off_score == 1.0
    # a phrase still completes weak evidence: "中秋节" (context) + "回家" is holiday talk
    assert knitting.classify("中秋节你们回家吗").label == "off"


def test_everyday_characters_are_not_theme_characters() -> None:
    dolls = TopicClassifier(ThemeSettings(name="手作群", keywords=["玩偶", "钩针"]))
    assert "玩" not in dolls.theme_chars  # 玩游戏, 出去玩...
    assert "钩" in dolls.theme_chars
    assert dolls.classify("有没有人一起玩原神").label == "off"


THRIFT = ThemeSettings(
    name="省钱记账互助群",
    description="一起记账、做家庭预算、分享省钱攻略和薅羊毛技巧",
    keywords=["记账", "省钱", "预算", "存钱", "开销", "薅羊毛", "优惠", "攒钱", "账单"],
)


def test_a_money_theme_owns_shopping_and_its_money_phrases(books: TopicClassifier) -> None:
    thrift = TopicClassifier(THRIFT)
    assert {"shopping", "finance"} <= thrift.suppressed
    # words of the theme's own field are as good as description words
    assert thrift.classify("618 满减怎么凑单最划算").label == "on"
    # a money phrase of the theme's own field saves an everyday word ("外卖")
    verdict = thrift.classify("这个月外卖花了八百，太离谱了")
    assert verdict.label == "on" and "own domain" in verdict.explain()
    # ...which, for a group about something else, is off-topic
    assert books.classify("这个月外卖花了八百，太离谱了").label == "off"
    assert thrift.classify("昨晚的球赛太精彩了").label == "off"


def test_any_theme_evidence_asks_for_more_off_topic_evidence() -> None:
    knitting = TopicClassifier(
        ThemeSettings(name="毛线编织手作群", keywords=["编织", "毛线", "棒针", "钩针", "毛衣"])
    )
    # 兔子 (pets) + 女儿 (weak, parenting) = 1.5 < 1 + 0.5 + 0.2 for the character 钩
    verdict = knitting.classify("钩了一只小兔子，送给女儿当生日礼物")
    assert verdict.label == "on", verdict.explain()
    assert knitting.classify("有没有人一起玩原神").label == "off"  # no theme evidence
