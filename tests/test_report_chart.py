"""The weekly picture: Chinese labels are drawn as real glyphs, not tofu boxes,
and the weekly post goes out once, as an image.

The glyph checks are independent of matplotlib's own opinion:
- the font file's cmap (read with fontTools) has every character the chart draws;
- each Chinese character drawn by matplotlib with the chart's font matches the same
  character drawn straight from the font file by another rasteriser (Pillow/FreeType),
  while the same character drawn with a font lacking CJK (DejaVu Sans: tofu) does not;
- with a font lacking CJK, different characters give identical boxes (the control that
  shows the comparison can fail), with ours they differ.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from handlers.activity import ActivityLog
from handlers.stats import collect_week
from scheduler.camp_pictures import (
    BEFORE,
    DONE,
    EXCELLENT,
    MAKEUP,
    MISSED,
    CalendarData,
    CalendarRow,
    CertificateData,
    calendar_texts,
    certificate_texts,
    render_calendar,
    render_certificate,
)
from scheduler.health_jobs import HealthJobs
from scheduler.report_chart import (
    WeekData,
    WeekTotals,
    chart_texts,
    font,
    font_path,
    render_week_chart,
    short_name,
)
from tests.health_support import health_config, run_until
from tests.support import at, msg, running_bot

# notofonts/noto-cjk Sans/SubsetOTF/SC/NotoSansSC-Regular.otf, as documented by the package
NOTO_SANS_SC_SHA256 = "faa6c9df652116dde789d351359f3d7e5d2285a2b2a1f04a2d7244df706d5ea9"

WEEK = WeekData(
    group_name="写作成长营一群",
    year=2026,
    week=47,
    days=tuple(date(2026, 11, 16) + timedelta(days=i) for i in range(7)),
    messages=(12, 30, 5, 0, 44, 21, 8),
    checkins=(3, 5, 4, 0, 6, 2, 1),
    top_members=(("张小明", 40), ("alice", 22), ("李雷🎉", 12), ("韩梅梅", 9)),
    active_members=14,
)

Mask = NDArray[np.bool_]


def ideographs(texts: list[str]) -> list[str]:
    return sorted({c for t in texts for c in t if 0x4E00 <= ord(c) <= 0x9FFF})


def crop(mask: Mask) -> Mask:
    ys, xs = np.nonzero(mask)
    assert ys.size, "nothing was drawn"
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def normalized(mask: Mask, size: int = 48) -> Mask:
    img = Image.fromarray(crop(mask).astype(np.uint8) * 255).resize((size, size))
    return np.asarray(img) > 127


def drawn_by_matplotlib(text: str, prop: FontProperties) -> Mask:
    fig = Figure(figsize=(2, 1.5), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.1, 0.3, text, fontproperties=prop)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].mean(axis=2) < 128


def drawn_from_the_font_file(text: str) -> Mask:
    face = ImageFont.truetype(str(font_path()), 40)
    img = Image.new("L", (200, 100), 255)
    ImageDraw.Draw(img).text((20, 20), text, font=face, fill=0)
    return np.asarray(img) < 128


def iou(a: Mask, b: Mask) -> float:
    return float((a & b).sum() / (a | b).sum())


def png_header(path: Path) -> bytes:
    return path.read_bytes()[:4]


def no_cjk_font() -> FontProperties:
    return FontProperties(fname=findfont("DejaVu Sans"), size=28)


def test_the_font_is_the_documented_file_and_covers_every_character_drawn() -> None:
    path = font_path()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == NOTO_SANS_SC_SHA256
    cmap = TTFont(str(path), lazy=True).getBestCmap()
    drawn = "".join(chart_texts(WEEK))
    missing = sorted({c for c in drawn if c not in "\n " and ord(c) not in cmap})
    assert missing == []
    assert "🎉" not in drawn and "李雷" in drawn  # characters the font lacks are dropped
    assert len(ideographs(chart_texts(WEEK))) > 30


def test_chinese_labels_are_real_glyphs_not_tofu() -> None:
    ours = font(28)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tofu_a = crop(drawn_by_matplotlib("周", no_cjk_font()))
        tofu_b = crop(drawn_by_matplotlib("报", no_cjk_font()))
    # the control: a font without CJK draws the same box for different characters
    assert tofu_a.shape == tofu_b.shape and (tofu_a == tofu_b).all()
    assert any("missing from font" in str(w.message) for w in caught)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for char in ideographs(chart_texts(WEEK)):
            reference = normalized(drawn_from_the_font_file(char))
            real = normalized(drawn_by_matplotlib(char, ours))
            tofu = normalized(drawn_by_matplotlib(char, no_cjk_font()))
            assert iou(real, reference) > 0.65, char
            assert iou(real, reference) > iou(tofu, reference) + 0.15, char
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == [
        str(w.message) for w in caught if "DejaVu" in str(w.message)
    ]
    a, b = crop(drawn_by_matplotlib("周", ours)), crop(drawn_by_matplotlib("报", ours))
    assert a.shape != b.shape or not (a == b).all()


def test_the_weekly_chart_renders_without_a_missing_glyph(tmp_path: Path) -> None:
    out = tmp_path / "week.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert render_week_chart(WEEK, out) == out
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (800, 1000)
        pixels = np.asarray(image.convert("RGB"))
    # the bars are there in their colours (messages blue, check-ins green, members orange)
    for colour in ((0x4C, 0x78, 0xA8), (0x54, 0xA2, 0x4B), (0xF5, 0x85, 0x18)):
        assert (np.abs(pixels.astype(int) - colour).sum(axis=2) < 10).sum() > 500
    assert sorted(p.name for p in tmp_path.iterdir()) == ["week.png"]  # no temporary left


WEEKLY = """    stats:
      weekly_report: {enabled: true, schedule: "每周一 09:00"}
      report_dir: REPORTS
