"""Each spam signal for ads without a classic handle, beside the member's message that shares
its words and must stay innocent: calls to whoever wants something, a provider presenting
itself, free service and limited places, efficacy and results promised within days, prices
per area, pack or count, offers reported by members, job posts with pay but no fee, the
group's own audience, a member's surplus."""

from __future__ import annotations

import pytest

from bot.settings.base import ThemeSettings
from bot.text.classify import TopicClassifier

RENOVATION = ThemeSettings(
    name="装修交流群",
    description="业主们交流装修经验，分享设计方案、建材选购、施工验收和避坑心得",
    keywords=["装修", "设计", "瓷砖", "地板", "橱柜", "水电", "吊顶", "涂料", "全屋定制", "验收"],
)
GROOMING = ThemeSettings(
    name="宠物美容学习群",
    description="宠物美容师和爱好者交流洗护、修剪造型、工具使用和考证经验",
    keywords=["宠物美容", "美容师", "洗护", "修剪", "造型", "剪刀", "推子", "开结", "考证"],
)
MOTHERS = ThemeSettings(
    name="宝妈育儿交流群",
    description="妈妈们交流育儿经验、辅食、早教和亲子活动",
    keywords=["育儿", "辅食", "早教", "宝宝", "奶粉", "睡眠", "亲子"],
)
RUNNING = ThemeSettings(
    name="城市跑团",
    description="一起晨跑夜跑，分享跑步训练和比赛经验",
    keywords=["跑步", "配速", "马拉松", "跑鞋", "训练", "半马", "全马", "约跑"],
)


@pytest.fixture(scope="module")
def renovation() -> TopicClassifier:
    return TopicClassifier(RENOVATION)


@pytest.fixture(scope="module")
def grooming() -> TopicClassifier:
    return TopicClassifier(GROOMING)


@pytest.fixture(scope="module")
def mothers() -> TopicClassifier:
    return TopicClassifier(MOTHERS)


@pytest.fixture(scope="module")
def running() -> TopicClassifier:
    return TopicClassifier(RUNNING)


# (signal code, the ad it catches, the member's message beside it)
RENOVATION_PAIRS = [
    # a price per square metre with a call to contact privately is a sale
    ("price", "全包装修每平 699 起，拎包入住，需要的私我", "阳台要不要封？封窗一平 600"),
    # whoever wants something called to contact: an offer implied
    (
        "cta",
        "有需要装修的业主可以找我，十年老师傅，价格公道",
        "我们工长做事靠谱，有需要的可以找他，不收中介费",
    ),
    # a provider presenting itself
    ("pitch", "本人专业做防水补漏，不漏不收钱，同城上门", "我做室内设计七八年了，这种户型建议打通"),
    # free service and places limited in number
    (
        "bait",
        "免费上门量房出设计图，每月仅限 10 户，点我头像预约",
        "装修公司免费上门量房，但是报价好高",
    ),
    # paid only when it works
    ("miracle", "全屋净醛，不达标不收费，新房业主私聊", "甲醛治理公司说不达标不收钱，可信吗"),
    # a price comparison in shares: a seller's argument
    (
        "price",
        "【建材团购】主材比市场价低三成，想进群的扣1",
        "全屋定制我找的本地小厂，比品牌便宜三分之一",
    ),
    # the price in private is a call to contact
    ("cta", "集成吊顶工厂直供，价格私", "价格私下问问工长就行"),
]

GROOMING_PAIRS = [
    # efficacy promised after a few doses
    (
        "health",
        "狗狗泪痕重？纯天然祛泪痕粉，无添加，三天见效，需要的私我",
        "白色狗狗的泪痕和口水印怎么洗干净",
    ),
    # a deposit "that can be returned" is a deposit asked for
    ("job_fee", "手工活外发，在家可做，计件结算，押金可退", "剪刀多久磨一次？磨一次多少钱"),
    # a certificate without an exam, within days
    ("miracle", "宠物美容师证速成，不用考试，七天拿证", "考 b 级要先有 c 级证吗？报名要交什么材料"),
]


@pytest.mark.parametrize(("code", "ad", "member"), RENOVATION_PAIRS)
def test_renovation_ads_and_members(
    renovation: TopicClassifier, code: str, ad: str, member: str
) -> None:
    verdict = renovation.classify(ad)
    assert verdict.label == "spam", verdict.explain()
    assert code in {s.code for s in verdict.signals}, verdict.explain()
    assert not verdict.hard_evidence  # offer words only: a note for admins, no public step
    assert renovation.classify(member).label != "spam", renovation.classify(member).explain()


