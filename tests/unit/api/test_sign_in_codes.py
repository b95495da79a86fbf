"""The pre-shift sign-in codes: signed, two minutes long, of one kind, not forgeable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.mobile.qr_images import qr_svg, read_qr
from api.mobile.sign_in_codes import CodeKind, code_key, issue_code, read_code
from infra.errors import InvalidInputError
from tests.qr_frames import camera_frame_of

KEY = code_key("a token secret of at least thirty-two characters")
NOW = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)


def refusal(text: str, *, at: datetime = NOW, expect: CodeKind = CodeKind.WORKER) -> str:
    with pytest.raises(InvalidInputError) as refused:
        read_code(KEY, text, at, expect=expect)
    [problem] = refused.value.problems
    assert problem.field == "code"
    return problem.message_zh


def test_a_code_reads_back_until_it_expires() -> None:
    text, expires_at = issue_code(KEY, CodeKind.PROJECT, "P.001", NOW)
    assert expires_at == NOW + timedelta(minutes=2)
    code = read_code(KEY, text, NOW + timedelta(seconds=119), expect=CodeKind.PROJECT)
    assert (code.kind, code.subject, code.expires_at) == (CodeKind.PROJECT, "P.001", expires_at)
    again, _ = issue_code(KEY, CodeKind.PROJECT, "P.001", NOW)
    assert read_code(KEY, again, NOW, expect=CodeKind.PROJECT).nonce != code.nonce
    assert refusal(text, at=NOW + timedelta(seconds=121), expect=CodeKind.PROJECT).startswith(
        "二维码已过期"
    )
    assert refusal(text) == "请扫描工人的个人建设码"
    assert "<svg" in qr_svg(text)


def test_forged_altered_and_foreign_codes_are_refused() -> None:
    text, _ = issue_code(KEY, CodeKind.WORKER, "12", NOW)
    assert read_code(KEY, text, NOW, expect=CodeKind.WORKER).subject == "12"
    other_worker = text.replace("~12~", "~13~")
    assert refusal(other_worker) == "二维码无效（校验失败）"
    later = text.split("~")
    later[3] = str(int(later[3]) + 3600)
    assert refusal("~".join(later)) == "二维码无效（校验失败）"
    someone_elses, _ = issue_code(
        code_key("another secret of thirty-two characters!!"), CodeKind.WORKER, "12", NOW
    )
    assert refusal(someone_elses) == "二维码无效（校验失败）"
    for garbage in ("", "hello", "SP1~w~12~soon~n~s", "https://example.com/?c=1"):
        assert refusal(garbage) == "不是有效的签到二维码"


def test_every_sign_in_code_is_read_back_from_a_camera_frame() -> None:
    # OpenCV's classic detector alone missed about one in sixty of these.
    key, now = code_key("k" * 32), datetime(2026, 12, 1, tzinfo=UTC)
    for worker in range(200):
        text, _ = issue_code(key, CodeKind.WORKER, str(worker), now)
        assert read_qr(camera_frame_of(text)) == text
