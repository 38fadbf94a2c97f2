from __future__ import annotations

from pydantic import Field, model_validator

from bot.settings.base import MAX_POINTS, Strict

# Streaks, badges and make-up windows are counted in days; ten years is beyond any group.
MAX_DAYS = 3650
# Level thresholds are totals of many check-ins.
MAX_LEVEL_POINTS = 100_000_000


class StreakBonus(Strict):
    min_days: int = Field(ge=1, le=MAX_DAYS)
    points: int = Field(ge=0, le=MAX_POINTS)


class Level(Strict):
    name: str
    min_points: int = Field(ge=0, le=MAX_LEVEL_POINTS)


class Badge(Strict):
    days: int = Field(ge=1, le=MAX_DAYS)
    name: str


class CheckinSettings(Strict):
    enabled: bool = True
    keywords: list[str] = ["打卡", "签到"]
    points: int = Field(default=10, ge=0, le=MAX_POINTS)
    # Extra points per check-in once the streak reaches min_days (the highest tier applies).
    streak_bonus: list[StreakBonus] = [
        StreakBonus(min_days=3, points=2),
        StreakBonus(min_days=7, points=5),
        StreakBonus(min_days=30, points=10),
    ]
    makeup_keywords: list[str] = ["补卡", "补签"]
    makeup_window_days: int = Field(default=7, ge=1, le=366)
    makeup_per_month: int = Field(default=2, ge=0, le=31)
    makeup_points: int = Field(default=5, ge=0, le=MAX_POINTS)
    levels: list[Level] = [
        Level(name="新手写手", min_points=0),
        Level(name="进阶写手", min_points=100),
        Level(name="核心写手", min_points=500),
        Level(name="金牌写手", min_points=1500),
    ]
    badges: list[Badge] = [
        Badge(days=7, name="坚持"),
        Badge(days=30, name="月更达人"),
        Badge(days=100, name="百日写手"),
    ]
    leaderboard_size: int = Field(default=10, ge=1, le=50)

    @model_validator(mode="after")
    def _levels_start_at_zero(self) -> CheckinSettings:
        if self.levels and min(lv.min_points for lv in self.levels) != 0:
            raise ValueError("levels: the lowest level must have min_points 0")
        return self
