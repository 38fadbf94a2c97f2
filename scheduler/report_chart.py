"""The weekly picture: a PNG of a group's week (messages and check-ins per day, top members).

Rendered with matplotlib's object API on the Agg canvas (no pyplot, no global state, safe
in a worker thread). Chinese text uses Noto Sans SC (SIL Open Font License 1.1) shipped by
the PyPI package `pylopdf-fonts-zh-cn` (upstream notofonts/noto-cjk, Sans/SubsetOTF/SC):
nothing is downloaded at run time. Characters the font lacks (emoji in a nickname) are
dropped from labels rather than drawn as empty boxes.

matplotlib is imported lazily, so the bot pays its import cost only when it draws.
"""

from __future__ import annotations

import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

WEEKDAYS = "一二三四五六日"
MESSAGES_COLOR = "#4C78A8"
CHECKINS_COLOR = "#54A24B"
MEMBERS_COLOR = "#F58518"


NAME_WIDTH = 14  # display columns of a member's name on the chart (a CJK character is 2)


@dataclass(frozen=True)
class WeekTotals:
    """The figures of the week before, for comparison."""

    messages: int
    checkins: int
    active_members: int


@dataclass(frozen=True)
class WeekData:
    group_name: str
    year: int
    week: int
    days: tuple[date, ...]  # Monday .. Sunday
    messages: tuple[int, ...]
    checkins: tuple[int, ...]
    top_members: tuple[tuple[str, int], ...]  # (display name, messages), most first
    active_members: int
    previous: WeekTotals | None = None  # None: the bot has no record of the week before
    # days of the week on which the bot was in the group (the check-in rate counts only those)
    recorded_days: int = 7
    # the rate's denominator when it is not active_members x recorded_days (a set's picture
    # adds up each group's own member-days)
    member_days: int | None = None
    name_width: int = NAME_WIDTH  # display columns of a top member's label

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def is_empty(self) -> bool:
        return not any(self.messages) and not any(self.checkins)

    @property
    def checkin_rate(self) -> float | None:
        member_days = self.member_days
        if member_days is None:
            member_days = self.active_members * self.recorded_days
        if member_days == 0:
            return None
        return sum(self.checkins) / member_days


def compared(now: int, before: int | None) -> str:
    """`较上周 +12%`, `与上周持平`, `上周为 0`; empty when there is nothing to compare with."""
    if before is None:
        return ""
    if now == before:
        return "与上周持平"
    if before == 0:
        return "上周为 0"
    change = round((now - before) * 100 / before)
    if change == 0:
        return "与上周持平"
    return f"较上周 {change:+d}%"


