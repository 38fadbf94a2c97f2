"""`groupops replay` and `groupops stats` on bad input: each names the line or the option
and exits non-zero, with no traceback; `--until` is bounded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import parse_config
from bot.events import Message
from bot.replay import parse_transcript, run_replay
from tests.health_support import HEALTH_CONFIG
from tests.test_stats_flow import replay_stats_week

CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
bot: {name: 小助手, user_id: groupops-bot}
defaults:
  rituals:
    - {id: morning, title: 晨间写作, schedule: "每天 07:30", text: 早安}
groups:
  writers: {name: 写作群}
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def replay(tmp_path: Path, config_file: Path, transcript: bytes, *extra: str) -> tuple[int, str]:
    path = tmp_path / "t.txt"
    path.write_bytes(transcript)
    code = main(["replay", str(path), "--config", str(config_file), *extra])
    return code, str(path)


def test_a_transcript_that_is_not_utf8_names_its_line(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "2026-11-21T08:00:00 writers alice: 打卡\n".encode()
        + "2026-11-21T08:01:00 writers bob: 写了".encode("gbk")
        + b"\n"
    )
    code, path = replay(tmp_path, config_file, text)
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"{path}:2: line 2: not UTF-8 text (byte 0xc1 at byte 36 of the line)")
    assert "Traceback" not in err
    code, _ = replay(
        tmp_path, config_file, "\ufeff2026-11-21T08:00:00 writers alice: 打卡\n".encode()
    )
    assert code == 0  # a UTF-8 byte-order mark is fine
    assert "打卡成功" in capsys.readouterr().out


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "1999-12-31T23:00"]
)
def test_times_outside_the_supported_years_name_the_line(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str], stamp: str
) -> None:
    text = f"# comment\n{stamp} writers alice: 打卡\n".encode()
    code, path = replay(tmp_path, config_file, text)
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"{path}:2: line 2: time '{stamp}' is outside 2000-2099")


@pytest.mark.parametrize(
    ("until", "message"),
    [
        ("garbage", "--until: 'garbage' is not a time; write it as YYYY-MM-DD"),
        ("2026-13-45", "--until: '2026-13-45' is not a time"),
        ("0001-01-01", "--until: '0001-01-01' is outside 2000-2099"),
        ("9999-12-31", "--until: '9999-12-31' is outside 2000-2099"),
        (
            "2099-12-31",
            "--until: 2099-12-31T00:00:00+08:00 is 26702 days after the transcript's last line (line 1); at most 366 days",
        ),
    ],
)
def test_until_is_checked_and_bounded(
    tmp_path: Path,
    config_file: Path,
    capsys: pytest.CaptureFixture[str],
    until: str,
    message: str,
) -> None:
    text = "2026-11-21T08:00:00 writers alice: 打卡\n".encode()
    code, _ = replay(tmp_path, config_file, text, "--until", until)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"groupops replay: {message}")
    assert "Traceback" not in err


def test_until_within_the_bound_runs_the_jobs(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "2026-11-21T08:00:00 writers alice: 打卡\n".encode()
    code, _ = replay(tmp_path, config_file, text, "--until", "2026-11-23T08:00")
    assert code == 0
    out = capsys.readouterr().out
    assert out.count("早安") == 2  # 11-22 and 11-23 at 07:30


def test_line_separators_inside_a_message_do_not_split_it() -> None:
    config = parse_config(CONFIG)
    text = (
        "2026-11-21T08:00:00 writers alice: 第一句\u2028第二句\u2029第三句\x85第四句\x0c完\r\n"
        "2026-11-21T08:01:00 writers bob: 打卡\n"
    )
    lines = parse_transcript(text, config)
    assert [line.line_no for line in lines] == [1, 2]
    first = lines[0].event
    assert isinstance(first, Message)
    assert first.text == "第一句\n第二句\n第三句\n第四句完"


async def test_a_mention_of_the_bot_in_a_transcript_reaches_the_handlers(tmp_path: Path) -> None:
    sent = await run_replay(
        "2026-11-21T08:00:00 writers alice: @小助手 打卡 1200字\n",
        parse_config(CONFIG),
        f"sqlite+aiosqlite:///{tmp_path / 'r.db'}",
    )
    assert sent[0].text.startswith("✅ 打卡成功！连续打卡 1 天，今日 1200 字")


def test_stats_for_a_group_without_data_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ops.db"
    asyncio.run(replay_stats_week(db))
    config = tmp_path / "config.yaml"
    config.write_text(HEALTH_CONFIG, encoding="utf-8")
    common = ["--config", str(config), "--db", str(db)]
    assert main(["stats", "--group", "nosuch", *common]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "group 'nosuch' has no data" in captured.err
    assert main(["stats", "--group", "g1", *common, "--today", "2026-11-22"]) == 0
