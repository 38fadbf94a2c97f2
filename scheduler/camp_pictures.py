"""Camp pictures: a completion certificate (结营证书) per finisher and the camp's calendar
(members × days).

Drawn like the weekly picture (scheduler/report_chart.py): matplotlib's object API on the
Agg canvas, Noto Sans SC from the bundled font package, characters the font lacks left out
(never drawn as boxes), long names shortened, files written atomically. `certificate_texts`
and `calendar_texts` list every string drawn, so the glyph tests can check each character.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.report_chart import _save as save_png
from scheduler.report_chart import drawable, font, short_name

if TYPE_CHECKING:
    from matplotlib.figure import Figure

GOLD = "#B8860B"
INK = "#333333"
PAPER = "#FFFDF5"

# Calendar cells, by state.
DONE, MAKEUP, EXCELLENT, MISSED, NOT_YET, BEFORE = (
    "done",
    "makeup",
    "excellent",
    "missed",
    "not_yet",
    "before",
)
CELL_COLORS = {
    DONE: "#54A24B",
    MAKEUP: "#F2CF5B",
    EXCELLENT: "#E45756",
    MISSED: "#E6E6E6",
    NOT_YET: "#FFFFFF",
    BEFORE: "#F7F7F7",
}
LEGEND = ((DONE, "按时打卡"), (MAKEUP, "补卡"), (EXCELLENT, "优秀作业"), (MISSED, "未打卡"))


def date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- the certificate ---------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateData:
    member_name: str
    camp_title: str
    group_name: str
    start: date
    last_day: date
    days_done: int
    total_days: int
    rank: int
    members: int
    issued: date


def certificate_texts(data: CertificateData) -> list[str]:
    """Every string the certificate draws, in drawing order."""
    name = short_name(drawable(data.member_name), 24) or "营员"
    return [
        "结营证书",
        name,
        drawable(f"在「{data.camp_title}」中坚持打卡"),
        f"{date_text(data.start)} — {date_text(data.last_day)}",
        f"共 {data.total_days} 天，完成 {data.days_done} 天",
        f"在 {data.members} 位营员中排名第 {data.rank}",
        "特发此证，以资鼓励",
        drawable(data.group_name),
        date_text(data.issued),
    ]


def render_certificate(data: CertificateData, out: Path) -> Path:
    """Draw one certificate to `out` (PNG, written atomically); returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    title, name, camp, dates, days, rank, closing, group, issued = certificate_texts(data)
    fig = Figure(figsize=(10, 7), dpi=100, facecolor=PAPER)
    FigureCanvasAgg(fig)
    for inset, width in ((0.02, 4.0), (0.04, 1.2)):
        fig.add_artist(
            Rectangle(
                (inset, inset * 10 / 7),
                1 - 2 * inset,
                1 - 2 * inset * 10 / 7,
                transform=fig.transFigure,
                fill=False,
                edgecolor=GOLD,
                linewidth=width,
            )
        )
    fig.text(0.5, 0.82, title, ha="center", fontproperties=font(40, "bold"), color=GOLD)
    fig.text(0.5, 0.64, name, ha="center", fontproperties=font(30, "bold"), color=INK)
    fig.text(0.5, 0.54, camp, ha="center", fontproperties=font(18), color=INK)
    fig.text(0.5, 0.47, dates, ha="center", fontproperties=font(14), color="#666666")
    fig.text(0.5, 0.39, days, ha="center", fontproperties=font(18), color=INK)
    fig.text(0.5, 0.32, rank, ha="center", fontproperties=font(18), color=INK)
    fig.text(0.5, 0.22, closing, ha="center", fontproperties=font(16), color=INK)
    fig.text(0.92, 0.12, group, ha="right", fontproperties=font(13), color="#666666")
    fig.text(0.92, 0.075, issued, ha="right", fontproperties=font(13), color="#666666")
    return save_png(fig, out)


