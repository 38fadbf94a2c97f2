"""Off-topic side, unseen-community round: glue led by a social act, the group's own doings
(arriving late, "still on?"), a companion who is no subject, how a game is played for game
themes, grumbles with a weak everyday word, scene-setting words of the name, the FAQ's
vocabulary. Each mechanism with a hard negative that must keep its label."""

from __future__ import annotations

import pytest

from bot.config import AppConfig
from bot.settings.base import ThemeSettings
from bot.text.classify import TopicClassifier
from handlers.moderation import ModerationService
from tests.moderation_support import MODERATION_CONFIG, moderation_config

BOARDGAMES = ThemeSettings(
    name="周五桌游俱乐部",
    description="每周五晚上一起玩桌游，德式策略和聚会游戏都玩，新人有人教规则",
    keywords=["桌游", "组局", "规则", "德式", "狼人杀", "阿瓦隆", "卡坦岛", "扩展", "骰子"],
)
WRITING = ThemeSettings(
    name="写作成长营",
    description="每天日更写文章，互相点评稿子",
    keywords=["写作", "日更", "文章", "稿子", "投稿"],
)
CHOIR = ThemeSettings(
    name="合唱团成员群",
    description="业余混声合唱团，每周六下午排练，分声部学歌",
    keywords=["合唱", "声部", "排练", "练声", "谱子", "指挥", "伴奏", "音准"],
)
NEIGHBOURHOOD_BUYING = ThemeSettings(
    name="幸福小区团购群",
    description="小区居民一起拼团买水果蔬菜日用品，团长负责接龙和分货",
    keywords=["团购", "拼团", "接龙", "团长", "自提", "到货", "分货"],
)


@pytest.fixture(scope="module")
def games() -> TopicClassifier:
    return TopicClassifier(BOARDGAMES)


@pytest.fixture(scope="module")
def writing() -> TopicClassifier:
    return TopicClassifier(WRITING)


@pytest.fixture(scope="module")
def choir() -> TopicClassifier:
    return TopicClassifier(CHOIR)


# --- how a game is played ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["开局的时候起始玩家是随机的吗", "这个地下城的副本太长了"])
def test_how_a_game_is_played_is_no_video_game_talk_for_a_game_theme(
    games: TopicClassifier, text: str
) -> None:
    assert games.classify(text).label == "on"


def test_video_games_stay_off_topic_for_a_board_game_theme(
    games: TopicClassifier, writing: TopicClassifier
) -> None:
    assert games.classify("昨晚王者连跪五把，心态崩了").label == "off"
    # and play words still count in full where the theme is no game
    assert writing.classify("昨晚排位又掉分了，开局就被打爆").label == "off"


# --- a message led by a social act ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "恭喜你家宝宝满月",
        "祝贺王姐的孙子考上大学",
        "恭喜恭喜，升职加薪",
        "不好意思，刚在开会没看到",
        "抱歉抱歉，刚才在开车",
        "早上好，今天降温了大家注意保暖",
        "同意楼上，天气太热了",
        "端午安康，粽子吃了吗",
        "国庆快乐，出去玩的注意安全",
    ],
)
def test_congratulations_apologies_and_greetings_are_glue(
    choir: TopicClassifier, text: str
) -> None:
    assert choir.classify(text).label == "social"


@pytest.mark.parametrize(
    "text",
    [
        "不好意思问一下，哪家火锅好吃",  # politeness before an everyday question
        "谢谢，不过我觉得股票还会跌",  # thanks, then a say of its own
        "这两天降温太厉害了，大家多穿点",  # care with no greeting to lead it
        "我不快乐，上班好累，老板天天骂人",  # a mood, no season's wish
    ],
)
def test_a_social_opening_does_not_cover_everyday_talk(choir: TopicClassifier, text: str) -> None:
    assert choir.classify(text).label == "off"


def test_a_congratulation_never_hides_an_ad(choir: TopicClassifier) -> None:
    assert choir.classify("恭喜发财！兼职刷单日结三百，加v：fa_cai888").label == "spam"


# --- the group's own doings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["周五我加班，估计九点才能到，给我留个位置", "周五下雨还开吗", "明天我可能迟到"]
)
def test_arriving_late_and_whether_the_session_is_on_are_about_the_group(
    games: TopicClassifier, text: str
) -> None:
    assert games.classify(text).label == "on"


def test_everyday_lateness_is_still_everyday(games: TopicClassifier) -> None:
    assert games.classify("早上高架又堵了一个小时，迟到被扣钱").label == "off"


# --- a companion is no subject ------------------------------------------------------------


def test_a_companion_is_the_company_of_a_message_not_its_subject(games: TopicClassifier) -> None:
    assert games.classify("推荐几款两个人玩的，我和女朋友在家玩").label == "on"


@pytest.mark.parametrize("text", ["我和女朋友昨天分手了", "我老公昨天又喝多了"])
def test_the_same_people_as_the_subject_stay_off_topic(games: TopicClassifier, text: str) -> None:
    assert games.classify(text).label == "off"


