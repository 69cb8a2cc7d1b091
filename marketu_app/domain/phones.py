"""Phone numbers as people type them in Kazakhstan, normalised to E.164."""

from __future__ import annotations

import re

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalize_phone(raw: str) -> str | None:
    """`8 701 123 45 67`, `+7 (701) 123-45-67`, `87011234567` -> `+77011234567`.

    Returns None when the text is not a phone number.
    """
    text = raw.strip()
    if not text or re.search(r"[^\d\s()+\-.]", text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        candidate = "+" + digits
    elif len(digits) == 11 and digits[0] in "78":
        candidate = "+7" + digits[1:]  # the Kazakh/Russian trunk prefix 8 means +7
    elif len(digits) == 10 and digits[0] == "7":
        candidate = "+7" + digits  # 701 123 45 67 without any prefix
    else:
        return None
    return candidate if _E164.match(candidate) else None


def looks_like_email(text: str) -> bool:
    return "@" in text
