"""When a study of a safety course may be completed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.training.study import StudyState, refuse_finish, time_left
from infra.errors import ConflictError

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_time_left_counts_down_to_zero() -> None:
    assert time_left(START, 30, START + timedelta(minutes=10)) == timedelta(minutes=20)
    assert time_left(START, 30, START + timedelta(minutes=45)) == timedelta(0)


def test_a_study_completes_only_when_watching_and_its_minutes_are_done() -> None:
    refuse_finish(StudyState.WATCHING, START, 30, START + timedelta(minutes=30))
    with pytest.raises(ConflictError) as early:
        refuse_finish(StudyState.WATCHING, START, 30, START + timedelta(minutes=28, seconds=30))
    assert early.value.message_zh == "学习时长不足，还需学习约2分钟"
    for state, said in ((StudyState.ABANDONED, "重新开始"), (StudyState.COMPLETED, "已学习完成")):
        with pytest.raises(ConflictError) as refused:
            refuse_finish(state, START, 30, START + timedelta(hours=1))
        assert said in (refused.value.message_zh or "")
