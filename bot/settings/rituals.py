"""Rituals (scheduled posts), the rotating calendar (today's topic, host of the week) and
highlights (精华)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from bot.schedule_expr import describe_duration
from bot.settings.base import Duration, DurationRange, ScheduleExpr, Strict
from bot.template import Placeholders, placeholders_in

# The placeholders a ritual post may use, e.g. "今日话题：{topic}", with the sample values
# check-config renders every template with.
POST_SAMPLES = {
    "title": "每周分享会",
    "date": "3月5日",
    "weekday": "周三",
    "time": "20:00",
    "topic": "如何坚持每天写作",
    "host": "小明",
    "leaderboard": "1. 小明 120分\n2. 小红 95分",
    "highlights": "1. 写作先求完成再求完美",
    "group": "写作成长营",
}
POST_VARIABLES = frozenset(POST_SAMPLES)
REMINDER_VARIABLES = POST_VARIABLES | {"countdown"}

PostTemplate = Annotated[str, Placeholders(**POST_SAMPLES)]
ReminderTemplate = Annotated[str, Placeholders(**POST_SAMPLES, countdown="1小时后")]


def template_fields(template: str) -> set[str]:
    """The placeholder names used in a template (raises ValueError on a malformed one)."""
    return set(placeholders_in(template))


RitualId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]

DEFAULT_REMINDER = "⏰ 预告：「{title}」将在{countdown}开始（{date} {weekday} {time}）"


class Reminder(Strict):
    """A post `before` an event, e.g. 1d and 1h before the Wednesday sharing session."""

    before: Annotated[Duration, DurationRange("1m", "30d")]
    text: ReminderTemplate = DEFAULT_REMINDER

    @property
    def label(self) -> str:
        return describe_duration(self.before)


class FollowUp(Strict):
    """A post `after` an event: a recap, or "share what you learned"."""

    after: Annotated[Duration, DurationRange("1m", "30d")]
    text: PostTemplate


class DigestOptions(Strict):
    """What a digest ritual (action: digest) covers."""

    period: Literal["day", "week"] = "week"
    # current: the day/week containing the post time; previous: the full one before it.
    of: Literal["current", "previous"] = "current"
    highlights: int = Field(default=10, ge=0, le=50)
    streaks: int = Field(default=3, ge=0, le=20)
    leaderboard: int = Field(default=5, ge=0, le=50)


class Ritual(Strict):
    """One scheduled activity of a group."""

    id: RitualId
    title: str = ""  # shown in lists and reminders; the id when empty
    schedule: ScheduleExpr  # cron (0 20 * * 3) or 每天 07:30 / 每周三 20:00 / 每月1号 09:00
    text: PostTemplate = ""  # the post; a header for quiz and digest rituals
    enabled: bool = True
    action: Literal["post", "quiz", "digest"] = "post"
    digest: DigestOptions = DigestOptions()
    topics: list[str] = []  # this ritual's own rotating topics (else calendar.topics)
    hosts: list[str] = []  # this ritual's own rotating hosts (else calendar.hosts)
    reminders: list[Reminder] = []
    follow_up: FollowUp | None = None
    # A run missed while the bot was down is posted late within this time, else skipped.
    grace: Annotated[Duration, DurationRange("0s", "7d")] = timedelta(minutes=30)

    @property
    def name(self) -> str:
        return self.title or self.id

    @model_validator(mode="after")
    def _check(self) -> Ritual:
        if self.action == "post" and not self.text.strip():
            raise ValueError("a ritual with action 'post' needs a text")
        befores = [r.before for r in self.reminders]
        if len(set(befores)) != len(befores):
            raise ValueError("two reminders with the same 'before'")
        return self


def _unique_ids(rituals: list[Ritual]) -> list[Ritual]:
    seen: set[str] = set()
    for ritual in rituals:
        if ritual.id in seen:
            raise ValueError(f"ritual id {ritual.id!r} is used twice")
        seen.add(ritual.id)
    return rituals


RitualList = Annotated[list[Ritual], AfterValidator(_unique_ids)]


class CalendarSettings(Strict):
    """Rotating lists: today's topic (one per day) and the host of the week (one per week)."""

    topics: list[str] = []
    hosts: list[str] = []
    # The day topics[0] is today's topic and the week hosts[0] hosts; any day works.
    start: date = date(2026, 1, 5)  # a Monday


class HighlightSettings(Strict):
    """精华: saved by admins, proposed by members with the tag."""

    enabled: bool = True
    tag: str = Field(default="#精华", pattern=r"^#\S+$")  # e.g. #精华, #干货
    member_proposals: bool = True
    list_size: int = Field(default=10, ge=1, le=50)
    in_posts: int = Field(default=3, ge=1, le=20)  # how many {highlights} shows
