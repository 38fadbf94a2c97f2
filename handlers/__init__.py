"""The route list: one ordered list, read top to bottom. The first STOP ends a message.

Order matters: admin commands first (so /pause and /resume work when paused), then
feature commands, then keyword features (check-ins), then free-text features (Q&A,
nudges) which look at whatever is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.config import AppConfig
from bot.context import Context
from bot.router import Route
from bot.sender import Sender
from handlers import (
    activity,
    admin,
    broadcast,
    camp_posts,
    camp_reviews,
    camps,
    checkin,
    highlights,
    moderation,
    nudge,
    qa,
    qa_service,
    relay,
    rewards,
    rituals,
    set_boards,
    spam,
)
from handlers import stats as stats
from handlers import welcome as welcome
from scheduler import health_jobs
from scheduler.service import SchedulerService
from storage.uow import UnitOfWorkFactory

ROUTES: list[Route[Any]] = [
    # 1. the activity log sees every event (CONTINUE), even in paused groups
    *activity.ROUTES,
    # 2. admin commands (/pause and /resume work while paused)
    *admin.ROUTES,
    # 2b. broadcasts to group sets (/群发), an admin command like those above
    *broadcast.ROUTES,
    # 2b. live relay: /转播; a /红包 about a relayed question (before the red-packet command:
    # it pays in the asker's own group); a speaker's lines (relayed, and taken: not checked
    # as chat, not a check-in)
    *relay.COMMANDS,
    *relay.SPEAKER_ROUTES,
    # 3. spam control: /nudge, /白名单, /违规, then every message is classified
    *nudge.COMMANDS,
    *spam.ROUTES,
    # 3b. live relay: `#提问` in a group a relay posts into
    *relay.QUESTION_ROUTES,
    # 4. boards across a group set (`/排行 SET`, `/统计 SET`; other arguments continue to
    # the group's own /排行 and /统计), then check-ins
    *set_boards.ROUTES,
    *checkin.ROUTES,
    # 4b. check-in camps (打卡营), next to the check-ins they count: their commands, then
    # `#点评` peer reviews, taken here before the highlight tags (#精华) and the free-text
    # features (Q&A, nudges) can read a review as a question or as chatter
    *camps.ROUTES,
    *camp_reviews.ROUTES,
    # 5. rewards: commands, quiz answers, notice replies
    *rewards.ROUTES,
    # 6. rituals and highlights commands
    *rituals.ROUTES,
    *highlights.ROUTES,
    # 7. welcome and stats
    *welcome.ROUTES,
    *stats.ROUTES,
    # 8. Q&A: /faq admin commands, then answers to whatever looks like a question
    *qa.ROUTES,
    # 9. off-topic nudges, last
    *nudge.ROUTES,
]


@dataclass(frozen=True)
class ServiceDeps:
    """What a feature service may be built from."""

    config: AppConfig  # the config at start; ReloadAware services get later ones
    uow: UnitOfWorkFactory
    clock: Clock
    sender: Sender
    scheduler: SchedulerService
    context_for: Callable[[str], Context]  # a job's context for a group (silent when paused)


# Long-lived feature services, built once per App in this order.
SERVICE_FACTORIES: list[Callable[[ServiceDeps], object]] = [
    lambda deps: qa_service.QaService(deps.config, deps.uow),  # FAQ index
    lambda deps: activity.ActivityLog(deps.uow),
    moderation.moderation_service,  # classifiers, drift windows, whitelist
    rewards.make_service,  # open quizzes and notice red packets, reloaded at start
    rituals.ritual_service,
    camp_posts.camp_service,
    relay.relay_service,  # running live relays and their merge-window jobs  # the camps' task posts, reminders and closing posts
    # welcome batches and the newcomer guide; retention and the weekly picture
    lambda deps: welcome.WelcomeService(deps.scheduler, deps.uow, deps.context_for),
    lambda deps: health_jobs.HealthJobs(deps.scheduler, deps.uow, deps.context_for, deps.config),
    broadcast.broadcast_service,  # the pump that sends broadcasts group by group
]