"""


@pytest.fixture
def weekly_config(tmp_path: Path) -> str:
    return WEEKLY.replace("REPORTS", str(tmp_path / "reports"))


async def test_the_weekly_picture_is_posted_once(
    sqlite_db: str, weekly_config: str, tmp_path: Path
) -> None:
    config = health_config(weekly_config)
    async with running_bot(sqlite_db, config, at("2026-11-16 07:00")) as bot:
        await bot.push(msg("打卡", user="alice", when=at("2026-11-16 08:00")))
        await bot.push(msg("早上好", user="bob", when=at("2026-11-18 08:00")))
        await bot.push(msg("打卡", user="alice", when=at("2026-11-22 23:00")))
        assert [m for m in await run_until(bot, at("2026-11-23 08:59")) if m.image_path] == []
        sent = [m for m in await run_until(bot, at("2026-11-23 09:00")) if m.image_path]
        assert [(m.text, m.at) for m in sent] == [
            (
                "📈 「测试群」第 47 周群活跃周报（11-16 至 11-22）：消息 3 条，打卡 2 人次，活跃成员 2 人",
                at("2026-11-23 09:00"),
            )
        ]
        path = Path(sent[0].image_path or "")
        assert path == tmp_path / "reports" / "g1-2026-W47.png"
        assert png_header(path) == b"\x89PNG"
        jobs = bot.app.services.get(HealthJobs)
        assert await jobs.weekly("g1", at("2026-11-23 09:00")) is None  # posted already
        # the next Monday: week 48 had nothing, so nothing is posted
        assert [m for m in await run_until(bot, at("2026-12-01 00:00")) if m.image_path] == []
    async with running_bot(sqlite_db, config, at("2026-11-23 09:30")) as bot:
        # a restart does not post week 47 again
        jobs = bot.app.services.get(HealthJobs)
        assert await jobs.weekly("g1", at("2026-11-23 09:00")) is None
        assert [m for m in bot.sender.sent if m.image_path] == []


async def test_weekly_picture_is_off_unless_configured(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, health_config(), at("2026-11-16 07:00")) as bot:
        await bot.push(msg("打卡", user="alice", when=at("2026-11-16 08:00")))
        sent = await run_until(bot, at("2026-11-30 10:00"))
        assert [m for m in sent if m.image_path] == []
        assert not any(j.id.startswith("stats.weekly:") for j in bot.app.scheduler.jobs())


LONG_NAME = "一个名字特别特别长的写作营同学真的很长很长"


def test_the_chart_compares_with_the_week_before_and_shows_the_checkin_rate() -> None:
    week = replace(WEEK, previous=WeekTotals(messages=100, checkins=21, active_members=10))
    texts = chart_texts(week)
    assert texts[1].endswith("活跃成员 14 人（上周 10 人）")
    assert texts[2] == "每日消息（共 120 条，较上周 +20%）"
    assert texts[3] == "每日打卡（共 21 人次，打卡率 21%，与上周持平）"  # 21 ÷ (14 × 7)
    first_week = replace(WEEK, previous=None, recorded_days=3)  # the bot came on Friday
    assert chart_texts(first_week)[3] == "每日打卡（共 21 人次，打卡率 50%）"  # 21 ÷ (14 × 3)


def test_long_names_are_shortened_not_cut_off_at_the_edge(tmp_path: Path) -> None:
    assert short_name(LONG_NAME).endswith("…")
    assert short_name("韩梅梅") == "韩梅梅"
    week = replace(WEEK, top_members=((LONG_NAME, 40), ("alice", 22)))
    out = render_week_chart(week, tmp_path / "week.png")
    with Image.open(out) as image:
        pixels = np.asarray(image.convert("L"))
    assert (pixels[:, :4] > 245).all(), "something is drawn across the left edge"


def test_an_empty_week_says_so_instead_of_drawing_zeros(tmp_path: Path) -> None:
    empty = replace(WEEK, messages=(0,) * 7, checkins=(0,) * 7, top_members=(), active_members=0)
    texts = chart_texts(empty)
    assert texts[-1] == "这一周群里没有消息，也没有打卡"
    assert "0" not in "".join(texts[2:])
    out = render_week_chart(empty, tmp_path / "week.png")
    with Image.open(out) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    for colour in ((0x4C, 0x78, 0xA8), (0x54, 0xA2, 0x4B), (0xF5, 0x85, 0x18)):
        assert (np.abs(pixels - colour).sum(axis=2) < 10).sum() == 0  # no bars, no axes


async def test_collect_week_reads_the_week_before(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, health_config(), at("2026-11-11 07:00")) as bot:
        await bot.push(msg("打卡", user="alice", when=at("2026-11-12 08:00")))  # week 46
        await bot.push(msg("早", user="bob", when=at("2026-11-12 09:00")))
        await bot.push(msg("打卡", user="alice", when=at("2026-11-16 08:00")))  # week 47
        await bot.app.services.get(ActivityLog).flush()
        async with bot.app.uow() as uow:
            first = await collect_week(uow, bot.app.config.group("g1"), 2026, 46)
            second = await collect_week(uow, bot.app.config.group("g1"), 2026, 47)
    assert first.previous is None and first.recorded_days == 4  # Thursday to Sunday
    assert second.previous == WeekTotals(messages=2, checkins=1, active_members=2)
    assert second.recorded_days == 7


# --- the camp pictures: the same glyph checks over every text they draw --------------------

CERTIFICATE = CertificateData(
    member_name="韩梅梅🎉",
    camp_title="21天写作营",
    group_name="写作成长营一群",
    start=date(2026, 11, 16),
    last_day=date(2026, 12, 6),
    days_done=19,
    total_days=21,
    rank=3,
    members=12,
    issued=date(2026, 12, 7),
)
CALENDAR = CalendarData(
    camp_title="21天写作营",
    group_name="写作成长营一群",
    days=tuple(date(2026, 11, 16) + timedelta(days=i) for i in range(21)),
    rows=(
        CalendarRow("张小明", tuple([DONE] * 20 + [EXCELLENT]), 21),
        CalendarRow("李雷🎉", tuple([DONE] * 4 + [MAKEUP] + [DONE] * 15 + [MISSED]), 20),
        CalendarRow(LONG_NAME, tuple([BEFORE] * 2 + [DONE] * 10 + [MISSED] * 9), 10),
    ),
    required_days=18,
)


def camp_texts() -> list[str]:
    return certificate_texts(CERTIFICATE) + calendar_texts(CALENDAR)


def test_the_camp_pictures_font_covers_every_character_they_draw() -> None:
    cmap = TTFont(str(font_path()), lazy=True).getBestCmap()
    drawn = "".join(camp_texts())
    missing = sorted({c for c in drawn if c not in "\n " and ord(c) not in cmap})
    assert missing == []
    assert "🎉" not in drawn and "韩梅梅" in drawn and "李雷" in drawn
    assert certificate_texts(CERTIFICATE)[:2] == ["结营证书", "韩梅梅"]
    assert "共 21 天，完成 19 天" in certificate_texts(CERTIFICATE)
    assert "在 12 位营员中排名第 3" in certificate_texts(CERTIFICATE)
    assert any(t.endswith("… 10天") for t in calendar_texts(CALENDAR))  # shortened name
    assert len(ideographs(camp_texts())) > 40


def test_the_camp_pictures_chinese_is_real_glyphs_not_tofu() -> None:
    ours = font(28)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for char in ideographs(camp_texts()):
            reference = normalized(drawn_from_the_font_file(char))
            real = normalized(drawn_by_matplotlib(char, ours))
            tofu = normalized(drawn_by_matplotlib(char, no_cjk_font()))
            assert iou(real, reference) > 0.65, char
            assert iou(real, reference) > iou(tofu, reference) + 0.15, char
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == [
        str(w.message) for w in caught if "DejaVu" in str(w.message)
    ]


def test_a_certificate_and_a_calendar_render_without_a_missing_glyph(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cert = render_certificate(CERTIFICATE, tmp_path / "cert.png")
        cal = render_calendar(CALENDAR, tmp_path / "calendar.png")
        empty = render_calendar(replace(CALENDAR, rows=()), tmp_path / "empty.png")
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    with Image.open(cert) as image:
        assert image.format == "PNG" and image.size == (1000, 700)
    with Image.open(cal) as image:
        assert image.format == "PNG"
        pixels = np.asarray(image.convert("RGB")).astype(int)
    # the calendar's cells are there in their colours: done, make-up, excellent, missed
    for colour in ((0x54, 0xA2, 0x4B), (0xF2, 0xCF, 0x5B), (0xE4, 0x57, 0x56)):
        assert (np.abs(pixels - colour).sum(axis=2) < 10).sum() > 100
    with Image.open(empty) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert (np.abs(pixels - (0x54, 0xA2, 0x4B)).sum(axis=2) < 10).sum() < 400  # legend only
    assert calendar_texts(replace(CALENDAR, rows=()))[-1] == "这一期还没有人报名"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calendar.png", "cert.png", "empty.png"]
