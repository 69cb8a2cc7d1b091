"""UPU S10 item identifiers (EMS track numbers such as EE471108151KZ)."""

from __future__ import annotations

import re

_S10 = re.compile(r"^[A-Z]{2}\d{8}\d[A-Z]{2}$")
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def check_digit(serial: str) -> int:
    """The S10 check digit of an 8-digit serial number."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError("serial must be 8 digits")
    c = 11 - sum(int(d) * w for d, w in zip(serial, _WEIGHTS)) % 11
    return {10: 0, 11: 5}.get(c, c)


def normalize(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def s10_error(value: str) -> str | None:
    """Why `value` is not a valid S10 number, or None when it is."""
    if not _S10.match(value):
        return "must look like EE123456789KZ: 2 letters, 9 digits, 2 letters"
    if int(value[10]) != check_digit(value[2:10]):
        return "wrong check digit"
    return None


def is_valid_s10(value: str) -> bool:
    return s10_error(value) is None
