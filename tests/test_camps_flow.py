"""Check-in camps through the real router: joining, camp days from check-ins and make-up
cards, windows (also past midnight), reviews with points, peer review, /我的."""

from __future__ import annotations

from sqlalchemy import select

from handlers.camp_reviews import pair_up
from handlers.camps import rank_standings
from storage.models import CampPair, Highlight
from storage.repos.camps import CampStanding
from tests.camps_support import (
    CAMP_CONFIG,
    camp_config,
    camp_days,
    ledger_lines,
    reviews,
    say,
)
from tests.support import at, msg, running_bot

START = at("2026-11-15 10:00")


async def test_joining_lists_the_open_camps_and_joins_by_id_or_title(db_url: str) -> None:
    two = (
        CAMP_CONFIG
        + """      - id: night
        title: 夜读营
        start: 2026-11-20
        days: 3
"""
    )
    async with running_bot(db_url, camp_config(two), START) as bot:
        (listed,) = await say(bot, "/报名", "alice", "2026-11-15 10:00")
        assert listed == (
            "可以报名的打卡营：\n"
            "• early「早起营」 11月16日—11月22日，共 7 天，打卡时间 05:00-08:00\n"
            "• night「夜读营」 11月20日—11月22日，共 3 天\n"
            "发送「/报名 营ID」加入，例如：/报名 early"
        )
        (joined,) = await say(bot, "/报名 早起营", "alice", "2026-11-15 10:01")
        assert joined == (
            "🎉 报名成功，欢迎加入「早起营」！\n"
            "📅 11月16日—11月22日，共 7 天，完成 5 天即可结营\n"
            "⏰ 每天 05:00-08:00 发送「打卡 + 今天的作业」计入营内\n"
            "🩹 漏了可以「补卡 日期」，本营每人可补 1 次"
        )
        assert await say(bot, "/报名 EARLY", "alice", "2026-11-15 10:02") == [
            "你已经在「早起营」里啦，已完成 0/7 天。"
        ]
        (unknown,) = await say(bot, "/报名 跑步营", "alice", "2026-11-15 10:03")
        assert unknown.startswith("没有找到打卡营「跑步营」。本群的打卡营：early「早起营」、night")
        assert unknown.endswith("用法：/报名 营ID（或营名）")
        (late,) = await say(bot, "/报名 night", "bob", "2026-11-21 10:00")
        assert late.endswith("今天是第 2 天，从今天开始计入。")
        assert await say(bot, "/报名 early", "carol", "2026-11-23 08:00") == [
            "「早起营」已经结束了，期待下一期～"
        ]


