"""Red-packet style rewards (红包玩法): /红包 grants, quiz rounds, notice red packets, draws."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from bot.settings.base import MAX_COUNT, MAX_POINTS, WEEK_MINUTES, Strict

# A day's grants add up many red packets.
MAX_DAILY_POINTS = 10 * MAX_POINTS


class RewardGrantSettings(Strict):
    """`/红包 @成员 N 理由`: an admin grants points to one member."""

    max_points: int = Field(
        default=100, ge=1, le=MAX_POINTS, description="most points in one red packet"
    )
    # Counted from the ledger (kind "reward") within the group's local day.
    admin_daily_cap: int = Field(
        default=300, ge=0, le=MAX_DAILY_POINTS, description="points one admin may grant a day"
    )
    member_daily_cap: int = Field(
        default=100, ge=0, le=MAX_DAILY_POINTS, description="points one member may receive a day"
    )


class AdjustSettings(Strict):
    """`/积分 @成员 +N|-N 理由`: an admin adjusts a member's points, either way."""

    max_points: int = Field(
        default=500, ge=1, le=1_000_000, description="most points (either sign) in one adjustment"
    )
    # Counted from the ledger (kind "admin_adjust", absolute values) within the group's local
    # day, like the /红包 caps.
    admin_daily_cap: int = Field(
        default=2000, ge=0, le=100_000_000, description="points one admin may adjust a day"
    )
    member_daily_cap: int = Field(
        default=1000, ge=0, le=100_000_000, description="points one member's balance may move a day"
    )


class QuizQuestion(Strict):
    """A question in the bank; the first answer is the one revealed."""

    question: str = Field(min_length=1)
    answers: list[str] = Field(min_length=1)
    points: int | None = Field(default=None, ge=1, le=MAX_POINTS)

    @field_validator("question", mode="before")
    @classmethod
    def _question_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) else value

    @field_validator("answers", mode="before")
    @classmethod
    def _answers_as_text(cls, value: object) -> object:
        """`answers: [4, 四]` in YAML: a number is an answer too."""
        if isinstance(value, int | float | str):
            value = [value]
        if isinstance(value, list):
            return [str(v) if isinstance(v, int | float) else v for v in value]
        return value

    @field_validator("answers")
    @classmethod
    def _answers_not_blank(cls, answers: list[str]) -> list[str]:
        if any(not a.strip() for a in answers):
            raise ValueError("an answer must not be blank")
        return answers


class QuizSettings(Strict):
    """`/抢答 题目 | 答案 [N分] [限时M分钟]`, or a question from `bank`."""

    points: int = Field(default=20, ge=1, le=MAX_POINTS)
    max_points: int = Field(default=200, ge=1, le=MAX_POINTS)
    minutes: int = Field(default=10, ge=1, le=WEEK_MINUTES, description="default time limit")
    max_minutes: int = Field(default=1440, ge=1, le=WEEK_MINUTES)
    bank: list[QuizQuestion] = []

    @model_validator(mode="after")
    def _defaults_within_limits(self) -> QuizSettings:
        if self.points > self.max_points:
            raise ValueError("points must not exceed max_points")
        if self.minutes > self.max_minutes:
            raise ValueError("minutes must not exceed max_minutes")
        return self


class NoticeSettings(Strict):
    """`/通知 内容 [前N名] [M分]`: the first N members replying a keyword get M points."""

    keywords: list[str] = Field(default=["收到"], min_length=1)
    places: int = Field(default=10, ge=1, le=MAX_COUNT)
    max_places: int = Field(default=200, ge=1, le=MAX_COUNT)
    points: int = Field(default=5, ge=1, le=MAX_POINTS)
    max_points: int = Field(default=50, ge=1, le=MAX_POINTS)
    minutes: int = Field(
        default=60, ge=1, le=WEEK_MINUTES, description="the notice red packet closes after this"
    )

    @field_validator("keywords")
    @classmethod
    def _keywords_not_blank(cls, keywords: list[str]) -> list[str]:
        if any(not k.strip() for k in keywords):
            raise ValueError("a keyword must not be blank")
        return keywords


class DrawSettings(Strict):
    """`/抽奖 N名 M分`: N members among those who spoke or checked in today."""

    max_winners: int = Field(default=10, ge=1, le=MAX_COUNT)
    max_points: int = Field(default=100, ge=1, le=MAX_POINTS)
    exclude_admins: bool = True


class RewardsSettings(Strict):
    enabled: bool = True
    reward: RewardGrantSettings = RewardGrantSettings()
    # /积分 adjustments work whether or not the games are enabled.
    adjust: AdjustSettings = AdjustSettings()
    # A deduction (/积分 -N) never takes a balance below zero unless this is true.
    allow_negative_balance: bool = False
    # Points one member may win from quizzes, notice red packets and draws in a local day;
    # unset: no daily cap (each game still has its own max_points).
    game_member_daily_cap: int | None = Field(default=None, ge=1, le=100_000_000)
    quiz: QuizSettings = QuizSettings()
    notice: NoticeSettings = NoticeSettings()
    draw: DrawSettings = DrawSettings()
    ledger_lines: int = Field(default=10, ge=1, le=50, description="lines /账本 shows")
