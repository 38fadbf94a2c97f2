"""Off-topic nudges (歪楼提醒): steer a drifting conversation back, gently, now and then.

Every message was labelled by the spam route (handlers/spam.py) and put in the group's
recent window. This route runs last: when the message that reached it is off-topic and the
window is mostly off-topic (``nudge.min_off``, ``nudge.off_ratio``, ``nudge.min_senders``
within ``nudge.window_messages`` / ``nudge.window_minutes``), the bot posts one nudge,
then stays silent for ``nudge.cooldown_minutes``. Never during quiet hours, never in reply
to an admin. The phrasing rotates, and the nudge offers something on-theme to talk about:
today's ritual topic, a recent highlight, an open question from the FAQ backlog, or one of
the theme's example messages and keywords.

    /nudge on|off    switch nudges for this group (persisted; overrides config.yaml)
    /nudge           show the settings in force
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.commands import CommandCall, UsageError, command
from bot.context import Context
from bot.events import Message
from bot.quiet import in_quiet_hours
from bot.router import CONTINUE, Flow, Route
from bot.settings.nudge import HookKind
from bot.template import render_template
from handlers.highlights import preview
from handlers.moderation import Drift, ModerationService, log
from storage.repos.moderation import ModerationRepo

HookProvider = Callable[[Context, datetime, int], Awaitable[str | None]]


# --- on-theme hooks -----------------------------------------------------------------------


async def ritual_hook(ctx: Context, now: datetime, turn: int) -> str | None:
    """Today's topic from the group's ritual rotation."""
    from handlers.rituals import today_topic

    return today_topic(ctx.group, now.astimezone(ctx.group.tz).date())


async def highlight_hook(ctx: Context, now: datetime, turn: int) -> str | None:
    """One of the group's recent highlights (精华)."""
    from storage.repos.highlights import HighlightRepo

    async with ctx.uow() as uow:
        rows = await HighlightRepo(uow.session).recent(ctx.group.group_id, 5)
    return preview(rows[turn % len(rows)].text, 40) if rows else None


async def faq_hook(ctx: Context, now: datetime, turn: int) -> str | None:
    """An open question from the Q&A backlog that is about the theme (the backlog also
    holds the drifting conversation's own questions, "这周末去哪里露营？")."""
    from storage.repos.faq import FaqRepo

    async with ctx.uow() as uow:
        items = await FaqRepo(uow.session).open_backlog(ctx.group.group_id, 20)
    classifier = ctx.services.get(ModerationService).classifier(ctx.group)
    questions = []
    for item in items:
        verdict = classifier.classify(item.question)
        if verdict.label == "on" and verdict.theme_score > 0:
            questions.append(item.question)
    return preview(questions[turn % len(questions)], 40) if questions else None


async def theme_hook(ctx: Context, now: datetime, turn: int) -> str | None:
    """One of the theme's example messages, or a few of its keywords."""
    theme = ctx.group.theme
    if theme.examples:
        return theme.examples[turn % len(theme.examples)]
    keywords = theme.keywords
    if not keywords:
        return None
    start = (turn * 3) % len(keywords)
    picked = (keywords[start:] + keywords[:start])[: min(3, len(keywords))]
    return f"{'、'.join(picked)} 方面最近有什么新收获？"


HOOKS: dict[HookKind, HookProvider] = {
    "ritual": ritual_hook,
    "highlight": highlight_hook,
    "faq": faq_hook,
    "theme": theme_hook,
}


async def hook_line(ctx: Context, now: datetime, turn: int) -> str | None:
    """The first hook available, starting from a different kind each nudge."""
    settings = ctx.group.nudge
    kinds = settings.hooks
    if not kinds:
        return None
    start = turn % len(kinds)
    for kind in kinds[start:] + kinds[:start]:
        try:
            text = await HOOKS[kind](ctx, now, turn)
        except Exception:
            log.exception("nudge hook %s failed in %s", kind, ctx.group.group_id)
            continue
        if text:
            template: str = getattr(settings.hook_texts, kind)
            return render_template(template, {"text": text})
    return None


