"""Whether a phone's clock-in counts (pure): inside the fence, located precisely enough,
taken now, not a repeat, and the worker's own face. Each refusal names its field and
says why in Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from api.mobile.geofence import Fence, Point
from infra.errors import FieldProblem

#: A second clock-in of the same worker at the same project within this is refused.
REPEAT_WINDOW = timedelta(seconds=60)
#: How far the phone's clock may be from the server's.
CLOCK_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class Attempt:
    point: Point
    accuracy_m: float
    captured_at: datetime


def place_problems(
    attempt: Attempt, fence: Fence, *, max_accuracy_m: float, now: datetime, last: datetime | None
) -> list[FieldProblem]:
    """What is wrong with where and when the clock-in was taken (empty: nothing)."""
    problems = []
    if abs(attempt.captured_at - now) > CLOCK_TOLERANCE:
        problems.append(
            FieldProblem(
                "captured_at",
                "is more than 5 minutes from the server's time",
                "手机时间与服务器时间相差超过5分钟，请校准手机时间后重试",
            )
        )
    if attempt.accuracy_m > max_accuracy_m:
        problems.append(
            FieldProblem(
                "accuracy_m",
                f"accuracy {attempt.accuracy_m:.0f} m is worse than {max_accuracy_m:.0f} m",
                f"定位精度不足（约{attempt.accuracy_m:.0f}米，需优于{max_accuracy_m:.0f}米），"
                "请到开阔处或打开GPS后重试",
            )
        )
    elif not fence.contains(attempt.point):
        away = fence.distance_from(attempt.point)
        problems.append(
            FieldProblem(
                "latitude",
                f"outside the project's clock-in fence ({away:.0f} m from its centre)",
                f"不在项目打卡范围内（距项目中心约{away:.0f}米）",
            )
        )
    if last is not None and now - last < REPEAT_WINDOW:
        problems.append(
            FieldProblem(
                "project_id",
                "clocked in less than a minute ago",
                "打卡过于频繁，请1分钟后再试",
            )
        )
    return problems


def face_problem(score: float, threshold: float) -> FieldProblem | None:
    if score >= threshold:
        return None
    return FieldProblem(
        "selfie_jpeg",
        f"the selfie does not match the enrolled face (score {score:.2f})",
        "人脸核验未通过：自拍与登记人脸不一致",
    )
