"""`groupops payouts`: reward points per member in a period, per group's local days."""

from __future__ import annotations

import asyncio
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.config import load_config
from tests.support import at, msg, running_bot

LA = ZoneInfo("America/Los_Angeles")
CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
storage: {url: "sqlite:///bot.db"}
groups:
  writers: {name: 写作群, admins: [coach]}
  writers-us: {name: 北美群, timezone: America/Los_Angeles}
"""


async def _populate(config_path: Path) -> None:
    config = load_config(config_path)
    async with running_bot(config.storage_url, config) as bot:

        async def line(group: str, member: str, delta: int, kind: str, when_: object) -> None:
            async with bot.app.uow() as uow:
                await uow.ledger.append(
                    group_id=group,
                    member_id=member,
                    delta=delta,
                    kind=kind,
                    reason="test",
                    at=when_,  # type: ignore[arg-type]
                )

        # bob's display name is known from a check-in (kind checkin is not a reward)
        await bot.push(msg("打卡", user="bob", group="writers", when=at("2026-11-21 08:00")))
        await bot.push(
            msg(
                "/红包 @bob 20 作业",
                user="coach",
                group="writers",
                mentions=("bob",),
                when=at("2026-11-21 09:00"),
            )
        )
        await line("writers", "bob", 30, "quiz", at("2026-11-21 20:00"))
        await line("writers", "carol", 5, "notice", at("2026-11-22 19:00"))
        await line("writers", "carol", 10, "draw", at("2026-11-23 21:00"))
        await line("writers", "dave", 50, "reward", at("2026-11-20 23:59"))  # before --since
        await line("writers", "dave", 40, "admin_adjust", at("2026-11-21 10:00"))  # not a reward
        await line("writers-us", "ella", 15, "reward", at("2026-11-21 23:30", LA))  # LA's 11-21
        await line("writers-us", "ella", 7, "reward", at("2026-11-24 00:30", LA))  # after --until


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    asyncio.run(_populate(path))
    return path


def test_csv_lists_reward_points_per_member_in_local_days(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["payouts", "--since", "2026-11-21", "--until", "2026-11-23", "--format", "csv"]
    assert main([*args, "--config", str(config_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "group_id,group_name,member_id,name,reward,quiz,notice,draw,total",
        "writers,写作群,bob,bob,20,30,0,0,50",
        "writers,写作群,carol,,0,0,5,10,15",
        "writers-us,北美群,ella,,15,0,0,0,15",
    ]


def test_table_group_filter_and_open_end(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["payouts", "--since", "2026-11-22", "--group", "writers-us"]
    assert main([*args, "--config", str(config_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "group_id",
        "group_name",
        "member_id",
        "name",
        "reward",
        "quiz",
        "notice",
        "draw",
        "total",
    ]
    assert out[1].split() == ["writers-us", "北美群", "ella", "7", "0", "0", "0", "7"]
    assert out[2].split() == ["TOTAL", "7", "0", "0", "0", "7"]


def test_bad_dates_and_empty_periods(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["payouts", "--since", "21/11/2026", "--config", str(config_path)])
    assert (
        main(
            [
                "payouts",
                "--since",
                "2026-11-23",
                "--until",
                "2026-11-01",
                "--config",
                str(config_path),
            ]
        )
        == 2
    )
    capsys.readouterr()
    assert main(["payouts", "--since", "2027-01-01", "--config", str(config_path)]) == 0
    assert capsys.readouterr().out == "no reward points in this period\n"
