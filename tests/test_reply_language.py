"""Every reply members and admins see is natural Simplified Chinese: no English words and no
Python reprs. Drives every command family through the real router (members and admins,
valid and malformed input) and replays every transcript in tests/transcripts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import AppConfig, load_config, parse_config
from bot.events import OutgoingMessage
from bot.replay import parse_transcript, run_replay
from tests import (
    test_camps_replay,
    test_moderation_transcripts,
    test_qa_units,
    test_replay,
    test_rituals_replay,
    test_set_boards_replay,
)
from tests.broadcast_support import sets_config
from tests.faults.transcript import Shape, harness_config, make_transcript
from tests.fuzz_support import MENTIONS, LoopBot, bundled_config
from tests.health_support import health_config
from tests.relay_support import relay_config
from tests.support import at
from tests.test_command_properties import fill, full_usage, usage_forms
from tests.test_ledger_totals import REWARDS_CONFIG

HERE = Path(__file__).parent / "transcripts"

# Words a reply may carry although they are ASCII: units and the formats members type.
ALLOWED = frozenset({"km", "kcal", "kg", "cm", "mm", "min", "emoji"})
# English command words that are never fine in a reply, even when the member typed them
# (a reply echoing `/faq add` is English however it came about).
_NEVER_WORDS = """
    draw reward quiz notice set broadcast relay ok none true false help reload pause resume
    nudge faq run skip add del alias todo answer on off whitelist violations rank stats
    lurkers rules highlight highlights join leave task review excellent peer ledger ritual
    rituals points campers remove delete search confirm
