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
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties

WEEKDAYS = "一二三四五六日"
MESSAGES_COLOR = "#4C78A8"
CHECKINS_COLOR = "#54A24B"
MEMBERS_COLOR = "#F58518"


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

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def is_empty(self) -> bool:
        return not any(self.messages) and not any(self.checkins)


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


def chart_texts(data: WeekData) -> list[str]:
    """Every string the chart draws (tests check the font has a glyph for each character)."""
    first, last = data.days[0], data.days[-1]
    texts = [
        drawable(f"{data.group_name} · 第 {data.week} 周群活跃周报"),
        f"{data.year} 年 {first:%m月%d日} 至 {last:%m月%d日}　活跃成员 {data.active_members} 人",
        f"每日消息（共 {sum(data.messages)} 条）",
        f"每日打卡（共 {sum(data.checkins)} 人次）",
        "本周发言最多的成员",
        "消息数",
        "人次",
        "条",
    ]
    texts += [f"周{WEEKDAYS[d.weekday()]}\n{d:%m-%d}" for d in data.days]
    texts += [drawable(name) or "?" for name, _ in data.top_members]
    texts += [str(n) for n in (*data.messages, *data.checkins)]
    if not data.top_members:
        texts.append("本周暂无发言")
    return texts


def render_week_chart(data: WeekData, out: Path) -> Path:
    """Draw the week to `out` (PNG, written atomically); returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    texts = chart_texts(data)
    title, subtitle, msg_title, chk_title, top_title, msg_unit, chk_unit, count_unit = texts[:8]
    ticks = [f"周{WEEKDAYS[d.weekday()]}\n{d:%m-%d}" for d in data.days]
    regular, small = font(11), font(9)

    fig = Figure(figsize=(8, 10), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontproperties=font(17, "bold"), y=0.975)
    fig.text(0.5, 0.935, subtitle, ha="center", fontproperties=font(11), color="#555555")
    grid = fig.add_gridspec(3, 1, top=0.88, bottom=0.05, left=0.16, right=0.95, hspace=0.5)

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
        names = [drawable(name) or "?" for name, _ in data.top_members][::-1]
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
