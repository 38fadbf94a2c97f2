"""How ledger lines read to members: one Chinese label per kind, used by every reply.

Every feature that writes a ledger kind adds its label here, so `/统计`, `/账本` and the
digests never show the internal kind names.
"""

from __future__ import annotations

LEDGER_KIND_LABELS: dict[str, str] = {
    "checkin": "打卡",
    "makeup": "补卡",
    "admin_adjust": "管理员调整",
    "reward": "红包",
    "quiz": "抢答",
    "notice": "通知红包",
    "draw": "抽奖",
    "camp_review": "作业点评",
    "camp_excellent": "优秀作业",
    "camp_peer": "互评",
}
OTHER_KIND = "其他"


def kind_label(kind: str) -> str:
    """The Chinese label of a ledger kind (never the internal name)."""
    return LEDGER_KIND_LABELS.get(kind, OTHER_KIND)


def describe_line(kind: str, reason: str) -> str:
    """`红包：优秀作业`. A reason that already starts with its label (older lines were stored
    as `通知红包：…`, `抢答：…`) is not prefixed twice."""
    label = kind_label(kind)
    reason = reason.strip()
    if not reason:
        return label
    if reason.startswith(label):
        return reason
    return f"{label}：{reason}"
