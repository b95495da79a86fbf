"""The pure payroll core: sealing, bank files and returns, wage tables, card rules."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from openpyxl import Workbook

from api.payroll.bank_files import GenericCsv, PaymentOrder, SheetHeader
from api.payroll.cards import ActiveCard, check_issuer, check_rebind
from api.payroll.sealing import DataSealer, load_public_key, open_bank_file, seal_for_bank
from api.payroll.wage_table import Payee, check_lines, parse_lines, read_table
from infra.errors import InvalidInputError


def fields_of(error: pytest.ExceptionInfo[InvalidInputError]) -> list[str]:
    return [problem.field for problem in error.value.problems]


def test_card_numbers_are_sealed_and_found_by_digest_without_opening() -> None:
    sealer = DataSealer("k" * 40)
    sealed = sealer.seal("6222020000000000000")
    assert b"6222020000000000000" not in sealed
    assert sealer.open(sealed) == "6222020000000000000"
    assert sealer.seal("6222020000000000000") != sealed  # a fresh nonce each time
    assert sealer.digest("6222020000000000000") == DataSealer("k" * 40).digest(
        "6222020000000000000"
    )
    assert sealer.digest("6222020000000000000") != DataSealer("x" * 40).digest(
        "6222020000000000000"
    )


def test_a_bank_file_opens_only_with_the_banks_private_key_and_checks_its_sum() -> None:
    bank = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = bank.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    envelope = seal_for_bank(b"H,1\nD,2\n", load_public_key(pem), {"sheet_id": 1})
    assert b"D,2" not in envelope and json.loads(envelope)["sheet_id"] == 1
    assert open_bank_file(envelope, bank) == b"H,1\nD,2\n"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidInputError):
        open_bank_file(envelope, stranger)
    tampered = json.loads(envelope)
    tampered["plaintext_sha256"] = "0" * 64
    with pytest.raises(InvalidInputError):
        open_bank_file(json.dumps(tampered).encode(), bank)


def test_the_generic_bank_file_has_header_details_and_a_checked_trailer() -> None:
    header = SheetHeader(7, "12345678901", "ICBC", date(2026, 10, 1))
    orders = [
        PaymentOrder(1, "韦小宝", "6222020000000000001", "ICBC", Decimal("5400.00")),
        PaymentOrder(2, "李四", "6217000000000000002", "CCB", Decimal("3200.50")),
    ]
    rows = list(csv.reader(io.StringIO(GenericCsv().export(header, orders).decode())))
    assert rows[0] == ["H", "7", "12345678901", "ICBC", "2026-10", "2", "8600.50"]
    assert rows[1][:6] == ["D", "1", "韦小宝", "6222020000000000001", "ICBC", "5400.00"]
    details = "".join(",".join(row) + "\n" for row in rows[1:3])
    assert rows[3] == ["T", "2", "8600.50", hashlib.sha256(details.encode()).hexdigest()]


def test_a_bank_return_names_every_bad_row_and_refuses_duplicates() -> None:
    good = (
        b"line_id,result,paid_on,bank_ref,reason\n"
        b"1,paid,2026-11-05,B001,\n2,failed,,,closed account\n"
    )
    lines = GenericCsv().parse_return(good)
    assert [(line.line_id, line.result) for line in lines] == [(1, "paid"), (2, "failed")]
    bad = (
        b"line_id,result,paid_on,bank_ref,reason\n"
        b"x,paid,2026-11-05,B1,\n1,maybe,,,\n2,paid,soon,,\n3,failed,,,\n4,paid,2026-11-05,B2,\n"
        b"4,paid,2026-11-05,B3,\n"
    )
    with pytest.raises(InvalidInputError) as refused:
        GenericCsv().parse_return(bad)
    assert fields_of(refused) == [
        "row 2.line_id",
        "row 3.result",
        "row 4.paid_on",
        "row 4.bank_ref",
        "row 5.reason",
        "row 7.line_id",
    ]
    with pytest.raises(InvalidInputError):
        GenericCsv().parse_return(b"\xff\xfe")


PAYEES = {
    "450103199001011234": Payee(1, "韦小宝", True, 11),
    "450103199001012345": Payee(2, "李四", False, 12),
    "450103199001013456": Payee(3, "王五", True, None),
}


def test_a_wage_table_in_csv_or_xlsx_with_chinese_headers_reads_the_same() -> None:
    csv_bytes = (
        "身份证号,姓名,出勤天数,工时,应发金额\n450103199001011234,韦小宝,22,176,5400\n".encode(
            "gb18030"
        )
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["身份证号", "姓名", "出勤天数", "工时", "应发金额"])
    sheet.append(["450103199001011234", "韦小宝", 22, 176, 5400])
    xlsx = io.BytesIO()
    book.save(xlsx)
    from_csv = parse_lines(read_table(csv_bytes, "text/csv"))
    from_xlsx = parse_lines(read_table(xlsx.getvalue(), "application/octet-stream"))
    assert from_csv == from_xlsx
    checked = check_lines(from_csv, PAYEES)
    assert (checked[0].worker_id, checked[0].card_id, checked[0].amount) == (1, 11, Decimal(5400))


def test_every_bad_line_is_named_with_its_reason() -> None:
    rows = [
        {"id_number": "450103199001011234", "name": "韦小宝", "days_worked": 22, "amount": "0"},
        {"id_number": "450103199001011234", "name": "韦小宝", "days_worked": 40, "amount": "10"},
        {"id_number": "450103199001011234", "name": "韦小宝", "days_worked": 2, "amount": "1.234"},
    ]
    with pytest.raises(InvalidInputError) as formatted:
        parse_lines(rows)
    assert fields_of(formatted) == ["lines.1.amount", "lines.2.days_worked", "lines.3.amount"]
    table = parse_lines(
        [
            {
                "id_number": "450103199001011234",
                "name": "韦小宝",
                "days_worked": 22,
                "amount": 5400,
            },
            {"id_number": "450103199001011234", "name": "韦小宝", "days_worked": 1, "amount": 200},
            {"id_number": "450103199001012345", "name": "李四", "days_worked": 3, "amount": 600},
            {"id_number": "450103199001013456", "name": "王五", "days_worked": 3, "amount": 600},
            {"id_number": "450103199001019999", "name": "赵六", "days_worked": 3, "amount": 600},
            {"id_number": "450103199001011234", "name": "韦大宝", "days_worked": 3, "amount": 600},
        ]
    )
    with pytest.raises(InvalidInputError) as checked:
        check_lines(table, PAYEES)
    reasons = [problem.reason for problem in checked.value.problems]
    assert reasons == [
        "duplicate line (same worker as row 1)",
        "worker not on the project's roster that month",
        "worker has no bank card bound",
        "no registered worker has this ID number",
        "does not match the registered name",
    ]


NOV = datetime(2026, 11, 10, 4, tzinfo=UTC)


def test_a_card_must_be_issued_by_the_bank_chosen_and_eligible_in_the_region() -> None:
    check_issuer("ICBC", "ICBC", {"ICBC", "CCB"})
    for chosen, issuer, eligible, field in (
        ("ICBC", None, {"ICBC"}, "card_number"),
        ("ICBC", "CCB", {"ICBC", "CCB"}, "card_number"),
        ("BOCOM", "BOCOM", {"ICBC"}, "bank_code"),
    ):
        with pytest.raises(InvalidInputError) as refused:
            check_issuer(chosen, issuer, eligible)
        assert fields_of(refused) == [field]


def test_a_rebind_is_once_a_beijing_month_and_only_to_the_same_issuer() -> None:
    card = ActiveCard(5, "ICBC", datetime(2026, 9, 1, tzinfo=UTC))
    assert check_rebind(card, None, "ICBC", NOV) is card
    assert check_rebind(card, datetime(2026, 10, 31, 15, tzinfo=UTC), "ICBC", NOV) is card
    with pytest.raises(InvalidInputError, match="once a calendar month"):
        # 16:30 UTC on 31 October is already 1 November in Beijing
        check_rebind(card, datetime(2026, 10, 31, 16, 30, tzinfo=UTC), "ICBC", NOV)
    with pytest.raises(InvalidInputError, match="issuing bank ICBC"):
        check_rebind(card, None, "CCB", NOV)
    with pytest.raises(InvalidInputError, match="no card is bound"):
        check_rebind(None, None, "ICBC", NOV)
