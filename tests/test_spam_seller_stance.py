"""A seller's stance against a member's, each signal beside the member's message that shares
its words and must stay innocent: supply that lasts (票源充足, 长期有效) against a member
short of tickets, a price list against one price quoted, a day's pay in hand against a
day's mileage, a task for a gift, a member's own contact given for a meetup against a
service offered to strangers, one spare ticket of one's own against a ticket dealer."""

from __future__ import annotations

import pytest

from bot.settings.base import ThemeSettings
from bot.text.classify import TopicClassifier

CYCLING = ThemeSettings(
    name="周末骑行群",
    description="一起约骑、分享路线、交流车辆装备和保养经验",
    keywords=["骑行", "公路车", "山地车", "头盔", "码表", "爬坡", "踏频", "约骑", "路线"],
)
CONCERTS = ThemeSettings(
    name="演唱会歌迷群",
    description="一起追演唱会、交流抢票经验、分享现场视频和应援物",
    keywords=["演唱会", "抢票", "门票", "内场", "看台", "应援", "灯牌", "巡演", "周边"],
)


@pytest.fixture(scope="module")
def cycling() -> TopicClassifier:
    return TopicClassifier(CYCLING)


@pytest.fixture(scope="module")
def concerts() -> TopicClassifier:
    return TopicClassifier(CONCERTS)


def _codes(clf: TopicClassifier, text: str) -> set[str]:
    return {s.code for s in clf.classify(text).signals}


def test_supply_that_lasts_is_a_sellers_word(concerts: TopicClassifier) -> None:
    ad = concerts.classify("内场前排票源充足，另有酒店套餐，有需要的私聊我报价")
    assert ad.label == "spam" and "stock" in {s.code for s in ad.signals}, ad.explain()
    proxy = concerts.classify("代购官方周边，全站可代，收 10% 代购费，长期有效")
    assert proxy.label == "spam", proxy.explain()
    # a member short of tickets speaks of the supply too
    member = concerts.classify("这次票源太少了，有多的私我")
    assert member.label != "spam", member.explain()


def test_a_price_list_is_a_catalogue(cycling: TopicClassifier) -> None:
    ad = cycling.classify("骑行头盔：山地款 199 公路款 299 儿童款 99，需要的私")
    assert ad.label == "spam" and "price" in {s.code for s in ad.signals}, ad.explain()
    # the prices a member paid or compares, asked of the group
    assert cycling.classify("我买的头盔 199，公路款 299，儿童款 99，你们觉得哪个好").label != "spam"
    # numbers listed without money are no prices
    assert "price" not in _codes(cycling, "成绩出来了 数学 135 语文 120 英语 140，想交流的加我")


def test_a_days_pay_in_hand(cycling: TopicClassifier) -> None:
    ad = cycling.classify("招募骑行博主兼职，帮忙点赞转发，每天 200 到手")
    assert ad.label == "spam" and "sidejob" in {s.code for s in ad.signals}, ad.explain()
    # a day's distance is no pay
    assert "sidejob" not in _codes(cycling, "跑量每天 10000，坚持一个月了")


def test_a_task_for_a_gift_is_a_call(cycling: TopicClassifier) -> None:
    ad = cycling.classify("免费领骑行手套，只需关注公众号转发朋友圈")
    assert ad.label == "spam" and "cta" in {s.code for s in ad.signals}, ad.explain()
    assert cycling.classify("只要坚持骑，膝盖会慢慢适应的").label != "spam"


def test_a_members_contact_for_a_meetup(cycling: TopicClassifier) -> None:
    member = cycling.classify("这周六有人一起骑太湖吗？我微信 bike_wang，加我拉群")
    assert member.label != "spam" and "meetup" in {s.code for s in member.signals}
    # a service announced to strangers is no meetup
    ride = cycling.classify("每天往返上海苏州拼车，舒适七座商务车，V：car8899")
    assert ride.label == "spam", ride.explain()
    # nor is a handle with "一起" in a money-making offer
    assert cycling.classify("想一起赚钱的加我微信 earn8899，带你做副业").label == "spam"
    # nor a "date" dressed as a meetup
    assert cycling.classify("同城姐妹约着一起吃饭呀，加我 V：xiaomei123 同城交友").label == "spam"


def test_one_spare_ticket_of_ones_own(concerts: TopicClassifier) -> None:
    member = concerts.classify("我多抢了一张，原价出给群里的姐妹，有要的私我")
    assert member.label != "spam" and "surplus" in {s.code for s in member.signals}
    dealer = concerts.classify("全国巡演门票大量现货，长期出票，欢迎咨询 V：piao8866")
    assert dealer.label == "spam", dealer.explain()
