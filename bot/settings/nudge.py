"""Off-topic nudges (歪楼提醒) and ad control (广告治理)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from bot.settings.base import MAX_COUNT, WEEK_MINUTES, Strict
from bot.template import Placeholders
from bot.text.inbound import config_id

LadderStep = Literal["warn", "notify_admins", "ask_remove"]
HookKind = Literal["ritual", "highlight", "faq", "theme"]


class SpamSettings(Strict):
    """Ads, 引流, 微商 and scams: warned, then escalated along the ladder."""

    enabled: bool = True
    # Points a message needs to be judged spam (a contact handle with an id scores 10, a
    # short link 9, an offer word 3-8; see bot/text/spam.py).
    threshold: int = Field(default=10, ge=1, le=1000)
    # Links to these domains (and their subdomains) are never counted against a message.
    whitelist_domains: list[str] = []
    # Extra words that mark an ad in this group (each counts like a contact handle).
    extra_words: list[str] = []
    # The n-th violation within `ladder_window_days` takes the n-th step (the last repeats).
    ladder: list[LadderStep] = Field(default=["warn", "notify_admins", "ask_remove"], min_length=1)
    ladder_window_days: int = Field(default=30, ge=1, le=3650)
    evidence_items: int = Field(default=3, ge=1, le=10, description="violations quoted to admins")
    # Offer words without hard evidence (no contact handle, phone number, link or QR code)
    # are never warned in public: they are recorded as a note for admins (`/违规`), and
    # posted to this group when set (an admins-only group the bot is in).
    review_group: str | None = None
    # Members with open violations get no red packet, game prize or camp points (the grant
    # policy, handlers/grants.py) and are left out of `groupops payouts`: open = a violation
    # at the ask_remove step, or `open_after` public violations, within `ladder_window_days`.
    # Whitelisting a member clears them.
    exclude_from_rewards: bool = True
    open_after: int = Field(default=2, ge=1, le=MAX_COUNT)

    @field_validator("review_group")
    @classmethod
    def _review_group(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("an empty group id (leave review_group out instead)")
        return config_id(value.strip()) if value is not None else None

    @field_validator("whitelist_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        out = []
        for domain in value:
            clean = domain.strip().lower().removeprefix("https://").removeprefix("http://")
            clean = clean.removeprefix("www.").rstrip("/")
            if not clean or "/" in clean or " " in clean or "." not in clean:
                raise ValueError(f"not a domain: {domain!r} (write e.g. mp.weixin.qq.com)")
            out.append(clean)
        return out


# {text}: the topic, highlight or question a hook offers.
HookTemplate = Annotated[str, Placeholders(text="如何坚持每天写作")]
# {theme}: the theme's name (the group's name when the theme has none).
PhrasingTemplate = Annotated[str, Placeholders(theme="写作")]


class HookTexts(Strict):
    """How a nudge offers something on-theme; {text} is the topic, highlight or question."""

    ritual: HookTemplate = "今天的话题是「{text}」，来聊聊你的看法？"
    highlight: HookTemplate = "最近的精华「{text}」还没看的可以去翻翻～"
    faq: HookTemplate = "群里还有个问题等大家来答：「{text}」"
    theme: HookTemplate = "比如聊聊：{text}"


class NudgeSettings(Strict):
    """Gentle reminders when a conversation drifts off the group's theme."""

    enabled: bool = True
    # The recent window: the last `window_messages` messages within `window_minutes`.
    window_messages: int = Field(default=10, ge=2, le=200)
    window_minutes: float = Field(default=15, gt=0, le=24 * 60)
    # Nudge when at least `min_off` of the window's messages are off-topic, they are at
    # least `off_ratio` of the on+off messages (greetings and emoji do not count), and
    # they come from at least `min_senders` members.
    min_off: int = Field(default=4, ge=1, le=200)
    off_ratio: float = Field(default=0.6, gt=0, le=1)
    min_senders: int = Field(default=2, ge=1, le=200)
    cooldown_minutes: float = Field(default=60, ge=0, le=WEEK_MINUTES)
    # Rotated in turn; {theme} is the theme's name. A hook line (below) follows when one
    # is available.
    phrasings: list[PhrasingTemplate] = Field(
        default=[
            "大家聊得好热闹😄 小助手悄悄把话题往「{theme}」拉一拉～",
            "插个话～ 好一会儿没聊「{theme}」啦。",
            "闲聊也很开心！不过别忘了咱们是「{theme}」哦～",
            "歪楼警报🚨（小声）回到「{theme}」来坐坐？",
        ],
        min_length=1,
    )
    # Where an on-theme hook comes from, in order of preference (rotated per nudge).
    hooks: list[HookKind] = ["ritual", "highlight", "faq", "theme"]
    hook_texts: HookTexts = HookTexts()
    # More words that are off-topic in this group (each counts as a clear off-topic word).
    off_topic_words: list[str] = []
    spam: SpamSettings = SpamSettings()
