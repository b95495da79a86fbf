from __future__ import annotations

from datetime import date

import pytest

from api.auth.passwords import check_new_password
from api.identity import (
    Gender,
    id_check_character,
    mask_bank_card,
    mask_id_number,
    mask_mobile,
    parse_resident_id,
    validate_bank_card,
    validate_credit_code,
    validate_mobile,
)
from infra.errors import InvalidInputError


def reason(error: pytest.ExceptionInfo[InvalidInputError]) -> str:
    return error.value.problems[0].reason


def test_a_published_sample_id_number_parses_with_derived_fields() -> None:
    parsed = parse_resident_id("11010519491231002x")
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender is Gender.FEMALE  # 17th digit 2 is even
    assert parsed.region_code == "110105"
    assert parsed.initial_password == "31002X"
    assert parsed.masked == "1101************2X"


def test_a_male_id_number() -> None:
    first17 = "45070219900101123"  # sequence digit 3: male
    assert parse_resident_id(first17 + id_check_character(first17)).gender is Gender.MALE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002", "18 characters"),
        ("1101051949123100XX", "18 characters"),
        ("110105194913310020", "not a real date"),  # month 13
        ("110105210001010013", "out of range"),  # born in 2100
        ("110105194912310021", "check character"),
        ("010105194912310020", "region code"),
    ],
)
def test_bad_id_numbers_say_why_without_echoing_the_number(raw: str, expected: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_resident_id(raw)
    assert expected in reason(caught)
    assert raw not in str(caught.value)
    assert caught.value.problems[0].field == "id_number"
    assert caught.value.problems[0].message_zh.startswith("身份证号码")


def test_credit_codes() -> None:
    assert validate_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    with pytest.raises(InvalidInputError) as caught:
        validate_credit_code("91350100M000100Y44")
    assert "GB 32100" in reason(caught)
    with pytest.raises(InvalidInputError):
        validate_credit_code("91350100M000100YI3")  # I is not in the code alphabet


def test_bank_cards_use_luhn_and_are_masked() -> None:
    assert validate_bank_card("6222 0212 3456 7890 128") == "6222021234567890128"
    with pytest.raises(InvalidInputError) as caught:
        validate_bank_card("6222021234567890127")
    assert "Luhn" in reason(caught)
    assert mask_bank_card("4507123456789012390") == "4507*************90"


def test_mobiles() -> None:
    assert validate_mobile("+86 138-1234-5678") == "13812345678"
    with pytest.raises(InvalidInputError):
        validate_mobile("12812345678")
    assert mask_mobile("13812345678") == "138****5678"


def test_masking_keeps_four_and_two() -> None:
    assert mask_id_number("450702199001011234") == "4507************34"


@pytest.mark.parametrize(
    ("password", "expected"),
    [("abc123", "at least 8"), ("abcdefgh", "letters and digits"), ("12345678", "letters")],
)
def test_new_passwords_need_eight_characters_with_letters_and_digits(
    password: str, expected: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_new_password(password)
    assert expected in reason(caught)
    check_new_password("site2026pulse")
