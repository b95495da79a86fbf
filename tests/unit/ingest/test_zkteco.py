"""ZKTeco PUSH: attendance lines read as passes (totally: every line is a record or a bad
line), the options and command replies, and the terminal's command results."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ingest.vendors import zkteco
from streams.records import Direction, PassMethod

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_attendance_lines_become_passes_in_the_terminals_time_zone() -> None:
    body = (
        b"1001\t2026-11-30 07:58:12\t0\t15\t0\t0\t0\n"
        b"1002\t2026-11-30 18:01:00\t1\t4\t0\t0\t0\r\n"
        b"1003\t2026-11-30 12:00:00\t255\t1\n"
        b"\n\x00"
    )
    records, bad = zkteco.parse_attlog(body, zone=SHANGHAI, default=Direction.OUT)
    assert bad == []
    first, second, third = records
    assert first.occurred_at == datetime(2026, 11, 29, 23, 58, 12, tzinfo=UTC)
    assert (first.direction, first.method) == (Direction.IN, PassMethod.FACE)
    assert (second.direction, second.method) == (Direction.OUT, PassMethod.CARD)
    assert third.direction is Direction.OUT  # status not set: the terminal's own direction
    assert first.serial != second.serial and 0 <= first.serial < 2**63


def test_the_same_record_has_the_same_serial_and_bad_lines_are_kept_with_a_reason() -> None:
    line = "1001\t2026-11-30 07:58:12\t0\t15"
    once, _ = zkteco.parse_attlog(line.encode(), zone=SHANGHAI, default=Direction.IN)
    again, _ = zkteco.parse_attlog(line.encode(), zone=SHANGHAI, default=Direction.IN)
    assert once[0].serial == again[0].serial
    body = "\n".join(
        ["1001", "../x\t2026-11-30 07:58:12", "1001\t2026-13-30 07:58:12", "1001 2026-11-30"]
    ).encode()
    records, bad = zkteco.parse_attlog(body, zone=SHANGHAI, default=Direction.IN)
    assert records == [] and [b.number for b in bad] == [1, 2, 3, 4]
    assert "person number" in bad[1].reason and "time" in bad[2].reason


def test_space_separated_lines_and_gbk_bodies_are_read() -> None:
    spaced = b"1001 2026-11-30 07:58:12 0 15"
    [record], bad = zkteco.parse_attlog(spaced, zone=SHANGHAI, default=Direction.IN)
    assert bad == [] and record.method is PassMethod.FACE
    assert zkteco.decode("张三".encode("gbk")) == "张三"


def test_replies_and_command_results() -> None:
    options = zkteco.options_reply("CJDE1", utc_offset_hours=8)
    assert options.startswith("GET OPTION FROM: CJDE1\n") and "TimeZone=8" in options
    add = zkteco.user_command(7, "1001", "张\t三", None)
    assert add == (
        "C:7:DATA UPDATE USERINFO PIN=1001\tName=张 三\tPri=0\tPasswd=\tCard=\tGrp=1"
        "\tTZ=0000000000000000"
    )
    assert zkteco.delete_user_command(8, "1001") == "C:8:DATA DELETE USERINFO PIN=1001"
    assert zkteco.commands_reply([]) == "OK"
    results = zkteco.parse_command_results(
        b"ID=7&Return=0&CMD=DATA\nID=8&Return=-1002&CMD=DATA\ngarbage\nID=x&Return=0\n"
    )
    assert [(r.command_id, r.code) for r in results] == [(7, 0), (8, -1002)]


def test_the_firmware_is_the_first_field_of_a_polls_info() -> None:
    info = "Ver 8.0.4.3-20220317,12,0,3456,192.168.1.201,10,7,12,0,111"
    assert zkteco.firmware_of_info(info) == "Ver 8.0.4.3-20220317"
    assert zkteco.firmware_of_info("") is None
    assert zkteco.firmware_of_info(" ,1,2") is None
    assert len(zkteco.firmware_of_info("V" * 500) or "") == 64


def test_a_capture_photo_names_its_time_and_the_person_if_any() -> None:
    jpeg = b"\xff\xd8\xff\xe0 a picture \xff\xd9"
    stranger = zkteco.parse_attphoto(
        b"PIN=20261130083015.jpg\nSN=CJDE1\nsize=21\nCMD=uploadphoto\x00" + jpeg, zone=SHANGHAI
    )
    assert stranger.pin is None and stranger.jpeg == jpeg
    assert stranger.occurred_at == datetime(2026, 11, 30, 0, 30, 15, tzinfo=UTC)
    known = zkteco.parse_attphoto(
        b"PIN=20261130083015-77.jpg\nSN=CJDE1\nCMD=uploadphoto\n" + jpeg, zone=SHANGHAI
    )
    assert known.pin == "77" and known.serial != stranger.serial


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"PIN=20261130083015.jpg\nSN=CJDE1\n",
        b"PIN=yesterday.jpg\nCMD=uploadphoto\x00\xff\xd8",
        b"PIN=20261130083015-../x.jpg\nCMD=uploadphoto\x00\xff\xd8",
        b"PIN=20261130083015.jpg\nCMD=uploadphoto\x00GIF89a",
        b"\xff\xfe\x00CMD=uploadphoto",
    ],
)
def test_what_is_not_a_capture_photo_is_a_photo_error(body: bytes) -> None:
    with pytest.raises(zkteco.PhotoError):
        zkteco.parse_attphoto(body, zone=SHANGHAI)
