"""The quality gate before matching and enrolment: size, blur, brightness, pose.

Pure: takes the frame and a detection, returns the reasons a face is not good enough
(an empty list when it is). Each reason is a code and a Chinese message for the UI.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from streams.faces.detector import DetectedFace


@dataclass(frozen=True)
class QualityRules:
    min_face_px: float = 60.0  # shorter side of the box
    min_sharpness: float = 40.0  # variance of the Laplacian inside the box
    min_brightness: float = 50.0  # mean grey level inside the box
    max_brightness: float = 215.0
    max_yaw_ratio: float = 0.35  # nose offset from the eyes' midpoint / eye distance


@dataclass(frozen=True)
class QualityProblem:
    code: str
    detail: str
    message_zh: str


def assess(
    frame_bgr: npt.NDArray[np.uint8], face: DetectedFace, rules: QualityRules = QualityRules()
) -> list[QualityProblem]:
    problems: list[QualityProblem] = []
    x, y, w, h = face.box
    if min(w, h) < rules.min_face_px:
        problems.append(
            QualityProblem(
                "too_small",
                f"face is {min(w, h):.0f}px, needs {rules.min_face_px:.0f}px",
                "人脸过小，请靠近摄像头",
            )
        )
    top, left = max(int(y), 0), max(int(x), 0)
    crop = frame_bgr[top : max(int(y + h), top + 1), left : max(int(x + w), left + 1)]
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.size else np.zeros((1, 1), np.uint8)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    if sharpness < rules.min_sharpness:
        problems.append(
            QualityProblem(
                "blurred",
                f"sharpness {sharpness:.0f} below {rules.min_sharpness:.0f}",
                "图像模糊，请保持静止",
            )
        )
    brightness = float(grey.mean())
    if brightness < rules.min_brightness:
        problems.append(QualityProblem("too_dark", f"brightness {brightness:.0f}", "光线过暗"))
    elif brightness > rules.max_brightness:
        problems.append(QualityProblem("too_bright", f"brightness {brightness:.0f}", "光线过亮"))
    right_eye, left_eye, nose = face.landmarks[0], face.landmarks[1], face.landmarks[2]
    eye_distance = float(np.linalg.norm(left_eye - right_eye))
    yaw = abs(float(nose[0] - (left_eye[0] + right_eye[0]) / 2)) / max(eye_distance, 1e-6)
    if yaw > rules.max_yaw_ratio:
        problems.append(QualityProblem("turned_away", f"yaw ratio {yaw:.2f}", "请正对摄像头"))
    return problems