# --- grumbles and the everyday lexicon --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "今天公司又开了一下午的会",
        "同事把锅甩给我，气人",
        "今天在单位被批评了",
        "女儿数学又没考好",
        "电脑又蓝屏了，工作都没保存",
        "商场这周搞活动，满三百减五十，有要去的吗",
        "出门忘带伞，淋成落汤鸡",
        "儿子青春期了，说一句顶十句",
    ],
)
def test_everyday_grumbles_without_a_strong_word_are_off_topic(
    writing: TopicClassifier, text: str
) -> None:
    assert writing.classify(text).label == "off"


@pytest.mark.parametrize("text", ["稿子又被编辑退了，气人", "今天的文章又没写完"])
def test_a_grumble_about_the_theme_is_about_the_theme(writing: TopicClassifier, text: str) -> None:
    assert writing.classify(text).label == "on"


def test_a_grumble_alone_is_no_everyday_evidence(choir: TopicClassifier) -> None:
    assert choir.classify("又错了，老是记不住").label == "on"


# --- the scene set by the name -------------------------------------------------------------


def test_an_everyday_word_of_the_name_sets_the_scene() -> None:
    clf = TopicClassifier(NEIGHBOURHOOD_BUYING)
    assert clf.theme_terms["小区"][0] < 0.6  # no longer enough alone
    assert clf.classify("小区电梯又坏了，物业也不修").label == "off"
    # with a theme word beside it, the neighbourhood is where the group's goods arrive
    assert clf.classify("小区东门自提点的团购到货了吗").label == "on"


# --- the FAQ's vocabulary -----------------------------------------------------------------------


def test_faq_questions_are_theme_vocabulary(writing: TopicClassifier) -> None:
    text = "咖啡馆的拿铁太贵了吧"
    assert writing.classify(text).label == "off"
    with_faq = TopicClassifier(WRITING, faq_questions=["线下沙龙所在的咖啡馆有最低消费吗"])
    assert with_faq.theme_terms["咖啡馆"] == (0.4, "faq")
    assert with_faq.classify(text).label == "on"
    # the FAQ makes the salon's café the group's matter, not every meal
    assert with_faq.classify("周末去吃火锅，排了一个小时").label == "off"


def _config_with_faq() -> AppConfig:
    return moderation_config(
        MODERATION_CONFIG.replace(
            "  quiet_hours:",
            "  qa:\n    faq:\n      - id: cafe\n        question: 线下沙龙所在的咖啡馆有最低消费吗\n"
            "        answer: 每人点一杯饮品就行\n  quiet_hours:",
        )
    )


def test_the_moderation_service_builds_classifiers_with_the_groups_faq() -> None:
    config = _config_with_faq()
    service = ModerationService(None, config)  # type: ignore[arg-type]  # no storage needed
    clf = service.classifier(config.group("g1"))
    assert clf.theme_terms.get("咖啡馆") == (0.4, "faq")
    assert clf.classify("咖啡馆的拿铁太贵了吧").label == "on"
    plain = ModerationService(None, moderation_config())  # type: ignore[arg-type]
    assert "咖啡馆" not in plain.classifier(moderation_config().group("g1")).theme_terms


@pytest.mark.parametrize(
    "text",
    [
        "有人一起打车过去吗",
        "开车去的话哪里停车方便",
        "明天我带点水果过去给大家",
        "下周我出差，请个假",
        "今天堵车，我晚十分钟到",
        "活动室的钥匙在谁那里",
    ],
)
def test_getting_to_the_session_is_the_groups_business(choir: TopicClassifier, text: str) -> None:
    assert choir.classify(text).label == "on"


@pytest.mark.parametrize(
    "text", ["今天跟领导请假被骂了", "晚上到家累死了，地铁太挤", "过去一年股票亏了一半"]
)
def test_leave_and_travel_of_everyday_life_stay_off_topic(
    choir: TopicClassifier, text: str
) -> None:
    assert choir.classify(text).label == "off"


@pytest.mark.parametrize("text", ["周末带孩子过去动物园玩", "昨天打车过去医院，排了三个小时"])
def test_a_trip_told_is_no_way_to_the_session(choir: TopicClassifier, text: str) -> None:
    assert choir.classify(text).label == "off"


# --- a theme word in passing ---------------------------------------------------------------


def test_one_theme_word_in_passing_does_not_hold_against_much_everyday_talk(
    choir: TopicClassifier,
) -> None:
    assert choir.classify("昨晚去看了周杰伦演唱会，全场大合唱太震撼了").label == "off"


@pytest.mark.parametrize(
    "text",
    [
        "双十一淘宝京东哪家买谱子便宜，有优惠券吗",  # buying a theme item: shopping is a frame
        "昨天看周杰伦演唱会，有人知道那首歌的合唱谱吗",  # asks the group
        "排练完累死了，回家路上堵车，到家还得做饭",  # too little everyday evidence
    ],
)
def test_a_theme_word_with_a_question_or_little_else_keeps_the_message(
    choir: TopicClassifier, text: str
) -> None:
    assert choir.classify(text).label == "on"
