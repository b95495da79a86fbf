"""Validation and masking of Chinese identity data (pure functions, no I/O).

- Resident ID numbers (居民身份证号码), GB 11643-1999: 6-digit region, 8-digit birth date,
  3-digit sequence (odd: male), ISO 7064 MOD 11-2 check character.
- Unified social credit codes (统一社会信用代码), GB 32100-2015: 18 characters, MOD 31 check.
- Bank card numbers: the Luhn check.
- Mainland mobile numbers: 11 digits starting 1[3-9].

Every failure raises :class:`~infra.errors.InvalidInputError` naming the field, an English
reason and a Chinese message. Full values never go into a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from infra.errors import FieldProblem, InvalidInputError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


@dataclass(frozen=True)
class ResidentId:
    number: str
    region_code: str
    birth_date: date
    gender: Gender

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)

    @property
    def initial_password(self) -> str:
        """As the provincial platforms do: the last six characters of the ID number."""
        return self.number[-6:]


def _fail(field: str, reason: str, zh: str) -> InvalidInputError:
    return InvalidInputError([FieldProblem(field, reason, zh)])


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def parse_resident_id(
    raw: str, *, field: str = "id_number", today: date | None = None
) -> ResidentId:
    """Validate an 18-character resident ID number and derive birth date and gender."""
    number = raw.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise _fail(
            field,
            "must be 18 characters: 17 digits and a digit or X",
            "身份证号码应为18位（最后一位可为X）",
        )
    if number[0] == "0":
        raise _fail(field, "region code cannot start with 0", "身份证号码地区码不正确")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _fail(
            field, "birth date part is not a real date", "身份证号码中的出生日期不正确"
        ) from None
    if born.year < 1900 or born > (today or date.today()):
        raise _fail(field, "birth date part is out of range", "身份证号码中的出生日期不正确")
    if id_check_character(number[:17]) != number[17]:
        raise _fail(field, "check character does not match (GB 11643)", "身份证号码校验位不正确")
    gender = Gender.MALE if int(number[16]) % 2 else Gender.FEMALE
    return ResidentId(number=number, region_code=number[:6], birth_date=born, gender=gender)


def uscc_check_character(first17: str) -> str:
    total = sum(
        _USCC_CHARS.index(char) * weight
        for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_credit_code(raw: str, *, field: str = "credit_code") -> str:
    """Validate a unified social credit code; returns it normalised to upper case."""
    code = raw.strip().upper()
    if len(code) != 18 or any(char not in _USCC_CHARS for char in code):
        raise _fail(
            field,
            "must be 18 characters of 0-9 and A-Z without I, O, S, V, Z",
            "统一社会信用代码应为18位数字或大写字母",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise _fail(
            field, "check character does not match (GB 32100)", "统一社会信用代码校验位不正确"
        )
    return code


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def validate_bank_card(raw: str, *, field: str = "bank_card") -> str:
    """Validate a bank card number (12-19 digits, Luhn); returns the digits alone."""
    digits = re.sub(r"[\s-]", "", raw)
    if not re.fullmatch(r"\d{12,19}", digits):
        raise _fail(field, "must be 12 to 19 digits", "银行卡号应为12至19位数字")
    if not luhn_valid(digits):
        raise _fail(field, "check digit does not match (Luhn)", "银行卡号校验不正确")
    return digits


def validate_mobile(raw: str, *, field: str = "phone") -> str:
    number = re.sub(r"[\s-]", "", raw).removeprefix("+86")
    if not re.fullmatch(r"1[3-9]\d{9}", number):
        raise _fail(field, "must be an 11-digit mainland mobile number", "手机号码应为11位有效号码")
    return number


def mask_id_number(number: str) -> str:
    """``450702199001011234`` → ``4507************34``."""
    return number[:4] + "*" * max(len(number) - 6, 0) + number[-2:]


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``王小明`` → ``王*明``."""
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_bank_card(digits: str) -> str:
    return digits[:4] + "*" * max(len(digits) - 6, 0) + digits[-2:]


def mask_mobile(number: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return number[:3] + "****" + number[-4:]
