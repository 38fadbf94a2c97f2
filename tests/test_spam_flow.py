"""Ad control through the real router: warning, the ladder, exemptions, commands, evidence."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import Violation, WhitelistedMember
from tests.moderation_support import moderation_config
from tests.support import at, msg, running_bot

AD_1 = "【限时福利】加V：fuye_999 领取价值999元的副业课程，日赚300不是梦"
AD_2 = "公众号涨粉，一千粉只要20元，真实活粉，vx：fen888"
AD_3 = "宝妈在家兼职，手机操作，日结工资，扫码进群"  # offer words only: a repeat after warnings


async def test_spam_is_warned_and_the_ladder_escalates_with_evidence(db_url: str) -> None:
    async with running_bot(db_url, moderation_config()) as bot:
        first = await bot.say(AD_1, user="spammer", when=at("2026-11-21 10:00"))
        assert len(first) == 1 and first[0].startswith("温馨提示：本群不欢迎广告和引流信息")
        assert "留联系方式" in first[0] and "兼职副业招募" in first[0]
        assert bot.sender.sent[-1].mentions == ("spammer",)

        second = await bot.say(AD_2, user="spammer", when=at("2026-11-21 11:00"))
        assert len(second) == 1 and second[0].startswith("⚠️ 第 2 次发现该成员发布疑似广告")
        assert "留联系方式" in second[0] and f"证据：「{AD_2}」" in second[0]
        assert bot.sender.sent[-1].mentions == ("spammer", "admin", "coach")

        third = await bot.say(AD_3, user="spammer", when=at("2026-11-21 12:00"))
        assert third == [
            "🚫 该成员已第 3 次发布广告，请管理员将其移出本群。\n证据：\n"
            f"1. 11-21 12:00 「{AD_3}」\n"
            f"2. 11-21 11:00 「{AD_2}」\n"
            f"3. 11-21 10:00 「{AD_1}」"
        ]
        assert bot.sender.sent[-1].mentions == ("spammer", "admin", "coach")
        # the last step repeats
        fourth = await bot.say(AD_1 + "！", user="spammer", when=at("2026-11-21 13:00"))
        assert fourth[0].startswith("🚫 该成员已第 4 次发布广告")

        async with bot.app.uow() as uow:
            rows = (await uow.session.execute(select(Violation).order_by(Violation.id))).scalars()
            stored = [(v.member_id, v.action, v.score >= 10, v.excerpt) for v in rows]
        assert stored == [
            ("spammer", "warn", True, AD_1),
            ("spammer", "notify_admins", True, AD_2),
            ("spammer", "ask_remove", True, AD_3),
            ("spammer", "ask_remove", True, AD_1 + "！"),
        ]


async def test_old_violations_leave_the_ladder_window(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        await bot.say(AD_1, user="spammer", when=at("2026-10-01 10:00"))
        again = await bot.say(AD_2, user="spammer", when=at("2026-11-21 10:00"))
        assert again[0].startswith("温馨提示")  # 51 days later: a first warning again


async def test_spam_stops_other_features(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        ran = await bot.app.handle(msg("打卡 加我微信 abc123 领资料", user="spammer"))
        assert ran[-1] == "spam.check" and "checkin.checkin" not in ran
        assert len(bot.sender.sent) == 1 and bot.sender.sent[0].text.startswith("温馨提示")


async def test_redelivered_spam_is_acted_on_once(sqlite_db: str) -> None:
    message = msg(AD_1, user="spammer", mid="ad-1", when=at("2026-11-21 10:00"))
    async with running_bot(sqlite_db, moderation_config()) as bot:
        await bot.push(message)
        await bot.push(message)
    async with running_bot(sqlite_db, moderation_config()) as bot:  # after a restart too
        assert await bot.push(message) == []
        async with bot.app.uow() as uow:
            count = len((await uow.session.execute(select(Violation))).scalars().all())
    assert count == 1


async def test_admins_and_whitelisted_members_are_exempt(db_url: str) -> None:
    async with running_bot(db_url, moderation_config()) as bot:
        assert await bot.say(AD_2, user="admin") == []
        assert await bot.say(AD_2, user="coach") == []
        refused = await bot.say("/白名单 @partner", user="bob", mentions=("partner",))
        assert refused == ["抱歉，这个命令只有管理员可以使用。"]
        added = await bot.say("/白名单 @partner", user="coach", mentions=("partner",))
        assert added == ["已加入白名单，其消息不再按广告处理。"]
        assert bot.sender.sent[-1].mentions == ("partner",)
        assert await bot.say(AD_2, user="partner") == []
        listed = await bot.say("/白名单", user="admin")
        assert listed == ["本群白名单（1 人）：partner"]
        async with bot.app.uow() as uow:
            rows = (await uow.session.execute(select(WhitelistedMember))).scalars().all()
            assert [(r.group_id, r.member_id, r.added_by) for r in rows] == [
                ("g1", "partner", "coach")
            ]
            assert (await uow.session.execute(select(Violation))).first() is None
    # the whitelist is loaded again after a restart, and is per group
    async with running_bot(db_url, moderation_config()) as bot:
        assert await bot.say(AD_2, user="partner") == []
        assert len(await bot.say(AD_2, user="partner", group="other")) == 1
        removed = await bot.say("/白名单 移除 @partner", user="admin", mentions=("partner",))
        assert removed == ["已移出白名单。"]
        assert len(await bot.say(AD_2, user="partner")) == 1


async def test_whitelisted_link_domains_are_allowed(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        share = "新文章发了，求互评 https://mp.weixin.qq.com/s/abc123 帮我投一票"
        assert await bot.say(share, user="bob") == []
        ad = "帮我砍一刀 https://mobile.yangkeduo.com/abc 谢谢"
        assert len(await bot.say(ad, user="bob")) == 1


async def test_qr_code_image_after_promotion_is_spam(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        photo = replace(msg("", user="bob", when=at("2026-11-21 10:00")), is_image=True)
        assert await bot.push(photo) == []  # an image alone is fine
        hint = msg("有需要的私聊我", user="carol", when=at("2026-11-21 10:01"))
        assert await bot.push(hint) == []  # one hint alone is not spam
        qr = replace(msg("", user="carol", when=at("2026-11-21 10:02")), is_image=True)
        said = await bot.push(qr)
        assert len(said) == 1 and "推广文字后发图" in said[0]
        captioned = replace(msg("扫码进群领资料", user="dave"), is_image=True)
        assert "二维码图片" in (await bot.push(captioned))[0]


async def test_violation_record_command(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        await bot.say(AD_1, user="spammer", when=at("2026-11-21 10:00"))
        await bot.say(AD_2, user="spammer", when=at("2026-11-21 11:00"))
        record = await bot.say("/违规 @spammer", user="coach", mentions=("spammer",))
        assert record[0].splitlines()[0] == "📋 spammer 的违规记录：共 2 次，近 30 天公开处理 2 次"
        line = record[0].splitlines()[1]
        assert line.startswith("11-21 11:00 通知管理员（") and "留联系方式" in line
        assert line.endswith(f"「{AD_2}」")
        assert record[0].splitlines()[2].startswith("11-21 10:00 提醒（")
        clean = await bot.say("/违规 @bob", user="coach", mentions=("bob",))
        assert clean == ["bob 没有违规记录。"]
        usage = await bot.say("/违规 @a @b", user="coach", mentions=("a", "b"))
        assert usage == ["请 @ 一位成员，或不带参数查看本群最近的记录。\n用法：/违规 @成员 | /违规"]
        assert await bot.say("/违规 @spammer", user="bob", mentions=("spammer",)) == [
            "抱歉，这个命令只有管理员可以使用。"
        ]


async def test_innocent_messages_are_not_spam(sqlite_db: str) -> None:
    innocent = [
        "公众号涨粉好慢，大家有什么经验",
        "这个兼职写稿的平台靠谱吗",
        "千字80元的稿费算高吗",
        "有需要的可以私聊我，我帮大家看稿",
        "扫码进群的二维码过期了，能再发一下吗",
        "我把文章发在公众号了 https://mp.weixin.qq.com/s/xyz",
        "现代写作课推荐",
    ]
    async with running_bot(sqlite_db, moderation_config()) as bot:
        for i, text in enumerate(innocent):
            assert (
                await bot.say(text, user="bob", when=at("2026-11-21 10:00") + timedelta(minutes=i))
                == []
            )


async def test_every_decision_is_logged_with_its_reason(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="groupops.moderation")
    async with running_bot(sqlite_db, moderation_config()) as bot:
        await bot.say("今天股票又绿了，心态崩了", user="bob", mid="m-off")
        await bot.say("标题改了三遍还是不满意", user="bob", mid="m-on")
        await bot.say(AD_2, user="spammer", mid="m-spam")
        await bot.say(AD_2, user="admin", mid="m-admin")
    records = [r for r in caplog.records if r.name == "groupops.moderation"]
    lines = [r.getMessage() for r in records]
    assert any("m-off" in line and " off [off-topic finance: 股票" in line for line in lines)
    assert any("m-on" in line and " on [theme: 标题(keyword)" in line for line in lines)
    # off and spam decisions at INFO, on/social decisions only at DEBUG (a quiet console)
    level: dict[str, int] = {}  # the decision line is the first line per message
    for r in records:
        mid = r.getMessage().split(":")[0].split()[1] if ": " in r.getMessage() else ""
        level.setdefault(mid, r.levelno)
    assert level["m-off"] == logging.INFO and level["m-spam"] == logging.INFO
    assert level["m-on"] == logging.DEBUG
    assert any(
        "m-spam" in line and " spam [" in line and "contact+10(vx:fen888)" in line for line in lines
    )
    assert any("m-admin" in line and "(admin)" in line for line in lines)
