"""A seeded transcript for the fault harness: several groups and members over several days,
using every feature that changes state or posts: check-ins (with skipped days, so streaks
break), make-up cards, red packets, quizzes with wrong and right answers, notice red packets
with more repliers than places, draws, FAQ questions, joins, commands, chatter, a check-in
camp (joins, reviews, excellent work, peer review), and what spans the set of all groups:
broadcasts (now and at a set time), a shared notice, a live relay with questions and
answers, boards over the set; the config's rituals and the camp's posts run between the
lines and up to the end (`--until`).

The harness config is the repository's config.yaml with the `groups:` section replaced by
the generated groups (rituals only run for listed groups).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_DAY = date(2026, 11, 18)  # a Wednesday: the share ritual, Friday, Saturday quiz, Sunday

CHATTER = [
    "今天的选题我想写家乡的老街，大家觉得从哪个角度切入好？",
    "标题改了三遍还是不满意",
    "哈哈哈哈",
    "早上好呀各位",
    "这篇稿子的开头太平了，可以先抛出一个冲突",
    "谢谢老师！",
    "投稿被拒了，编辑说结构太散",
    "今天卡文了，一个字都写不出来",
    "👍👍👍",
    "有人知道附近哪家火锅好吃吗",
]
QUESTIONS = [
    "打卡规则是什么？",
    "会员费多少钱？",
    "每周的主题分享会是什么时候？",
    "忘记打卡了可以补卡吗？",
]
# (question, right answer, wrong answer); none is an answer of the config's quiz bank
QUIZZES = [("《红楼梦》的作者是谁？", "曹雪芹", "高鹗"), ("三国演义的作者是？", "罗贯中", "施耐庵")]


@dataclass(frozen=True)
class Shape:
    groups: int = 4
    members: int = 8
    days: int = 4
    rounds: bool = True  # notices and quizzes (rounds that later messages may claim)
    sets: bool = True  # what spans the groups: broadcasts, a shared notice, a live relay,
    # boards over the set; and a check-in camp in every group

    @property
    def last_day(self) -> date:
        return FIRST_DAY + timedelta(days=self.days - 1)

    @property
    def until(self) -> str:
        """The replay's --until: the end of the last day (its rituals included)."""
        return f"{self.last_day.isoformat()}T23:59:00"


def group_ids(shape: Shape) -> list[str]:
    return [f"g{n}" for n in range(1, shape.groups + 1)]


def harness_config(shape: Shape) -> str:
    """config.yaml with the generated groups (rituals, rewards, Q&A from its defaults)."""
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    head = text[: text.index("\ngroups:") + 1]
    camp = "" if not shape.sets else CAMP.format(start=FIRST_DAY.isoformat(), days=shape.days)
    groups = "".join(
        f"  {g}:\n    name: 写作群{g}\n    admins: [coach]\n{camp}" for g in group_ids(shape)
    )
    # config.yaml's defaults name the set `writing` (the weekly set picture): keep it, over
    # the generated groups
    return head + "groups:\n" + groups + 'sets:\n  writing: "*"\n' + SPANNING


# Every group runs the same camp over the transcript's days (its task, reminder, reviews,
# excellent work and peer review change state and post); certificates are left out (the
# closing post falls after --until anyway).
CAMP = """    camps:
      - id: sprint
        title: 冲刺营
        start: {start}
        days: {days}
        window: "06:00-23:00"
        task_at: "07:00"
        remind_at: "21:00"
        tasks: [写一个场景, 写一段对话]
        certificate: false
        reviewers: [coach]
        review_points: 5
        excellent_points: 6
        peer_points: 2
"""
SPANNING = """relay:
  merge_window: 5s
  idle_timeout: 10m
broadcast:
  interval: 3s
"""


