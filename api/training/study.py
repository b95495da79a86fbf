"""When a course's study counts (pure): begun and ended with the worker's own live face,
for at least the course's required minutes, with the page in front throughout (leaving it
abandons the study, as the provincial apps do)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from infra.errors import ConflictError


class StudyState(StrEnum):
    WATCHING = "watching"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class AbandonReason(StrEnum):
    HIDDEN = "hidden"  # the page left the front (another app, the screen off)
    CLOSED = "closed"  # the page was closed or navigated away
    RESTARTED = "restarted"  # the worker began the course again


ABANDON_ZH = {
    AbandonReason.HIDDEN: "学习过程中离开了学习页面",
    AbandonReason.CLOSED: "学习过程中关闭了学习页面",
    AbandonReason.RESTARTED: "重新开始学习",
}


def time_left(started_at: datetime, required_minutes: int, now: datetime) -> timedelta:
    """How much longer the worker must study (zero when done)."""
    return max(started_at + timedelta(minutes=required_minutes) - now, timedelta(0))


def refuse_finish(
    state: StudyState, started_at: datetime, required_minutes: int, now: datetime
) -> None:
    """Raise :class:`ConflictError` unless a study in ``state`` may be completed now."""
    if state is StudyState.COMPLETED:
        raise ConflictError("this study is already completed", message_zh="该课程已学习完成")
    if state is StudyState.ABANDONED:
        raise ConflictError(
            "this study was abandoned: start the course again",
            message_zh="本次学习已中断，请重新开始学习",
        )
    left = time_left(started_at, required_minutes, now)
    if left > timedelta(0):
        minutes = -(-int(left.total_seconds()) // 60)
        raise ConflictError(
            f"{int(left.total_seconds())} s of the required study time remain",
            message_zh=f"学习时长不足，还需学习约{minutes}分钟",
        )
