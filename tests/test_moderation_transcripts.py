"""Replay transcripts for the feature's end-to-end scenarios, through the real bot."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.config import parse_config
from bot.events import OutgoingMessage
from bot.replay import run_replay
from storage.db import create_engine, session_factory
from storage.models import Violation

HERE = Path(__file__).parent / "transcripts"
CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  theme:
    name: 写作成长营
    description: 以日更写作、作品互评和投稿变现为主题的写作社群
    keywords: [写作, 日更, 文章, 稿子, 投稿, 选题, 标题, 大纲, 互评, 点评, 素材, 灵感]
    examples: [今天写了什么？发来大家互评一下]
  nudge:
    cooldown_minutes: 60
    hooks: [theme]
    spam:
      whitelist_domains: [mp.weixin.qq.com]
  quiet_hours: ["23:00-07:00"]
groups:
  writers:
    name: 写作群
    admins: [coach]
"""


async def replay(name: str, tmp_path: Path) -> tuple[list[OutgoingMessage], str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    text = (HERE / name).read_text(encoding="utf-8")
    return await run_replay(text, parse_config(CONFIG), url), url


def posted(sent: list[OutgoingMessage]) -> list[tuple[str, str]]:
    return [(f"{m.at:%H:%M:%S}" if m.at else "", m.text) for m in sent]


async def test_drift_transcript(tmp_path: Path) -> None:
    sent, _ = await replay("nudge_drift.txt", tmp_path)
    # one nudge, when the fourth off-topic message of the drift arrives; none for the
    # on-topic discussion with chit-chat, none within the cooldown, none for the admins'
    # chatter, none in quiet hours
    assert posted(sent) == [
        (
            "11:02:00",
            "大家聊得好热闹😄 小助手悄悄把话题往「写作成长营」拉一拉～\n"
            "比如聊聊：今天写了什么？发来大家互评一下",
        )
    ]
    assert sent[0].mentions == ()


async def test_spam_transcript(tmp_path: Path) -> None:
    sent, url = await replay("spam_ladder.txt", tmp_path)
    said = posted(sent)
    assert [at for at, _ in said] == [
        "09:00:00",
        "09:30:00",
        "10:00:00",
        "10:20:00",
        "10:31:00",
        "10:40:00",
    ]
    assert said[0][1].startswith("温馨提示：本群不欢迎广告和引流信息")
    assert sent[0].mentions == ("spammer",)
    assert said[1][1].startswith("⚠️ 第 2 次发现该成员发布疑似广告")
    assert sent[1].mentions == ("spammer", "admin", "coach")
    assert said[2][1].splitlines()[:2] == [
        "🚫 该成员已第 3 次发布广告，请管理员将其移出本群。",
        "证据：",
    ]
    assert len(said[2][1].splitlines()) == 5  # three pieces of evidence
    assert said[3][1] == "已加入白名单，其消息不再按广告处理。"  # the coach's own ad: exempt
    assert said[4][1].startswith("温馨提示") and sent[4].mentions == (
        "dave",
    )  # t.cn, not mp.weixin
    assert said[5][1].startswith("📋 spammer 的违规记录：共 3 次")
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = (await session.execute(select(Violation).order_by(Violation.id))).scalars()
            assert [(v.member_id, v.action) for v in rows] == [
                ("spammer", "warn"),
                ("spammer", "notify_admins"),
                ("spammer", "ask_remove"),
                ("frank", "note"),
                ("dave", "warn"),
            ]
    finally:
        await engine.dispose()