async def nudge_text(ctx: Context, now: datetime, turn: int) -> str:
    settings = ctx.group.nudge
    theme = ctx.group.theme.name or ctx.group.name
    lead = render_template(settings.phrasings[turn % len(settings.phrasings)], {"theme": theme})
    hook = await hook_line(ctx, now, turn)
    return f"{lead}\n{hook}" if hook else lead


# --- the route ------------------------------------------------------------------------------


def _plain(message: Message) -> bool:
    return not message.is_image


async def handle_nudge(message: Message, ctx: Context) -> Flow:
    moderation = ctx.services.find(ModerationService)
    group = ctx.group
    if moderation is None or not moderation.nudge_enabled(group):
        return CONTINUE
    seen = moderation.last_seen(group.group_id)
    if seen is None or seen.message_id != message.message_id or seen.label != "off":
        return CONTINUE  # only an off-topic message can tip the window
    if ctx.is_admin(message.sender_id):
        return CONTINUE
    now = message.time
    drift = moderation.drift(group, now)
    if drift is None:
        return CONTINUE
    if moderation.cooling_down(group, now):
        log.info("%s: drifting (%s) but within the nudge cooldown", group.group_id, _why(drift))
        return CONTINUE
    if in_quiet_hours(group, now):
        log.info("%s: drifting (%s) but in quiet hours", group.group_id, _why(drift))
        return CONTINUE
    turn = moderation.nudge_count.get(group.group_id, 0)
    text = await nudge_text(ctx, now, turn)
    async with ctx.uow() as uow:
        count = await ModerationRepo(uow.session).record_nudge(group.group_id, now)
    moderation.nudged(group.group_id, now, count)
    log.info(
        "%s: nudge #%d after %s (message %s)",
        group.group_id,
        count,
        _why(drift),
        message.message_id,
    )
    await ctx.say(text)
    return CONTINUE


def _why(drift: Drift) -> str:
    return f"{drift.off} off / {drift.on} on from {drift.senders} members"


# --- /nudge ---------------------------------------------------------------------------------

NUDGE_USAGE = "/歪楼提醒 开|关"


async def cmd_nudge(call: CommandCall, ctx: Context) -> None:
    moderation = ctx.services.get(ModerationService)
    group, message = ctx.group, call.message
    words = [w.lower() for w in call.words]
    if not words:
        s = group.nudge
        state = "开启" if moderation.nudge_enabled(group) else "关闭"
        await ctx.reply(
            message,
            f"歪楼提醒：{state}。最近 {s.window_messages} 条（{s.window_minutes:g} 分钟内）消息中"
            f"至少 {s.min_off} 条、{s.off_ratio:.0%} 偏题时提醒一次，"
            f"之后 {s.cooldown_minutes:g} 分钟内不再提醒。",
        )
        return
    if len(words) != 1 or words[0] not in {"on", "off", "开", "关", "开启", "关闭"}:
        raise UsageError()
    enabled = words[0] in {"on", "开", "开启"}
    async with ctx.uow() as uow:
        await ModerationRepo(uow.session).set_nudge_enabled(
            group.group_id, enabled, message.sender_id, message.time
        )
    moderation.nudge_override[group.group_id] = enabled
    log.info("%s: nudges %s by %s", group.group_id, "on" if enabled else "off", message.sender_id)
    await ctx.reply(message, "✅ 已开启歪楼提醒。" if enabled else "✅ 已关闭歪楼提醒。")


COMMANDS: list[Route[Message]] = [
    command(
        "nudge.switch",
        ("/nudge", "/歪楼提醒"),
        cmd_nudge,
        usage=NUDGE_USAGE,
        summary="开启或关闭本群的歪楼提醒",
        admin_only=True,
    ),
]

ROUTES: list[Route[Message]] = [Route("nudge.drift", Message, _plain, handle_nudge)]