def _columns(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    """A name that fits the chart: cut at `width` display columns with an ellipsis."""
    if sum(_columns(c) for c in name) <= width:
        return name
    used, out = 0, []
    for ch in name:
        if used + _columns(ch) > width - 1:
            break
        out.append(ch)
        used += _columns(ch)
    return "".join(out) + "…"


def font_path() -> Path:
    """The CJK font file the charts use."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


@cache
def _charmap() -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(str(font_path())).get_charmap())


def drawable(text: str) -> str:
    """The text without characters the font has no glyph for (so no tofu boxes)."""
    cmap = _charmap()
    return "".join(c for c in text if c in "\n " or ord(c) in cmap)


def font(size: float = 11, weight: str = "normal") -> FontProperties:
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=str(font_path()), size=size, weight=weight)


EMPTY_WEEK = "这一周群里没有消息，也没有打卡"


def _with(parts: list[str]) -> str:
    shown = [p for p in parts if p]
    return f"（{'，'.join(shown)}）" if shown else ""


def chart_texts(data: WeekData) -> list[str]:
    """Every string the chart draws (tests check the font has a glyph for each character)."""
    first, last = data.days[0], data.days[-1]
    before = data.previous
    members = f"活跃成员 {data.active_members} 人"
    if before is not None:
        members += f"（上周 {before.active_members} 人）"
    messages, checkins = sum(data.messages), sum(data.checkins)
    rate = data.checkin_rate
    texts = [
        drawable(f"{data.group_name} · 第 {data.week} 周群活跃周报"),
        f"{data.year} 年 {first:%m月%d日} 至 {last:%m月%d日}　{members}",
        "每日消息"
        + _with([f"共 {messages} 条", compared(messages, before.messages if before else None)]),
        "每日打卡"
        + _with(
            [
                f"共 {checkins} 人次",
                "" if rate is None else f"打卡率 {rate * 100:.0f}%",
                compared(checkins, before.checkins if before else None),
            ]
        ),
        "本周发言最多的成员",
        "消息数",
        "人次",
        "条",
    ]
    if data.is_empty:
        return [*texts[:2], EMPTY_WEEK]
    texts += [f"周{WEEKDAYS[d.weekday()]}\n{d:%m-%d}" for d in data.days]
    texts += [short_name(drawable(name), data.name_width) or "?" for name, _ in data.top_members]
    texts += [str(n) for n in (*data.messages, *data.checkins)]
    if not data.top_members:
        texts.append("本周暂无发言")
    return texts


def render_week_chart(data: WeekData, out: Path) -> Path:
    """Draw the week to `out` (PNG, written atomically); returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    texts = chart_texts(data)
    fig = Figure(figsize=(8, 10), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    fig.suptitle(texts[0], fontproperties=font(17, "bold"), y=0.975)
    fig.text(0.5, 0.935, texts[1], ha="center", fontproperties=font(11), color="#555555")
    if data.is_empty:
        # no bars of zeros: say plainly that nothing happened
        fig.text(0.5, 0.5, texts[2], ha="center", va="center", fontproperties=font(15))
    else:
        _draw_week(fig, data, texts)
    return _save(fig, out)


def _draw_week(fig: Figure, data: WeekData, texts: list[str]) -> None:
    _, _, msg_title, chk_title, top_title, msg_unit, chk_unit, count_unit = texts[:8]
    ticks = [f"周{WEEKDAYS[d.weekday()]}\n{d:%m-%d}" for d in data.days]
    regular, small = font(11), font(9)
    # room on the left for the longest (shortened) name of the members' chart
    left = 0.16 if not data.top_members else 0.22 + 0.012 * max(0, data.name_width - NAME_WIDTH)
    grid = fig.add_gridspec(3, 1, top=0.88, bottom=0.05, left=left, right=0.95, hspace=0.5)

    for row, (values, color, heading, unit) in enumerate(
        (
            (data.messages, MESSAGES_COLOR, msg_title, msg_unit),
            (data.checkins, CHECKINS_COLOR, chk_title, chk_unit),
        )
    ):
        ax = fig.add_subplot(grid[row])
        positions = list(range(len(values)))
        bars = ax.bar(positions, values, color=color, width=0.6)
        ax.set_title(heading, fontproperties=font(13), loc="left")
        ax.set_ylabel(unit, fontproperties=regular)
        ax.set_xticks(positions, ticks)
        ax.set_ylim(0, max(max(values, default=0), 1) * 1.25)
        for bar, value in zip(bars, values, strict=True):
            ax.annotate(
                str(value),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontproperties=small,
            )
        _style(ax, regular, "y")

    ax = fig.add_subplot(grid[2])
    ax.set_title(top_title, fontproperties=font(13), loc="left")
    if data.top_members:
        names = [short_name(drawable(name), data.name_width) or "?" for name, _ in data.top_members]
        names.reverse()
        counts = [n for _, n in data.top_members][::-1]
        positions = list(range(len(names)))
        bars = ax.barh(positions, counts, color=MEMBERS_COLOR, height=0.6)
        ax.set_yticks(positions, names)
        ax.set_xlabel(msg_unit, fontproperties=regular)
        ax.set_xlim(0, max(counts) * 1.2)
        for bar, value in zip(bars, counts, strict=True):
            ax.annotate(
                f"{value} {count_unit}",
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontproperties=small,
            )
    else:
        ax.text(0.5, 0.5, "本周暂无发言", ha="center", va="center", fontproperties=regular)
        ax.set_xticks([])
        ax.set_yticks([])
    _style(ax, regular, "x")


def _save(fig: Figure, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    # a private temporary file, renamed into place: readers never see half a PNG, and two
    # processes drawing the same week do not write into each other's file
    with tempfile.NamedTemporaryFile(dir=out.parent, suffix=".part", delete=False) as tmp:
        partial = Path(tmp.name)
    try:
        fig.savefig(partial, format="png", metadata={"Software": None})
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def _style(ax: Axes, prop: FontProperties, grid: Literal["x", "y"]) -> None:
    from matplotlib.ticker import MaxNLocator

    counts = ax.yaxis if grid == "y" else ax.xaxis
    counts.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 ticks
    for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        label.set_fontproperties(prop)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid, color="#eeeeee", linewidth=0.8)
    ax.set_axisbelow(True)
