"""Which workers an alert concerns, and what kind of notice it is to them (pure).

An alert about a worker (subject ``worker:12@P001``) concerns that worker; an alert whose
evidence names ``notify_workers`` (everyone owed a month's wages) concerns each of them.
The worker app files each notice under a kind the worker can mute.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from alerts.rules import WAGE_RULES


class NoticeKind(StrEnum):
    WAGES = "wages"  # 工资：拖欠、发放、结清
    ATTENDANCE = "attendance"  # 考勤：未刷卡离场、在场超时
    SYSTEM = "system"  # 平台消息


NOTICE_KIND_ZH = {
    NoticeKind.WAGES: "工资通知",
    NoticeKind.ATTENDANCE: "考勤通知",
    NoticeKind.SYSTEM: "平台消息",
}


def notice_kind(rule: str) -> NoticeKind:
    return NoticeKind.WAGES if rule in WAGE_RULES else NoticeKind.ATTENDANCE


def worker_of_subject(subject: str) -> str | None:
    """The worker an alert is about (``worker:12@P001`` → ``12``), if any."""
    kind, _, rest = subject.partition(":")
    worker = rest.split("@", 1)[0]
    return worker if kind == "worker" and _is_worker_id(worker) else None


def workers_of_alert(subject: str, evidence: dict[str, Any]) -> list[str]:
    """The workers an alert concerns: the one it is about, and those its evidence names to
    be told (``notify_workers``: e.g. everyone owed a month's wages)."""
    named = evidence.get("notify_workers")
    workers = (
        [w for w in named if isinstance(w, str) and _is_worker_id(w)]
        if isinstance(named, list)
        else []
    )
    about = worker_of_subject(subject)
    return sorted({*workers, *([about] if about else [])})


def _is_worker_id(text: str) -> bool:
    return text.isascii() and text.isdigit()


#: The transitions a worker hears of: a problem that concerns them, and its end.
WORKER_TRANSITIONS = {"opened": "", "reopened": "（再次出现）", "cleared": "（已解决）"}


def worker_notice(kind: NoticeKind, message_zh: str, transition: str) -> tuple[str, str]:
    """The title and text of a worker's notice of an alert transition."""
    return f"{NOTICE_KIND_ZH[kind]}{WORKER_TRANSITIONS.get(transition, '')}", message_zh