@pytest.mark.parametrize(("code", "ad", "member"), GROOMING_PAIRS)
def test_grooming_ads_and_members(
    grooming: TopicClassifier, code: str, ad: str, member: str
) -> None:
    verdict = grooming.classify(ad)
    assert verdict.label == "spam", verdict.explain()
    assert code in {s.code for s in verdict.signals}, verdict.explain()
    assert grooming.classify(member).label != "spam", grooming.classify(member).explain()


def test_a_job_in_the_trade_with_pay_and_no_fee_is_news(grooming: TopicClassifier) -> None:
    # pay and board are recruit words, each worth the same however many are named
    post = grooming.classify("我们店招美容助理，包吃住，底薪 4000，有意向的私聊我")
    assert post.label != "spam", post.explain()
    # "有意向的私聊": the phrase and its words are one call to contact
    assert [s.points for s in post.signals if s.code == "cta"] == [7]
    # the same job asking a fee first is a scam
    scam = grooming.classify("招家装顾问，底薪 6000 加提成，上岗前需交 500 服装费，有意私聊")
    assert scam.label == "spam" and "job_fee" in {s.code for s in scam.signals}


def test_an_offer_reported_by_a_member_is_not_made(renovation: TopicClassifier) -> None:
    reported = renovation.classify("昨天群里有人发刷单兼职，管理员踢了没")
    assert reported.label != "spam", reported.explain()
    assert "reported" in {s.code for s in reported.signals}
    asked = renovation.classify("有人说点赞关注能赚钱，是不是骗局")
    assert asked.label != "spam", asked.explain()
    # made, not reported
    assert (
        renovation.classify("在家动动手指帮商家刷单，一单返 20，日结，有意者私聊").label == "spam"
    )


def test_the_groups_own_audience_is_no_lure(mothers: TopicClassifier) -> None:
    # in a mothers' group, 宝妈 is how members speak of each other
    assert mothers.classify("想拼团买奶粉的宝妈扣1").label != "spam"
    assert mothers.classify("有需要旧衣服的宝妈吗，宝宝穿小了，免费送").label != "spam"
    # side-job ads still carry their own words
    assert mothers.classify("有没有想做副业的姐妹，每天一小时，多劳多得").label == "spam"
    assert mothers.classify("宝妈副业：朋友圈卖货，不囤货不压钱，零基础带你").label == "spam"


def test_a_surplus_item_is_not_a_shop(running: TopicClassifier) -> None:
    verdict = running.classify("跑鞋买大了半码，全新，原价 699，500 出，要的私聊")
    assert verdict.label != "spam" and "surplus" in {s.code for s in verdict.signals}
    assert running.classify("跑鞋工厂尾货，原价八百现在一百五，要的加我").label == "spam"


def test_earnings_as_a_rough_range(running: TopicClassifier) -> None:
    verdict = running.classify("游戏搬砖，一天两三百，带新人，加我")
    assert verdict.label == "spam" and "sidejob" in {s.code for s in verdict.signals}
    assert running.classify("民宿一天两三百，还挺便宜的").label != "spam"


RUNNING_PAIRS = [
    # any fee to be paid first, in a job post
    (
        "job_fee",
        "旅行社招兼职导游，日结 300，需先交 800 导游证挂靠费",
        "报名比赛需要交 200 报名费吗？",
    ),
    # free trips and gifts: the lure of the sales talk for the elderly
    (
        "bait",
        "中老年旅游团，免费游杭州，还送礼品，报名找我",
        "社区有免费的保健讲座，大家别去，都是卖保健品的",
    ),
    # a problem asked, then its cure offered
    (
        "pitch",
        "膝盖疼？这个护膝戴一周就不疼了，跑友价 59，私我",
        "膝盖疼？我去医院看了，医生说是跑量太大",
    ),
]


@pytest.mark.parametrize(("code", "ad", "member"), RUNNING_PAIRS)
def test_running_ads_and_members(running: TopicClassifier, code: str, ad: str, member: str) -> None:
    verdict = running.classify(ad)
    assert verdict.label == "spam", verdict.explain()
    assert code in {s.code for s in verdict.signals}, verdict.explain()
    assert running.classify(member).label != "spam", running.classify(member).explain()


def test_a_call_to_the_number_alone_offers_nothing(running: TopicClassifier) -> None:
    # "想上课的直接联系他" names who may call, not an offer: the number is all there is
    assert running.classify("教练电话 13700001111，想上课的直接联系他").label != "spam"
    # an offer with the number is an ad
    verdict = running.classify("装修找我们，免费设计，电话 138 1234 5678")
    assert verdict.label == "spam" and verdict.hard_evidence
