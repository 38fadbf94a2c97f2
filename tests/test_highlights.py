"""Highlights (精华): saved, proposed and confirmed, listed, searched, exported, turned into FAQ."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.events import Message
from handlers.highlights import export_markdown
from storage.models import Highlight
from storage.repos.faq import FaqRepo
from tests.support import at, config_from, running_bot

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "bot.cli", "export", "highlights"]


async def stored(bot, group: str = "g1") -> list[tuple[int, str, str, str, str | None]]:  # type: ignore[no-untyped-def]
    async with bot.app.uow() as uow:
        rows = (
            await uow.session.execute(
                select(Highlight).where(Highlight.group_id == group).order_by(Highlight.number)
            )
        ).scalars()
        return [(h.number, h.text, h.author_id, h.status, h.saved_by) for h in rows]


async def test_admin_saves_members_propose_admin_confirms(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        r = await bot.say("/精华 好标题=具体+反差", user="coach", when=at("2026-11-17 09:00"))
        assert r == ["✅ 已收录精华 #1（coach）"]
        r = await bot.say("开头先抛出冲突 #精华", user="bob", when=at("2026-11-17 10:00"))
        assert r == ["📌 已推荐为精华（编号 2），管理员发送「/精华 确认 2」即可收录。"]
        r = await bot.say("/精华 素材要随手记", user="carol", when=at("2026-11-17 10:05"))
        assert r[0].startswith("📌 已推荐为精华（编号 3）")
        r = await bot.say("/精华 确认 2", user="bob", when=at("2026-11-17 10:10"))
        assert r == ["抱歉，这个操作只有管理员可以使用。"]
        r = await bot.say("/精华 确认", user="admin", when=at("2026-11-17 10:11"))
        assert r[0].startswith("📝 待确认的精华推荐：\n#3 11-17 carol：素材要随手记\n#2 11-17 bob")
        r = await bot.say("/精华 确认 2", user="admin", when=at("2026-11-17 10:12"))
        assert r == ["✅ 已收录精华 #2（bob）"]
        r = await bot.say("/精华 确认 2", user="admin", when=at("2026-11-17 10:13"))
        assert r == ["精华 #2 已经收录过了。"]
        r = await bot.say("/精华 确认 9", user="admin", when=at("2026-11-17 10:14"))
        assert r == ["没有编号为 9 的精华。"]
        r = await bot.say(
            "＃精华 管理员自己带标签直接收录", user="coach", when=at("2026-11-17 11:00")
        )
        assert r == ["✅ 已收录精华 #4（coach）"]
        r = await bot.say("/精华 删除 3", user="coach", when=at("2026-11-17 11:05"))
        assert r == ["🗑 已删除精华 #3。"]
        # A message that merely mentions 精华 without the tag is left to other features.
        r = await bot.say("精华帖在哪里看？", user="dave", when=at("2026-11-17 12:00"))
        assert not any(t.startswith(("📌", "✅")) for t in r)
        assert await stored(bot) == [
            (1, "好标题=具体+反差", "coach", "saved", "coach"),
            (2, "开头先抛出冲突", "bob", "saved", "admin"),
            (4, "管理员自己带标签直接收录", "coach", "saved", "coach"),
        ]


async def test_quoting_a_message_keeps_its_author_and_a_retry_keeps_nothing_twice(
    sqlite_db: str,
) -> None:
    async with running_bot(sqlite_db) as bot:
        await bot.say("打卡", user="bob", when=at("2026-11-17 08:00"))  # bob's name is known
        quote = Message(
            group_id="g1",
            sender_id="coach",
            message_id="q-1",
            text="/精华",
            time=at("2026-11-17 09:00"),
            sender_name="coach",
            quote_text="写作是改出来的",
            quote_sender_id="bob",
        )
        assert await bot.push(quote) == ["✅ 已收录精华 #1（bob）"]
        assert await bot.push(quote) == []  # the same delivery again
    async with running_bot(sqlite_db, config_from(), at("2026-11-17 09:01")) as again:
        # After a restart the in-memory de-duplication is empty: the database still is not.
        assert await again.push(quote) == ["这条已经是精华 #1 啦。"]
        assert await stored(again) == [(1, "写作是改出来的", "bob", "saved", "coach")]


async def test_list_and_search(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        r = await bot.say("/精华", user="alice", when=at("2026-11-16 08:00"))
        assert r == ["本群还没有精华。好内容可以用「#精华」推荐哦～"]
        texts = [
            "标题要短而有力",
            "Outline first, then draft",
            "100% 完成比完美重要",
            "标题党不可取",
        ]
        for i, text in enumerate(texts):
            await bot.say(f"/精华 {text}", user="coach", when=at(f"2026-11-1{6 + i} 09:00"))
        r = await bot.say("/精华", user="alice", when=at("2026-11-20 10:00"))
        assert r == [
            "📚 本群精华（最近 4 条）：\n"
            "#4 11-19 coach：标题党不可取\n"
            "#3 11-18 coach：100% 完成比完美重要\n"
            "#2 11-17 coach：Outline first, then draft\n"
            "#1 11-16 coach：标题要短而有力\n"
            "发送「/精华 搜索 关键词」查找更多"
        ]
        r = await bot.say("/精华 搜索 标题", user="alice", when=at("2026-11-20 10:01"))
        assert r == ["🔎 包含「标题」的精华（2 条）：\n#4 11-19 coach：标题党不可取\n#1 11-16 coach：标题要短而有力"]  # fmt: skip
        r = await bot.say("/精华 搜索 OUTLINE", user="alice", when=at("2026-11-20 10:02"))
        assert r[0].endswith("#2 11-17 coach：Outline first, then draft")
        r = await bot.say("/精华 搜索 0%", user="alice", when=at("2026-11-20 10:03"))
        assert r[0].endswith("#3 11-18 coach：100% 完成比完美重要") and "（1 条）" in r[0]
        r = await bot.say("/精华 搜索 %", user="alice", when=at("2026-11-20 10:04"))
        assert "（1 条）" in r[0]  # % is a literal, not a wildcard
        r = await bot.say("/精华 搜索 小说", user="alice", when=at("2026-11-20 10:05"))
        assert r == ["没有找到包含「小说」的精华。"]
        r = await bot.say("/精华 搜索", user="alice", when=at("2026-11-20 10:06"))
        assert r[0].startswith("请写要搜索的词") and "用法：" in r[0]


async def test_highlight_to_faq(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        await bot.say("/精华 投稿前先读三篇该刊的文章", user="coach", when=at("2026-11-17 09:00"))
        r = await bot.say(
            "/精华 转FAQ 1 投稿前要准备什么？", user="bob", when=at("2026-11-17 09:01")
        )
        assert r == ["抱歉，这个操作只有管理员可以使用。"]
        r = await bot.say("/精华 转FAQ 7 问题", user="coach", when=at("2026-11-17 09:02"))
        assert r == ["没有编号为 7 的精华。"]
        r = await bot.say("/精华 转FAQ 1", user="coach", when=at("2026-11-17 09:03"))
        assert r[0].startswith("请写精华编号和问题")
        r = await bot.say("/精华 转FAQ 1 投稿前要准备什么？", user="coach", when=at("2026-11-17 09:04"))  # fmt: skip
        assert r == ["✅ 精华 #1 已加入问答库 [1]：\n问：投稿前要准备什么？"]
        async with bot.app.uow() as uow:
            entries = await FaqRepo(uow.session).entries()
        assert [(e.group_id, e.question, e.answer, e.created_by) for e in entries] == [
            ("g1", "投稿前要准备什么？", "投稿前先读三篇该刊的文章", "coach")
        ]
        # The Q&A feature answers with it at once (its index was rebuilt).
        r = await bot.say("请问投稿前要准备什么？", user="dave", when=at("2026-11-17 10:00"))
        assert any("投稿前先读三篇该刊的文章" in t for t in r)


async def test_members_cannot_propose_when_turned_off(sqlite_db: str) -> None:
    text = "admins: [admin]\ndefaults:\n  highlights: {member_proposals: false}\n"
    async with running_bot(sqlite_db, config_from(text)) as bot:
        assert await bot.say("#精华 好句子", user="bob") == []
        r = await bot.say("/精华 好句子", user="bob")
        assert r == ["抱歉，只有管理员可以收录精华。"]
        assert await bot.say("#精华 好句子", user="admin") == ["✅ 已收录精华 #1（admin）"]


def _export_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "admins: [admin]\nstorage:\n  url: sqlite:///bot.db\ngroups:\n  g1: {name: 写作群}\n",
        encoding="utf-8",
    )
    return path


async def _fill(tmp_path: Path) -> None:
    from bot.config import load_config

    config = load_config(_export_config(tmp_path))
    async with running_bot(config.storage_url, config) as bot:
        await bot.say("/精华 第一周的精华\n第二行", user="admin", when=at("2026-11-10 21:00"))
        await bot.say("#精华 第二周的精华", user="bob", when=at("2026-11-17 09:00"))
        await bot.say("/精华 确认 2", user="admin", when=at("2026-11-17 09:30"))
        await bot.say("#精华 还没确认的推荐", user="carol", when=at("2026-11-18 09:00"))
        await bot.say("/精华 周日深夜也算这一周", user="admin", when=at("2026-11-22 23:59"))


def test_export_markdown_by_week_and_json(tmp_path: Path) -> None:
    asyncio.run(_fill(tmp_path))
    config_path = _export_config(tmp_path)
    cmd = [*CLI, "--config", str(config_path)]
    md = subprocess.run([*cmd, "--group", "g1"], capture_output=True, text=True, cwd=REPO)
    assert md.returncode == 0, md.stderr
    assert md.stdout == (
        "# 精华 · 写作群（g1）\n\n"
        "## 2026-W46（11月9日—11月15日）\n\n"
        "- **#1 admin** · 2026-11-10 21:00（收录：admin）\n"
        "  第一周的精华\n  第二行\n\n"
        "## 2026-W47（11月16日—11月22日）\n\n"
        "- **#2 bob** · 2026-11-17 09:00（收录：admin）\n"
        "  第二周的精华\n"
        "- **#4 admin** · 2026-11-22 23:59（收录：admin）\n"
        "  周日深夜也算这一周\n"
    )
    out = tmp_path / "h.json"
    js = subprocess.run(
        [*cmd, "--group", "g1", "--since", "2026-11-16", "--format", "json", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert js.returncode == 0, js.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["group"] == "g1"
    assert [(h["number"], h["week"], h["author_id"]) for h in data["highlights"]] == [
        (2, "2026-W47", "bob"),
        (4, "2026-W47", "admin"),
    ]
    assert data["highlights"][0]["posted_at"] == "2026-11-17T09:00:00+08:00"
    assert data["highlights"][0]["saved_by"] == "admin"
    assert data["highlights"][0]["proposed_by"] == "bob"


def test_export_of_an_unmigrated_database_explains(tmp_path: Path) -> None:
    config_path = _export_config(tmp_path)
    run = subprocess.run(
        [*CLI, "--group", "g1", "--config", str(config_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert run.returncode == 1
    assert "groupops db upgrade" in run.stderr


def test_export_markdown_without_highlights() -> None:
    group = config_from().group("g1")
    assert export_markdown(group, []) == "# 精华 · 测试群（g1）\n\n（暂无精华）\n"


@pytest.mark.parametrize("text", ["/精华 确认 x", "/精华 删除"])
async def test_malformed_admin_subcommands_show_usage(sqlite_db: str, text: str) -> None:
    async with running_bot(sqlite_db) as bot:
        r = await bot.say(text, user="admin")
        assert len(r) == 1 and "用法：/精华" in r[0]


async def test_a_custom_tag_and_a_tagged_quote(sqlite_db: str) -> None:
    text = "admins: [admin]\ndefaults:\n  highlights: {tag: '#干货'}\n"
    async with running_bot(sqlite_db, config_from(text)) as bot:
        await bot.say("打卡", user="bob", when=at("2026-11-17 08:00"))  # bob's name is known
        replies = await bot.say("#精华 旧标签不再生效", user="carol")
        assert not any(r.startswith(("📌", "✅")) for r in replies)
        quoted = Message(
            group_id="g1",
            sender_id="carol",
            message_id="q-2",
            text="＃干货",
            time=at("2026-11-17 09:00"),
            sender_name="carol",
            quote_text="先列大纲再动笔",
            quote_sender_id="bob",
        )
        assert (await bot.push(quoted))[0].startswith("📌 已推荐为精华（编号 1）")
        assert await stored(bot) == [(1, "先列大纲再动笔", "bob", "proposed", None)]