"""
NEVER = frozenset(_NEVER_WORDS.split())
_URL = re.compile(r"(?:https?|wss?)://\S+")
_WORD = re.compile(r"[A-Za-z]+")
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_REPR = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\[\]|\{\}|datetime\(|\bdate\(|<[a-z_.]+ object")


def problems(text: str, typed: Iterable[str], ids: Iterable[str] = ()) -> list[str]:
    """The English words and reprs in a reply; `typed` are words the users typed (names,
    set names, quoted content), which a reply may echo; `ids` are what the operator named
    things in the config (a ritual called `quiz`), which a reply may always show."""
    found = [m.group(0) for m in _REPR.finditer(text)]
    allowed = ({w.lower() for w in typed} - NEVER) | {w.lower() for w in ids}
    for token in _TOKEN.findall(_REPR.sub(" ", _URL.sub(" ", text))):
        if any(c.isdigit() for c in token):
            continue  # an id or a number with its unit (`fdf87e58`, `3km`, `2026-W47`)
        word = token
        if word in ("None", "True", "False"):
            continue  # reported as a repr above
        low = word.lower()
        if low in allowed:
            continue
        never = low in NEVER and (len(low) >= 3 or low == "ok")
        if never or (len(word) >= 3 and low not in ALLOWED):
            found.append(word)
    return found


def typed_words(*texts: str) -> set[str]:
    return {w for text in texts for w in _WORD.findall(text)}


def config_words(config: AppConfig) -> set[str]:
    """Ids and names from the config: group ids, set names, admin ids, group names."""
    words = set(config.groups) | set(config.sets) | set(config.root.admins)
    for settings in config.groups.values():
        words |= {settings.name, *settings.admins, settings.timezone}
        words |= {r.id for r in settings.rituals} | {c.id for c in settings.features.camps}
        words |= {f.id for f in settings.features.qa.faq if f.id}
    words |= {f.id for items in config.faq_files.values() for f in items if f.id}
    return typed_words(*words)


def check(replies: Iterable[tuple[str, str]], typed: set[str], ids: Iterable[str] = ()) -> None:
    bad: list[tuple[str, str, list[str]]] = []
    for said, reply in replies:
        if (found := problems(reply, typed, ids)) and reply not in {b[1] for b in bad}:
            bad.append((said, reply, found))
    assert not bad, "\n\n".join(f"{said!r} ->\n{reply}\n  {p}" for said, reply, p in bad[:40])


# --- the checker itself --------------------------------------------------------------------


def test_the_checker_finds_english_words_and_reprs() -> None:
    assert problems("用法：/draw N名", ()) == ["draw"]
    assert problems("已发出 ok", ()) == ["ok"]
    assert problems("结果：None", ()) == ["None"]
    assert problems("名单：[]", ()) == ["[]"]
    assert problems("时间 datetime(2026, 1, 1)", ()) == ["datetime("]
    assert problems("集合 camp 不存在", ()) == ["camp"]
    assert problems("集合 camp 不存在", {"camp"}) == []
    assert problems("• quiz「周六抢答」", (), {"quiz"}) == []  # a ritual the operator named
    assert problems("用法：/nudge 开", {"nudge"}) == ["nudge"]  # typed, still English
    assert problems("今天跑了 5 km，详见 https://example.com/guide", ()) == []
    assert problems("营ID 与 MM-DD", ()) == []
    assert problems("群发 fdf87e58 已创建", ()) == []  # an id the admin types back


# --- every command, every usage form, as a member and as an admin --------------------------

GROUP = "writers"  # a group of the bundled config.yaml: every feature on
SET, CAMP = "writing", "write21"  # a set and a camp of the bundled config.yaml
ARGUMENTS = ["", "乱写一通", "abc", "-1", "99999999999", "@bob", "３", "0"]


@pytest.fixture(scope="module")
def loop_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopBot]:
    db = tmp_path_factory.mktemp("language") / "bot.db"
    bot = LoopBot(f"sqlite+aiosqlite:///{db}", bundled_config())
    try:
        bot.say("大家好，我是新来的", user="bob", group=GROUP)
        bot.say("打卡 1200字", user="bob", group=GROUP)
        yield bot
    finally:
        bot.close()


def command_texts(bot: LoopBot) -> list[str]:
    texts: list[str] = []
    for info in bot.app.commands():
        usage = full_usage(info)
        for name in info.names:
            texts.extend(f"{name} {arg}".strip() for arg in ARGUMENTS)
        for form in usage_forms(info.names[:1], usage):
            texts.append(fill(form, "3", "@bob", "写作"))
            texts.append(fill(form, "abc", MENTIONS[0], "写作"))
            # the bundled config's own set and camp: the forms that do something
            real = form.replace("集合名", SET).replace("营ID", CAMP).replace("营名", CAMP)
            texts.append(fill(real, "2", "@bob", "今晚八点分享会"))
    return sorted(set(texts))


@pytest.mark.parametrize("user", ["bob", "admin"])
def test_every_command_answers_in_chinese(loop_bot: LoopBot, user: str) -> None:
    config = loop_bot.app.config
    replies: list[tuple[str, str]] = []
    typed = {"bob", "admin", "alice"}
    for text in command_texts(loop_bot):
        typed |= typed_words(text.partition(" ")[2])  # the arguments, not the command name
        replies.extend((text, reply) for reply in loop_bot.say(text, user=user, group=GROUP))
    assert len(replies) > 100
    check(replies, typed, config_words(config))


def test_help_is_chinese_for_members_and_admins(loop_bot: LoopBot) -> None:
    for user in ("bob", "admin"):
        for text in ("/help", "/帮助"):
            check([(text, r) for r in loop_bot.say(text, user=user, group=GROUP)], {"bob", "admin"})


# --- every transcript ----------------------------------------------------------------------


def _camp(tmp: Path) -> AppConfig:
    return test_camps_replay.config_for(tmp)


def _set_boards(tmp: Path) -> AppConfig:
    return load_config(test_set_boards_replay.config_file(tmp))


def _rituals(tmp: Path) -> AppConfig:
    return parse_config(test_rituals_replay.CONFIG)


TRANSCRIPTS: dict[str, tuple[Callable[[Path], AppConfig], datetime | None]] = {
    "broadcast.txt": (lambda _: sets_config(), at("2026-12-01 11:00")),
    "camp_21_days.txt": (_camp, at("2026-12-07 12:00")),
    "checkins_week.txt": (lambda _: parse_config(test_replay.CONFIG), None),
    "nudge_drift.txt": (lambda _: parse_config(test_moderation_transcripts.CONFIG), None),
    "spam_ladder.txt": (lambda _: parse_config(test_moderation_transcripts.CONFIG), None),
    "qa_learning.txt": (lambda _: parse_config(test_qa_units.QA_REPLAY), None),
    "relay_live.txt": (lambda _: relay_config(), at("2026-11-21 20:10")),
    "retention.txt": (lambda _: health_config(), at("2026-11-21 05:00")),
    "rewards_draw.txt": (lambda _: parse_config(REWARDS_CONFIG), at("2026-11-22 12:00")),
    "rewards_notice.txt": (lambda _: parse_config(REWARDS_CONFIG), at("2026-11-22 12:00")),
    "rewards_quiz.txt": (lambda _: parse_config(REWARDS_CONFIG), at("2026-11-22 12:00")),
    "rewards_red_packets.txt": (lambda _: parse_config(REWARDS_CONFIG), at("2026-11-22 12:00")),
    "rituals_restart.txt": (_rituals, at("2026-11-19 12:00")),
    "rituals_week.txt": (_rituals, at("2026-11-22 23:00")),
    "set_boards_week.txt": (_set_boards, at("2026-11-23 09:00")),
    "stats_week.txt": (lambda _: health_config(), None),
    "welcome_week.txt": (lambda _: health_config(), at("2026-11-30 00:00")),
}


def test_every_transcript_is_listed() -> None:
    assert set(TRANSCRIPTS) == {p.name for p in HERE.glob("*.txt")}


def transcript_words(text: str, config: AppConfig) -> set[str]:
    """What the transcript's people typed and who they are: a reply may echo it."""
    words: set[str] = set()
    for line in parse_transcript(text, config):
        event = line.event
        words |= typed_words(event.group_id, getattr(event, "sender_id", ""))
        words |= typed_words(getattr(event, "member_id", ""), getattr(event, "sender_name", ""))
        body = getattr(event, "text", "")
        words |= typed_words(body.partition(" ")[2] if body.startswith("/") else body)
    return words


def replies_of(sent: list[OutgoingMessage]) -> list[tuple[str, str]]:
    return [(out.at.isoformat() if out.at else "", out.text) for out in sent]


@pytest.mark.parametrize("name", sorted(TRANSCRIPTS))
async def test_every_transcript_replies_in_chinese(name: str, tmp_path: Path) -> None:
    make_config, until = TRANSCRIPTS[name]
    config = make_config(tmp_path)
    text = (HERE / name).read_text(encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    sent = await run_replay(text, config, url, until=until)
    assert sent
    check(replies_of(sent), transcript_words(text, config), config_words(config))


async def test_the_fault_harness_transcript_replies_in_chinese(tmp_path: Path) -> None:
    """Check-ins, make-up cards, red packets, /积分, quizzes, notices and draws."""
    shape = Shape(groups=2, members=4, days=3)
    config = parse_config(harness_config(shape))
    script = make_transcript(shape, 7)
    end = datetime.fromisoformat(shape.until).replace(tzinfo=ZoneInfo(config.timezone))
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    sent = await run_replay(script, config, url, until=end)
    assert sent
    check(replies_of(sent), transcript_words(script, config), config_words(config))
