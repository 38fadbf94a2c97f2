"""SQLAlchemy models, one module per feature; importing this package registers them all."""

from storage.models.activity import ActivityEntry
from storage.models.base import Base
from storage.models.broadcasts import (
    Broadcast,
    BroadcastDelivery,
    NoticePool,
    NoticePoolClaim,
    NoticePoolGroup,
)
from storage.models.camps import CampDay, CampMember, CampPair, CampReview
from storage.models.core import (
    Badge,
    Checkin,
    GroupState,
    LedgerEntry,
    LedgerTotal,
    Member,
)
from storage.models.health import HealthRun, Newcomer
from storage.models.highlights import Highlight
from storage.models.moderation import ModerationState, Violation, WhitelistedMember
from storage.models.outbox import OutboxRow
from storage.models.qa import FaqAlias, FaqEntry, QaAnswered, QaBacklog
from storage.models.relay import RelayLine, RelayQuestion, RelaySession
from storage.models.rewards import RewardDraw, RewardNotice, RewardNoticeClaim, RewardQuiz
from storage.models.rituals import RitualRun

__all__ = [
    "ActivityEntry",
    "Badge",
    "Base",
    "Broadcast",
    "BroadcastDelivery",
    "CampDay",
    "CampMember",
    "CampPair",
    "CampReview",
    "Checkin",
    "FaqAlias",
    "FaqEntry",
    "GroupState",
    "HealthRun",
    "Highlight",
    "LedgerEntry",
    "LedgerTotal",
    "Member",
    "ModerationState",
    "Newcomer",
    "NoticePool",
    "NoticePoolClaim",
    "NoticePoolGroup",
    "OutboxRow",
    "QaAnswered",
    "QaBacklog",
    "RelayLine",
    "RelayQuestion",
    "RelaySession",
    "RewardDraw",
    "RewardNotice",
    "RewardNoticeClaim",
    "RewardQuiz",
    "RitualRun",
    "Violation",
    "WhitelistedMember",
]