async def test_a_checkin_counts_for_the_camp_only_inside_its_window(db_url: str) -> None:
    async with running_bot(db_url, camp_config(), START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        await say(bot, "/报名 early", "bob", "2026-11-15 10:01")
        (counted,) = await say(bot, "打卡 读了二十页", "alice", "2026-11-16 06:00")
        assert counted == (
            "✅ 打卡成功！连续打卡 1 天\n"
            "本次 +10 分，总积分 10，等级：新手写手\n"
            "🏕 「早起营」第 1 天完成（1/7 天）"
        )
        (outside,) = await say(bot, "打卡", "bob", "2026-11-16 09:00")
        assert outside == (
            "✅ 打卡成功！连续打卡 1 天\n"
            "本次 +10 分，总积分 10，等级：新手写手\n"
            "🏕 「早起营」的打卡时间是 05:00-08:00，这次不计入营内天数"
        )
        # not in the camp: the check-in reply is exactly the usual one
        (outsider,) = await say(bot, "打卡", "carol", "2026-11-16 06:10")
        assert outsider == "✅ 打卡成功！连续打卡 1 天\n本次 +10 分，总积分 10，等级：新手写手"
        # before the window opens on day 2, then again inside it: the repeat counts
        (early,) = await say(bot, "打卡 早", "bob", "2026-11-17 04:50")
        assert early.endswith("这次不计入营内天数")
        (again,) = await say(bot, "打卡 写完了", "bob", "2026-11-17 05:10")
        assert again == (
            "今天已经打过卡啦（连续打卡 2 天），明天继续加油～\n🏕 「早起营」第 2 天完成（1/7 天）"
        )
        (third,) = await say(bot, "打卡", "bob", "2026-11-17 05:20")
        assert third.endswith("🏕 「早起营」今天已经计入了（1/7 天）")
        assert await camp_days(bot) == {"alice": [1], "bob": [2]}


async def test_a_checkin_before_joining_counts_when_sent_again_after(db_url: str) -> None:
    async with running_bot(db_url, camp_config(), START) as bot:
        (before,) = await say(bot, "打卡", "alice", "2026-11-18 05:30")
        assert "🏕" not in before
        (joined,) = await say(bot, "/报名", "alice", "2026-11-18 05:40")
        assert joined.endswith("今天是第 3 天，从今天开始计入。")
        (again,) = await say(bot, "打卡", "alice", "2026-11-18 05:50")
        assert again.endswith("🏕 「早起营」第 3 天完成（1/7 天）")
        assert await camp_days(bot) == {"alice": [3]}


WRAPPING = """
timezone: Asia/Shanghai
admins: [admin]
groups:
  g1:
    name: 测试群
    camps:
      - id: sleep
        title: 早睡营
        start: 2026-11-16
        days: 3
        window: "23:00-01:00"
        remind_at: "00:30"
        close_at: "09:00"
"""


async def test_a_window_past_midnight_belongs_to_the_day_it_opens(db_url: str) -> None:
    async with running_bot(db_url, camp_config(WRAPPING), START) as bot:
        await say(bot, "/报名 sleep", "alice", "2026-11-15 10:00")
        await say(bot, "/报名 sleep", "bob", "2026-11-15 10:01")
        (first,) = await say(bot, "打卡", "alice", "2026-11-16 23:30")
        assert first.endswith("🏕 「早睡营」第 1 天完成（1/3 天）")
        # 00:10 on the 17th is still the night of the 16th: a new calendar day for the
        # check-in, the same camp day for the camp
        (past_midnight,) = await say(bot, "打卡", "alice", "2026-11-17 00:10")
        assert past_midnight.startswith("✅ 打卡成功！连续打卡 2 天")
        assert past_midnight.endswith("🏕 「早睡营」今天已经计入了（1/3 天）")
        # the reminder of the night of the 16th comes at 00:30 on the 17th, for bob only
        reminder = [m for m in bot.sender.sent if m.text.startswith("⏰")]
        assert reminder == []
        (bob,) = await say(bot, "打卡", "bob", "2026-11-17 00:40")
        reminder = [m for m in bot.sender.sent if m.text.startswith("⏰")]
        assert [(m.text, m.mentions) for m in reminder] == [
            ("⏰ 「早睡营」第 1 天还没打卡的同学看这里～ 记得在 01:00 前打卡哦！", ("bob",))
        ]
        assert bob.endswith("🏕 「早睡营」第 1 天完成（1/3 天）")
        # the night of the 17th: the calendar day 17 already has alice's check-in
        (night,) = await say(bot, "打卡", "alice", "2026-11-17 23:15")
        assert night == (
            "今天已经打过卡啦（连续打卡 2 天），明天继续加油～\n🏕 「早睡营」第 2 天完成（2/3 天）"
        )
        (too_late,) = await say(bot, "打卡", "bob", "2026-11-18 01:05")
        assert too_late.endswith("「早睡营」的打卡时间是 23:00-01:00，这次不计入营内天数")
        assert await camp_days(bot, "sleep") == {"alice": [1, 2], "bob": [1]}


async def test_makeup_cards_follow_the_camps_own_limit(db_url: str) -> None:
    async with running_bot(db_url, camp_config(), START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        for day in ("16", "18", "19"):
            await say(bot, "打卡", "alice", f"2026-11-{day} 06:00")
        (made_up,) = await say(bot, "补卡 11-17", "alice", "2026-11-19 06:05")
        assert made_up.splitlines()[0] == "✅ 补卡成功（11-17）！当前连续打卡 4 天"
        assert made_up.splitlines()[-1] == (
            "🏕 已为「早起营」补上第 2 天（4/7 天，本营还能补卡 0 次）"
        )
        (no_more,) = await say(bot, "补卡 11-20", "alice", "2026-11-21 06:10")
        assert no_more.splitlines()[0] == "✅ 补卡成功（11-20）！当前连续打卡 5 天"
        assert no_more.splitlines()[-1] == (
            "🏕 「早起营」的补卡机会（每人 1 次）已经用完，这天不计入营内"
        )
        # joined on day 6: a make-up card for day 5 does not count for the camp
        await say(bot, "/报名 early", "bob", "2026-11-21 05:00")
        (before,) = await say(bot, "补卡 11-20", "bob", "2026-11-21 05:10")
        assert before.splitlines()[-1] == "🏕 「早起营」第 5 天在你报名之前，不计入营内"
        assert await camp_days(bot) == {"alice": [1, -2, 3, 4]}


async def test_leaving_keeps_the_days_and_joining_again_brings_them_back(db_url: str) -> None:
    async with running_bot(db_url, camp_config(), START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        await say(bot, "打卡", "alice", "2026-11-16 06:00")
        assert await say(bot, "/退营", "alice", "2026-11-16 12:00") == [
            "已退出「早起营」。之前的打卡记录会保留，想回来随时发送「/报名 early」。"
        ]
        assert await say(bot, "/退营", "alice", "2026-11-16 12:01") == ["你还没有报名打卡营。"]
        (left,) = await say(bot, "打卡", "alice", "2026-11-17 06:00")
        assert "🏕" not in left
        assert await say(bot, "/报名 early", "alice", "2026-11-17 12:00") == [
            "欢迎回到「早起营」！之前的 1 天都还在，继续加油～"
        ]
        (roster,) = await say(bot, "/营员", "coach", "2026-11-17 12:01")
        assert roster == "🏕 「早起营」营员 1 人（今天第 2/7 天，结营标准 5 天）：\n1. alice 1 天"
        assert await say(bot, "/营员", "alice", "2026-11-17 12:02") == [
            "抱歉，这个命令只有管理员可以使用。"
        ]


async def test_todays_task_is_shown_on_request(db_url: str) -> None:
    async with running_bot(db_url, camp_config(), START) as bot:
        assert await say(bot, "/今日任务", "alice", "2026-11-15 10:00") == [
            "现在没有进行中的打卡营，「早起营」11月16日开营。"
        ]
        assert await say(bot, "/今日任务", "alice", "2026-11-17 10:00") == [
            "📝 今日任务\n「早起营」第 2 天：写三行晨间日记（打卡时间 05:00-08:00）"
        ]


async def test_teacher_reviews_grant_points_once_even_after_a_restart(db_url: str) -> None:
    config = camp_config()
    async with running_bot(db_url, config, START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        await say(bot, "打卡 今天读了《活着》前两章", "alice", "2026-11-16 06:00")
        (default,) = await say(
            bot, "/点评 @alice 细节很动人", "teacher", "2026-11-16 12:00", mid="r1", to="alice"
        )
        assert (
            default == "📝 你在「早起营」第 1 天的作业收到了 teacher 的点评，+5 分（当前积分 15）"
        )
        (admin,) = await say(
            bot, "/点评 @alice 8分 结构清楚", "coach", "2026-11-16 12:05", mid="r2", to="alice"
        )
        assert admin.endswith("+8 分（当前积分 23）")
        assert await say(bot, "/点评 @alice 好", "bob", "2026-11-16 12:06", to="alice") == [
            "抱歉，只有管理员和本营的点评老师可以点评作业。"
        ]
        (too_many,) = await say(
            bot, "/点评 @alice 12分 太好了", "coach", "2026-11-16 12:07", to="alice"
        )
        assert too_many == "「早起营」每次点评最多 10 分。"
        (empty,) = await say(bot, "/点评 @alice", "coach", "2026-11-16 12:08", to="alice")
        assert empty == "请写上点评内容。\n用法：/点评 @营员 [N分] 点评内容"
        (nothing,) = await say(bot, "/点评 @bob 不错", "coach", "2026-11-16 12:09", to="bob")
        assert nothing == "bob 还没有交过营内作业。"
        (ledger,) = await say(bot, "/账本 @alice", "coach", "2026-11-16 12:10", to="alice")
        assert ledger.splitlines()[1:3] == [
            "11-16 12:05 +8 作业点评：「早起营」第 1 天（coach 发放）",
            "11-16 12:00 +5 作业点评：「早起营」第 1 天（teacher 发放）",
        ]
    # the same command message delivered again after a restart: no second review or points
    async with running_bot(db_url, config, at("2026-11-16 12:30")) as again:
        assert (
            await say(
                again,
                "/点评 @alice 8分 结构清楚",
                "coach",
                "2026-11-16 12:05",
                mid="r2",
                to="alice",
            )
            == []
        )
        assert await reviews(again) == [
            ("teacher", "alice", "teacher", 1, 5),
            ("coach", "alice", "teacher", 1, 8),
        ]
        assert await ledger_lines(again) == [
            ("alice", 5, "camp_review", "camp-review:g1:r1"),
            ("alice", 8, "camp_review", "camp-review:g1:r2"),
        ]


async def test_excellent_work_is_kept_as_a_highlight_and_paid_once(db_url: str) -> None:
    async with running_bot(db_url, camp_config(), START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        await say(bot, "打卡 晨读：好文章都是改出来的", "alice", "2026-11-16 06:00")
        (marked,) = await say(bot, "/优秀 @alice", "teacher", "2026-11-16 12:00", to="alice")
        assert marked == "🌟 「早起营」第 1 天的作业被评为优秀作业，已收录为精华 #1，+3 分！"
        assert await say(bot, "/优秀 @alice", "coach", "2026-11-16 12:01", to="alice") == [
            "alice 的「早起营」第 1 天的作业已经是优秀作业啦。"
        ]
        async with bot.app.uow() as uow:
            kept = (await uow.session.execute(select(Highlight))).scalars().all()
        assert [(h.number, h.text, h.author_id, h.saved_by) for h in kept] == [
            (1, "晨读：好文章都是改出来的", "alice", "teacher")
        ]
        assert await ledger_lines(bot) == [
            ("alice", 3, "camp_excellent", "camp-excellent:g1:early:alice:2026-11-16")
        ]


def test_peer_pairs_are_a_cycle_where_nobody_reviews_themselves() -> None:
    members = [f"m{i}" for i in range(9)]
    for seed in ("a", "b", "c", "d"):
        pairs = pair_up(members, seed)
        assert sorted(a for a, _ in pairs) == members
        assert sorted(b for _, b in pairs) == members
        assert all(a != b for a, b in pairs)
        assert pair_up(list(reversed(members)), seed) == pairs  # the seed decides, not order
    assert pair_up(members, "a") != pair_up(members, "b")


async def test_peer_review_pairs_the_days_submitters_once_and_pays_partners(db_url: str) -> None:
    async with running_bot(db_url, camp_config(), START) as bot:
        for user in ("alice", "bob", "carol", "dave"):
            await say(bot, "/报名 early", user, "2026-11-15 10:00")
        for user in ("alice", "bob", "carol"):
            await say(bot, f"打卡 {user}的晨间日记", user, "2026-11-16 06:00")
        assert await say(bot, "/互评", "alice", "2026-11-16 07:00") == ["今天还没有开始互评。"]
        assert await say(bot, "/互评 开始", "alice", "2026-11-16 07:01") == [
            "抱歉，只有管理员可以开始互评。"
        ]
        (announced,) = await say(bot, "/互评 开始 early", "coach", "2026-11-16 07:02", mid="p1")
        pairs = pair_up(["alice", "bob", "carol"], "g1:early:2026-11-16:p1")
        assert announced == "\n".join(
            [
                "🤝 「早起营」第 1 天互评开始！今天交作业的 3 位同学结对互评：",
                *(f"{a} → {b}" for a, b in pairs),
                "箭头后面是你要点评的同学，发送「#点评 @同学 你的点评」即可，完成可得 2 分。",
            ]
        )
        assert bot.sender.sent[-1].mentions == tuple(a for a, _ in pairs)
        (again,) = await say(bot, "/互评 开始", "coach", "2026-11-16 07:03")
        assert again == "「早起营」第 1 天的互评已经配好对了（3 位同学），发送 /互评 查看。"
        reviewer, partner = pairs[0]
        other = next(m for m in ("alice", "bob", "carol") if m not in (reviewer, partner))
        (paid,) = await say(
            bot, f"#点评 @{partner} 写得很真诚", reviewer, "2026-11-16 07:10", to=partner
        )
        assert paid == f"👍 互评已记录：你点评了 {partner} 的「早起营」第 1 天的作业，+2 分"
        (twice,) = await say(
            bot, f"#点评 @{partner} 补充一句", reviewer, "2026-11-16 07:11", to=partner
        )
        assert twice == f"👍 互评已记录：你点评了 {partner} 的「早起营」第 1 天的作业"
        (not_partner,) = await say(
            bot, f"#点评 @{other} 也不错", reviewer, "2026-11-16 07:12", to=other
        )
        assert not_partner == f"👍 互评已记录：你点评了 {other} 的「早起营」第 1 天的作业"
        assert await say(bot, "#点评 写得好", "bob", "2026-11-16 07:13") == [
            "用法：#点评 @同学 你的点评"
        ]
        assert await say(bot, "#点评 @alice 好", "erin", "2026-11-16 07:14", to="alice") == [
            "报名打卡营之后才能参加互评哦，发送 /报名 看看吧。"
        ]
        (status,) = await say(bot, "/互评", "dave", "2026-11-16 07:20")
        assert status.splitlines()[0] == "🤝 「早起营」第 1 天互评："
        assert f"✅ {reviewer} → {partner}" in status.splitlines()
        assert sum(line.startswith("⏳") for line in status.splitlines()) == 2
        assert await ledger_lines(bot) == [
            (reviewer, 2, "camp_peer", f"camp-peer:g1:early:2026-11-16:{reviewer}")
        ]
        (me,) = await say(bot, "/我的", reviewer, "2026-11-16 07:30")
        assert me.splitlines()[-1] == "📝 作业点评：收到 0 条，给出 3 条"
        (them,) = await say(bot, "/我的", partner, "2026-11-16 07:31")
        assert them.splitlines()[-1] == "📝 作业点评：收到 2 条，给出 0 条"
        async with bot.app.uow() as uow:
            stmt = select(CampPair).order_by(CampPair.id)
            done = (await uow.session.execute(stmt)).scalars().all()
        assert [(p.reviewer_id, p.reviewed_at is not None) for p in done] == [
            (a, a == reviewer) for a, _ in pairs
        ]


async def test_my_profile_has_no_review_line_in_a_group_without_camps(db_url: str) -> None:
    async with running_bot(db_url, None, START) as bot:
        (me,) = await say(bot, "/我的", "alice", "2026-11-16 07:30")
        assert "点评" not in me


def test_ranks_are_shared_by_equal_days_and_points() -> None:
    def standing(member: str, days: int, points: int, minute: int) -> CampStanding:
        return CampStanding(member, at(f"2026-11-15 10:{minute:02d}"), days, 0, points, 0)

    ranked = rank_standings(
        [
            standing("dave", 3, 0, 0),
            standing("carol", 7, 5, 3),
            standing("bob", 7, 5, 2),
            standing("alice", 7, 8, 1),
        ]
    )
    assert [(rank, s.member_id) for rank, s in ranked] == [
        (1, "alice"),
        (2, "bob"),  # joined before carol: listed first, the same rank
        (2, "carol"),
        (4, "dave"),
    ]


async def test_the_messages_own_time_decides_not_when_it_is_delivered(db_url: str) -> None:
    async with running_bot(db_url, camp_config(), START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        await say(bot, "/报名 early", "bob", "2026-11-16 06:00")
        bot.clock.set(at("2026-11-16 09:30"))  # a backlog delivered after the window closed
        (sent_in_time,) = await bot.push(msg("打卡", user="alice", when=at("2026-11-16 07:59")))
        assert sent_in_time.endswith("🏕 「早起营」第 1 天完成（1/7 天）")
        # sent before bob joined (delivered after): a check-in, but not for the camp
        (before_joining,) = await bot.push(msg("打卡", user="bob", when=at("2026-11-16 05:59")))
        assert "🏕" not in before_joining
        assert await camp_days(bot) == {"alice": [1]}
