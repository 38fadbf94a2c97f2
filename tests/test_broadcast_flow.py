"""`/群发` through the real router: who may send, usage hints, each group once, pacing,
scheduled sends, the delivery report (from the outbox's final states) and `/群发 状态`."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from bot.transports.outbox import OutboxItem, PermanentSendError
from handlers.broadcast import JOB_ID, broadcast_id_for
from tests.broadcast_support import WEBHOOK_LIKE, outbox_bot, sets_config
from tests.support import at, msg, running_bot

T0 = "2026-12-01 10:00"


def copies(texts: list[str], body: str) -> int:
    return sum(1 for t in texts if t == body)


async def test_a_set_admin_broadcasts_to_each_group_once_and_gets_a_report(db_url: str) -> None:
    async with outbox_bot(db_url) as bot:
        m = msg("/群发 camp 今晚八点直播，不见不散", user="coach", group="g1", when=at(T0))
        replies = await bot.push(m)
        bid = broadcast_id_for(f"chat:g1:{m.message_id}")
        assert any(f"群发 {bid} 已创建" in r and "3 个群" in r for r in replies)
        await bot.run_until(at(T0) + timedelta(minutes=2))
        for group in ("g1", "g2", "g3"):
            assert bot.texts(group).count("今晚八点直播，不见不散") == 1
        assert bot.texts("g4") == []
        # copies are spread out: at least the configured 3 s apart
        times = [t for t, i in bot.deliver.delivered if i.text == "今晚八点直播，不见不散"]
        assert all(b - a >= timedelta(seconds=3) for a, b in pairwise(times))
        report = [i for i in bot.delivered() if i.conversation == "g1" and "已完成" in i.text]
        assert len(report) == 1 and report[0].mentions == ("coach",)
        assert "成功 3 个，失败 0 个" in report[0].text
        assert await bot.deliveries(bid) == {"g1": "sent", "g2": "sent", "g3": "sent"}
        # the same command delivered again sends nothing new
        await bot.push(m)
        await bot.run_until(at(T0) + timedelta(minutes=5))
        assert copies(bot.texts(), "今晚八点直播，不见不散") == 3


async def test_a_failed_group_is_named_with_its_reason_in_the_report(sqlite_db: str) -> None:
    async with outbox_bot(sqlite_db, policy=WEBHOOK_LIKE) as bot:

        def refuse_g2(item: OutboxItem) -> Exception | None:
            return PermanentSendError("93000 invalid key") if item.conversation == "g2" else None

        bot.deliver.fail = refuse_g2
        await bot.say("/群发 camp 通知：明天停课", user="boss", group="g4", when=at(T0))
        # webhook-like overall limit 20/min: copies at least 6 s apart (half the rate)
        await bot.run_until(at(T0) + timedelta(minutes=3))
        report = [i.text for i in bot.delivered() if "已完成" in i.text]
        assert len(report) == 1
        assert "成功 2 个，失败 1 个" in report[0]
        assert "二群：发送失败" in report[0]
        times = [t for t, i in bot.deliver.delivered if i.text == "通知：明天停课"]
        assert len(times) == 2 and times[1] - times[0] >= timedelta(seconds=6)
        status = await bot.say(
            "/群发 状态", user="boss", group="g4", when=at(T0) + timedelta(hours=1)
        )
        assert any("已完成" in s and "二群" in s for s in status)


async def test_refusals_hints_and_unknown_sets(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, sets_config(), at("2026-12-01 09:00")) as bot:
        refused = await bot.say("/群发 camp 你好", user="alice", group="g1", when=at(T0))
        assert refused and "只有" in refused[0] and "管理员" in refused[0]
        # members learn neither the sets nor the usage
        for text in ("/群发 nope 你好", "/群发"):
            assert "只有" in (await bot.say(text, user="alice", group="g1", when=at(T0)))[0]
        # coach admins g1..g3 but not g4: not an admin of every group of `all`
        refused = await bot.say("/群发 all 你好", user="coach", group="g1", when=at(T0))
        assert "只有" in refused[0]
        unknown = await bot.say("/群发 nope 你好", user="coach", group="g1", when=at(T0))
        assert "没有名为「nope」的群集合" in unknown[0] and "camp、all" in unknown[0]
        usage = await bot.say("/群发", user="coach", group="g1", when=at(T0))
        assert "用法：/群发 集合名 内容" in usage[0]
        empty = await bot.say("/群发 camp", user="coach", group="g1", when=at(T0))
        assert "请写上要群发的内容" in empty[0]
        past = await bot.say(
            "/群发 camp 定时 2026-11-30 09:00 早安", user="coach", group="g1", when=at(T0)
        )
        assert "已经过去" in past[0]
        bad = await bot.say("/群发 camp 定时 明天 早安", user="coach", group="g1", when=at(T0))
        assert "12-02 09:00" in bad[0]
        # coach admins every group of `camp`: may send it from g4, where he is no admin
        ok = await bot.say("/群发 camp 你好", user="coach", group="g4", when=at(T0))
        assert "已创建" in ok[0]
        nothing = await bot.say("/群发 状态", user="helper", group="g3", when=at(T0))
        assert "还没有发过群发" in nothing[0]
        await bot.app.scheduler.run_due(at(T0) + timedelta(minutes=1), on_fire=bot.clock.set)
        assert sorted(m.group_id for m in bot.sender.sent if m.text == "你好") == ["g1", "g2", "g3"]
        pump = [j for j in bot.app.scheduler.jobs() if j.id == JOB_ID]
        assert [j.next_at for j in pump] == [None]  # done: the pump is not armed again


async def test_a_scheduled_broadcast_waits_for_its_time_and_survives_a_restart(
    sqlite_db: str,
) -> None:
    async with running_bot(sqlite_db, sets_config(), at("2026-12-01 09:00")) as bot:
        replies = await bot.say(
            "/群发 camp 定时 2026-12-02 09:00 早安，今天的任务是阅读",
            user="boss",
            group="g4",
            when=at(T0),
        )
        assert "将在 2026-12-02 09:00 发往" in replies[0]
        await bot.app.scheduler.run_due(at("2026-12-02 08:59"), on_fire=bot.clock.set)
        assert "早安，今天的任务是阅读" not in bot.sender.texts()
        status = await bot.say("/群发 状态", user="boss", group="g4", when=at("2026-12-01 12:00"))
        assert "定时在 2026-12-02 09:00 发送" in status[0]
    # a new process (restart): the schedule is in the database, not in memory
    async with running_bot(sqlite_db, sets_config(), at("2026-12-01 20:00")) as bot:
        await bot.app.scheduler.run_due(at("2026-12-02 09:10"), on_fire=bot.clock.set)
        sent = [m for m in bot.sender.sent if m.text == "早安，今天的任务是阅读"]
        assert sorted(m.group_id for m in sent) == ["g1", "g2", "g3"]
        assert all(m.at is not None and m.at >= at("2026-12-02 09:00") for m in sent)
        report = [m for m in bot.sender.sent if "已完成" in m.text]
        assert len(report) == 1 and report[0].group_id == "g4"
        assert report[0].mentions == ("boss",)


async def test_a_paused_group_is_skipped_and_reported(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, sets_config(), at("2026-12-01 09:00")) as bot:
        await bot.app.set_paused("g2", True, "boss")
        await bot.say("/群发 camp 周末愉快", user="boss", group="g1", when=at(T0))
        await bot.app.scheduler.run_due(at(T0) + timedelta(minutes=2), on_fire=bot.clock.set)
        assert sorted(m.group_id for m in bot.sender.sent if m.text == "周末愉快") == ["g1", "g3"]
        report = [m.text for m in bot.sender.sent if "已完成" in m.text]
        assert "成功 2 个，失败 1 个" in report[0] and "二群：该群已暂停" in report[0]


async def test_cancel_skips_the_groups_not_yet_sent(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, sets_config(), at("2026-12-01 09:00")) as bot:
        m = msg("/群发 camp 定时 2026-12-02 09:00 早安", user="boss", group="g4", when=at(T0))
        await bot.push(m)
        bid = broadcast_id_for(f"chat:g4:{m.message_id}")
        refused = await bot.say(f"/群发 取消 {bid}", user="alice", group="g4", when=at(T0))
        assert "只有" in refused[0]
        done = await bot.say(f"/群发 取消 {bid}", user="boss", group="g4", when=at(T0))
        assert done == [f"已取消群发 {bid}：还没发出的 3 个群不再发送。"]
        await bot.app.scheduler.run_due(at("2026-12-02 10:00"), on_fire=bot.clock.set)
        assert "早安" not in bot.sender.texts()
        # a broadcast already going out: the groups not yet reached are skipped
        m2 = msg("/群发 camp 晚安", user="boss", group="g4", when=at("2026-12-02 21:00"))
        await bot.push(m2)
        bid2 = broadcast_id_for(f"chat:g4:{m2.message_id}")
        await bot.app.scheduler.run_due(at("2026-12-02 21:00:01"), on_fire=bot.clock.set)
        cancel = await bot.say(
            f"/群发 取消 {bid2}", user="coach", group="g1", when=at("2026-12-02 21:00:02")
        )
        assert "还没发出的 2 个群" in cancel[0]
        await bot.app.scheduler.run_due(at("2026-12-02 21:10"), on_fire=bot.clock.set)
        assert [m.group_id for m in bot.sender.sent if m.text == "晚安"] == ["g1"]
        report = [
            m.text for m in bot.sender.sent if f"群发 {bid2}" in m.text and "已完成" in m.text
        ]
        assert "成功 1 个，失败 2 个" in report[0] and "二群：群发已取消，未发送" in report[0]
        again = await bot.say(
            f"/群发 取消 {bid2}", user="boss", group="g4", when=at("2026-12-02 21:20")
        )
        assert "没有可以取消的部分" in again[0]
