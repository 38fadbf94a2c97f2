"""Welcome, rules (群规) and the first-week newcomer guide (新成员引导)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bot.settings.base import Strict
from bot.template import Placeholders

# {group}: the group's name; {days}: welcome.newcomer.after_days.
WelcomeTemplate = Annotated[str, Placeholders(group="写作成长营")]
GuideTemplate = Annotated[str, Placeholders(group="写作成长营", days="3")]
WELCOME_VARIABLES = frozenset({"group"})
GUIDE_VARIABLES = frozenset({"group", "days"})

DEFAULT_RULES = [
    "友善交流，尊重每一位成员",
    "不发广告、不刷屏，不发与本群主题无关的链接",
    "每日打卡请发送「打卡」，可以附上字数，如「打卡 1200字」",
    "有问题直接在群里提问，管理员和小助手都会帮忙",
]

DEFAULT_GUIDE = (
    "来群里 {days} 天啦，还没来得及打个招呼？送你一份新人指南 👋\n"
    "1. 发送「打卡」完成每日打卡，连续打卡有额外积分\n"
    "2. 发送 /群规 查看群规，发送 /帮助 查看全部命令\n"
    "3. 有问题直接在群里问，大家都很乐意帮忙～"
)


class NewcomerGuideSettings(Strict):
    """One friendly mention for a newcomer who has not spoken or checked in yet."""

    enabled: bool = True
    # Sent this many days after joining (never during quiet hours: postponed to their end).
    after_days: int = Field(default=3, ge=1, le=6)
    text: GuideTemplate = DEFAULT_GUIDE


class WelcomeSettings(Strict):
    enabled: bool = True
    # Sent with an @-mention of every member who joined within `batch_seconds`.
    text: WelcomeTemplate = "欢迎新朋友加入「{group}」！🎉 先看看群规，有问题随时在群里问～"
    rules: list[str] = DEFAULT_RULES
    show_rules: bool = True  # append the rules to the welcome
    batch_seconds: int = Field(default=60, ge=0, le=3600)
    newcomer: NewcomerGuideSettings = NewcomerGuideSettings()