# --- the calendar ------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarRow:
    name: str
    cells: tuple[str, ...]  # one state per camp day
    days_done: int


@dataclass(frozen=True)
class CalendarData:
    camp_title: str
    group_name: str
    days: tuple[date, ...]
    rows: tuple[CalendarRow, ...]
    required_days: int

    @property
    def finishers(self) -> int:
        return sum(1 for r in self.rows if r.days_done >= self.required_days)


def calendar_texts(data: CalendarData) -> list[str]:
    """Every string the calendar draws: title, subtitle, legend, row and column labels."""
    first, last = data.days[0], data.days[-1]
    texts = [
        drawable(f"「{data.camp_title}」打卡日历"),
        drawable(
            f"{data.group_name} · {date_text(first)} — {date_text(last)} · "
            f"营员 {len(data.rows)} 人，完成 {data.finishers} 人"
        ),
        *(label for _, label in LEGEND),
    ]
    if not data.rows:
        texts.append("这一期还没有人报名")
        return texts
    texts += [row_label(r) for r in data.rows]
    texts += day_labels(data)
    return texts


def row_label(row: CalendarRow) -> str:
    return f"{short_name(drawable(row.name)) or '?'} {row.days_done}天"


def day_labels(data: CalendarData) -> list[str]:
    step = 1 if len(data.days) <= 31 else 7
    return [f"{d.month}/{d.day}" if (i % step == 0) else "" for i, d in enumerate(data.days)]


def render_calendar(data: CalendarData, out: Path) -> Path:
    """Draw the calendar to `out` (PNG, written atomically); returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    texts = calendar_texts(data)
    n_days, n_rows = len(data.days), max(len(data.rows), 1)
    width = min(4.0 + 0.32 * n_days, 40.0)
    height = min(2.6 + 0.32 * n_rows, 80.0)
    fig = Figure(figsize=(width, height), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    top = 1 - 1.3 / height
    fig.text(0.5, 1 - 0.45 / height, texts[0], ha="center", fontproperties=font(16, "bold"))
    fig.text(0.5, 1 - 0.8 / height, texts[1], ha="center", fontproperties=font(10), color="#555555")
    if not data.rows:
        fig.text(0.5, 0.4, texts[-1], ha="center", va="center", fontproperties=font(14))
    else:
        _draw_grid(fig, data, top, width, height)
    _draw_legend(fig, width, height)
    return save_png(fig, out)


def _draw_grid(fig: Figure, data: CalendarData, top: float, width: float, height: float) -> None:
    from matplotlib.colors import to_rgb

    left = min(0.45, 2.2 / width)
    ax = fig.add_axes((left, 0.7 / height, 0.98 - left, top - 0.7 / height - 0.35 / height))
    grid = [[to_rgb(CELL_COLORS[c]) for c in row.cells] for row in data.rows]
    ax.imshow(grid, aspect="auto", interpolation="nearest")
    n_days, n_rows = len(data.days), len(data.rows)
    small = font(8 if n_days > 31 else 9)
    ax.set_xticks(range(n_days), day_labels(data))
    ax.set_yticks(range(n_rows), [row_label(r) for r in data.rows])
    for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        label.set_fontproperties(small)
    ax.xaxis.tick_top()
    ax.set_xticks([x - 0.5 for x in range(1, n_days)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, n_rows)], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(which="major", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _draw_legend(fig: Figure, width: float, height: float) -> None:
    from matplotlib.patches import Rectangle

    x, y = 0.3 / width, 0.25 / height
    for state, label in LEGEND:
        fig.add_artist(
            Rectangle(
                (x, y),
                0.16 / width,
                0.16 / height,
                transform=fig.transFigure,
                facecolor=CELL_COLORS[state],
                edgecolor="#999999",
                linewidth=0.5,
            )
        )
        fig.text(x + 0.22 / width, y, label, fontproperties=font(9), va="bottom")
        x += (0.55 + 0.13 * len(label)) / width  # a 9-point CJK character is about 0.13 in
