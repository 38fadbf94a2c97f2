"""Live relay through the real router: start, merged windows, questions and answers across
groups, a red packet for a good question in the asker's group, the end."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from storage.models import LedgerEntry, RelayLine, RelaySession
from tests.relay_support import START, line, relay_config, run_until
from tests.support import Bot, running_bot, sqlite_url


def texts(bot: Bot, group: str) -> list[str]:
    return bot.sender.texts(group)


async def start_relay(bot: Bot, *, speakers: tuple[str, ...] = ("teacher",)) -> list[str]:
    bot.clock.set(START)
    return await bot.push(line("/转播 开始 camp", 0, user="root", mentions=speakers))


async def test_a_relay_merges_a_window_into_one_post_per_group_in_order(tmp_path: Path) -> None:
    async with running_bot(sqlite_url(tmp_path / "bot.db"), relay_config(), START) as bot:
        replies = await start_relay(bot)
        assert any("已开始把" in r for r in replies)
        assert "转播开始" in texts(bot, "g2")[0] and "#提问" in texts(bot, "g2")[0]
        assert texts(bot, "solo") == []
        for n, sec in enumerate((1, 2, 3.5), start=1):
            assert await bot.push(line(f"第{n}句", sec)) == []
        await run_until(bot, START + timedelta(seconds=6))
        for group in ("g2", "g3"):
            assert texts(bot, group)[1] == "张老师：第1句\n张老师：第2句\n张老师：第3句"
        assert len(texts(bot, "g1")) == 1  # the source group gets only the confirmation
        await bot.push(line("第4句", 7))
        await run_until(bot, START + timedelta(seconds=10))
        assert texts(bot, "g3")[2] == "张老师：第4句"
        # someone else in the source group is not relayed
        await bot.push(line("我是观众", 11, user="carol"))
        await bot.push(line("[图]", 12, image=True))
        await bot.push(line("", 12.5, image=True, mid="pic"))
        await run_until(bot, START + timedelta(seconds=15))
        assert texts(bot, "g2")[3] == "张老师：[图]\n张老师：[图片，请到主群「主群」查看]"
        await bot.push(line("/转播 结束", 16, user="root"))
        assert texts(bot, "g1")[-1] == "转播已结束，共转发 6 条发言、0 个提问。"
        assert "转播已结束" in texts(bot, "g2")[-1] and "6 条发言" in texts(bot, "g2")[-1]
        await bot.push(line("结束后的话", 17))
        await run_until(bot, START + timedelta(seconds=30))
        assert "结束后的话" not in "".join(texts(bot, "g2"))
        async with bot.app.uow() as uow:
            rows = (await uow.session.scalars(select(RelaySession))).all()
            lines = (await uow.session.scalars(select(RelayLine))).all()
        assert [r.status for r in rows] == ["ended"] and len(lines) == 6


async def test_a_question_goes_to_the_source_and_the_answer_comes_back(tmp_path: Path) -> None:
    async with running_bot(sqlite_url(tmp_path / "bot.db"), relay_config(), START) as bot:
        await start_relay(bot)
        await bot.push(line("#提问 新手适合吗？", 2, user="bob", group="g2"))
        assert texts(bot, "g2")[-1] == "已转给主讲人（提问1），答复会发回本群。"
        relayed = texts(bot, "g1")[-1]
        assert relayed.startswith("❓提问1｜来自「二群」的bob：新手适合吗？")
        # the speaker answers by quoting the relayed question (WeCom reports quotes)
        await bot.push(line("适合，从每周一次开始", 3, quote=relayed))
        await run_until(bot, START + timedelta(seconds=5))
        posts = {m.group_id: m for m in bot.sender.sent[-2:]}
        assert posts["g2"].mentions == ("bob",) and posts["g3"].mentions == ()
        for group in ("g2", "g3"):
            assert posts[group].text == (
                "张老师（回答 二群·bob 的提问「新手适合吗？」）：适合，从每周一次开始"
            )
        # the same with `#回答 N` (every transport), and a wrong number is refused
        await bot.push(line("#提问 要准备什么？", 6, user="dan", group="g3"))
        await bot.push(line("#回答 9 不存在", 7))
        assert texts(bot, "g1")[-1] == "本次转播里没有编号为 9 的提问。"
        await bot.push(line("#回答 2 一个本子就够", 8))
        await run_until(bot, START + timedelta(seconds=10))
        assert bot.sender.sent[-1].text.endswith("：一个本子就够")
        assert {m.group_id: m.mentions for m in bot.sender.sent[-2:]} == {
            "g2": (),
            "g3": ("dan",),
        }


async def test_a_red_packet_for_a_good_question_pays_in_the_askers_group_once(
    tmp_path: Path,
) -> None:
    async with running_bot(sqlite_url(tmp_path / "bot.db"), relay_config(), START) as bot:
        await start_relay(bot)
        await bot.push(line("#提问 好问题", 2, user="bob", group="g2"))
        reward = line("/红包 提问1 20 问得好", 3, user="root", mid="r1")
        await bot.push(reward)
        assert texts(bot, "g1")[-1] == "已给「二群」的 bob 发出 20 分红包（提问1）。"
        assert "为好问题发来一个红包：+20 分" in texts(bot, "g2")[-1]
        assert bot.sender.sent[-2].mentions == ("bob",)
        # the same message again (a redelivery after a restart) pays nothing more
        bot.app.router.seen = type(bot.app.router.seen)()
        await bot.push(reward)
        # quoting the relayed question works too
        quoted = texts(bot, "g1")[1]
        await bot.push(line("/红包 5", 4, user="root", mid="r2", quote=quoted))
        async with bot.app.uow() as uow:
            paid = (await uow.session.scalars(select(LedgerEntry))).all()
        assert sorted((p.group_id, p.member_id, p.delta) for p in paid) == [
            ("g2", "bob", 5),
            ("g2", "bob", 20),
        ]
        # a plain /红包 without a question still goes to the red-packet command
        usage = await bot.push(line("/红包 20", 5, user="root", mid="r3"))
        assert usage and "用法：/红包 @成员" in usage[0]


async def test_start_is_refused_where_it_cannot_work(tmp_path: Path) -> None:
    async with running_bot(sqlite_url(tmp_path / "bot.db"), relay_config(), START) as bot:
        bot.clock.set(START)
        refused = await bot.push(line("/转播 开始 camp", 0, user="teacher", mid="a"))
        assert refused == ["只有能管理集合「camp」里每个群的管理员才能开始转播。"]
        assert await bot.push(line("/转播 开始 nope", 0, user="root", mid="b")) == [
            "没有名为「nope」的群集合。可用的集合：camp"
        ]
        assert await bot.push(line("/转播 开始 camp", 0, user="root", group="solo", mid="c")) == [
            "本群不在集合「camp」里，不能向它转播。"
        ]
        usage = await bot.push(line("/转播", 0, user="root", mid="d"))
        assert usage and "用法：/转播 开始" in usage[0]
        no_set = await bot.push(line("/转播 开始", 0, user="root", group="solo", mid="d2"))
        assert no_set and no_set[0].startswith("请写一个群集合的名字。本群所在的集合：（本群不在")
        assert await bot.push(line("/转播 结束", 0, user="root", mid="e")) == [
            "本群现在没有进行中的转播。"
        ]
        started = await bot.push(line("/转播 开始", 0, user="root", mid="f"))  # its only set
        assert any("集合「camp」的 2 个群" in r for r in started)
        again = await bot.push(line("/转播 开始 camp", 1, user="root", mid="g"))
        assert again == ["本群已经在向集合「camp」转播，请先发 /转播 结束。"]


async def test_a_mentions_only_transport_refuses_to_start_with_a_reason(tmp_path: Path) -> None:
    config = relay_config(transport="wecom_aibot")
    async with running_bot(sqlite_url(tmp_path / "bot.db"), config, START) as bot:
        bot.clock.set(START)
        refused = await bot.push(line("/转播 开始 camp", 0, user="root"))
        assert len(refused) == 1 and "只能收到 @机器人 的消息" in refused[0]
        assert bot.sender.texts("g2") == []


async def test_an_idle_relay_ends_by_itself_and_says_so_everywhere(tmp_path: Path) -> None:
    async with running_bot(sqlite_url(tmp_path / "bot.db"), relay_config(), START) as bot:
        await start_relay(bot)
        await bot.push(line("开场", 1))
        await run_until(bot, START + timedelta(minutes=11))
        assert texts(bot, "g2")[-1].startswith("📡 来自「主群」的转播已结束（10 分钟没有新发言")
        assert texts(bot, "g1")[-1].startswith("📡 转播已结束")
        assert bot.app.scheduler.jobs() == [] or all(
            not j.id.startswith("relay:") for j in bot.app.scheduler.jobs()
        )


async def test_a_picture_the_transport_fetched_is_relayed_as_itself(tmp_path: Path) -> None:
    async with running_bot(sqlite_url(tmp_path / "bot.db"), relay_config(), START) as bot:
        await start_relay(bot)
        await bot.push(line("看这张图", 1))
        picture = replace(line("", 2, image=True), image_path="/tmp/slide.png")
        await bot.push(picture)
        await bot.push(line("讲完了", 3))
        await run_until(bot, START + timedelta(seconds=5))
        g2 = [m for m in bot.sender.sent if m.group_id == "g2"][1:]
        assert [(m.text, m.image_path) for m in g2] == [
            ("张老师：看这张图", None),
            ("张老师：", "/tmp/slide.png"),
            ("张老师：讲完了", None),
        ]