def make_transcript(shape: Shape, seed: int) -> str:
    rng = random.Random(seed)
    lines: list[tuple[datetime, int, str]] = []  # (time, order, line)
    order = 0

    def say(when: datetime, group: str, user: str, text: str) -> None:
        nonlocal order
        order += 1
        lines.append((when, order, f"{when.isoformat(timespec='seconds')} {group} {user}: {text}"))

    def join(when: datetime, group: str, user: str) -> None:
        nonlocal order
        order += 1
        lines.append((when, order, f"{when.isoformat(timespec='seconds')} {group} +{user}"))

    members = [f"u{n}" for n in range(1, shape.members + 1)]
    skipped: dict[tuple[str, str], list[date]] = {}
    for d in range(shape.days):
        day = FIRST_DAY + timedelta(days=d)

        def at(hour: int, minute: int = 0, second: int = 0, _day: date = day) -> datetime:
            return datetime.combine(_day, time(hour, minute, second))

        for gi, group in enumerate(group_ids(shape)):
            base = gi * 7  # groups interleave, a few seconds apart
            for i, user in enumerate(members):
                if rng.random() < 0.8:
                    text = rng.choice(["打卡", "签到", f"打卡 {rng.randrange(300, 3000)}字"])
                    say(at(7, 40 + i, base), group, user, text)
                else:
                    skipped.setdefault((group, user), []).append(day)
            for i in range(rng.randrange(6, 12)):
                say(at(9, i * 4, base), group, rng.choice(members), rng.choice(CHATTER))
            say(at(10, 30, base), group, rng.choice(members), rng.choice(QUESTIONS))
            for user in members:
                missed = [m for m in skipped.get((group, user), []) if m < day]
                if missed and rng.random() < 0.5:
                    say(at(11, 5, base), group, user, f"补卡 {missed[-1]:%m-%d}")
                    skipped[(group, user)].remove(missed[-1])
                    break
            lucky = rng.choice(members)
            say(at(12, 0, base), group, "coach", f"/红包 @{lucky} {rng.randrange(5, 30)} 认真互评")
            repliers = rng.sample(members, min(5, len(members)))
            question, right, wrong = QUIZZES[(d + gi) % len(QUIZZES)]
            answerers = [rng.choice(members) for _ in range(3)]
            if shape.rounds:
                say(
                    at(14, 0, base), group, "coach", "/通知 今晚八点线上分享会 前3名 5分 限时30分钟"
                )
                for i, user in enumerate(repliers):
                    say(at(14, 1 + i, base), group, user, "收到")
                say(at(16, 0, base), group, "coach", f"/抢答 {question} | {right} 20分 限时5分钟")
                say(at(16, 1, base), group, answerers[0], wrong)
                say(at(16, 2, base), group, answerers[1], right)
                say(at(16, 3, base), group, answerers[2], right)
            if rng.random() < 0.5:
                join(at(18, 0, base), group, f"new{d}{gi}")
            say(at(20, 30, base), group, rng.choice(members), rng.choice(["/我的", "/排行"]))
            say(at(21, 30, base), group, "coach", "/抽奖 2名 10分")
            if shape.sets:
                camp_day(shape, rng, d, group, members, at, say)
        if shape.sets:
            spanning_day(shape, rng, d, members, at, say)
    lines.sort()
    return "\n".join(line for _, _, line in lines) + "\n"


Say = Callable[[datetime, str, str, str], None]
At = Callable[..., datetime]


def camp_day(
    shape: Shape, rng: random.Random, d: int, group: str, members: list[str], at: At, say: Say
) -> None:
    """A camp day in one group: joins on the first day (before the check-ins), then the
    coach's review and excellent mark, peer pairs and members' peer reviews."""
    if d == 0:
        for i, user in enumerate(members):
            if rng.random() < 0.75:
                say(at(7, 30, i), group, user, rng.choice(["/报名 sprint", "/报名 冲刺营"]))
    reviewed = rng.choice(members)
    say(
        at(19, 0),
        group,
        "coach",
        f"/点评 @{reviewed} {rng.choice(['', '8分 '])}结构清楚，细节再多一点",
    )
    say(at(19, 1), group, "coach", f"/优秀 @{rng.choice(members)}")
    say(at(19, 2), group, "coach", "/互评 开始 sprint")
    for user in rng.sample(members, min(3, len(members))):
        other = rng.choice([m for m in members if m != user])
        say(at(19, 5, members.index(user)), group, user, f"#点评 @{other} 开头很抓人")
    say(at(19, 10), group, rng.choice(members), "/互评")


def spanning_day(
    shape: Shape, rng: random.Random, d: int, members: list[str], at: At, say: Say
) -> None:
    """What spans the set `writing` (every group), from the first group: a broadcast now and
    one at a set time, a shared notice with replies in every group, a live relay with
    questions from the other groups and answers, boards over the set."""
    groups = group_ids(shape)
    source = groups[0]
    say(at(13, 0), source, "coach", f"/群发 writing 第{d + 1}天：今晚八点线上分享会，记得参加")
    say(at(13, 1), source, "coach", "/群发 writing 定时 15:30 下午茶时间，起来活动一下")
    say(at(13, 2), source, "coach", "/群发 状态")
    if shape.rounds and d % 2 == 1:
        say(at(13, 10), source, "coach", "/通知 writing 明早交稿 前3名 5分 限时20分钟")
        for n in range(6):
            say(at(13, 11 + n), rng.choice(groups), rng.choice(members), "收到")
    if d % 2 == 0:
        say(at(19, 30), source, "coach", "/转播 开始 writing")
        for n in range(12):
            when = at(19, 30) + timedelta(seconds=10 + n * 7)
            say(when, source, "coach", f"今天讲第{n + 1}个技巧：先写冲突")
        for n, group in enumerate(groups[1:3], start=1):
            say(at(19, 31, n * 3), group, rng.choice(members), f"#提问 第{n}个问题：怎么开头？")
        say(at(19, 32), source, "coach", "#回答 1 先写一个画面")
        say(at(19, 33), source, "coach", "/转播 结束")
    say(at(20, 40), groups[-1], "coach", rng.choice(["/排行 writing", "/统计 writing"]))
