"""Phone numbers: one person per number, normalised to E.164, shown masked."""

from __future__ import annotations

import unicodedata

import phonenumbers

from app.core.errors import Invalid


class InvalidPhone(ValueError):
    pass


def narrow(raw: str) -> str:
    """NFKC: full-width digits, plus signs and spaces (１３８, ＋, U+3000) as their ASCII forms."""
    return unicodedata.normalize("NFKC", raw)


def normalize(raw: str, region: str = "CN") -> str:
    """E.164 form of a number, or InvalidPhone with the reason.

    The one normalisation of every path (registration, sign-in, ingestion, imports): NFKC
    first, so full-width digits and plus signs (１３８…, ＋８６) read as the ASCII ones.
    """
    raw = narrow(raw or "")
    if not raw.strip():
        raise InvalidPhone("a phone number is required")
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        reason = exc.args[0] if exc.args else "unparseable"
        raise InvalidPhone(f"not a phone number ({reason})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_field(raw: str, field: str = "phone", region: str = "CN") -> str:
    try:
        return normalize(raw, region)
    except InvalidPhone as exc:
        raise Invalid(field, str(exc)) from None


def mask(e164: str) -> str:
    """`+8613800000001` -> `+86 138****0001`: enough to recognise, not enough to call."""
    parsed = phonenumbers.parse(e164, None)
    national = str(parsed.national_number)
    if len(national) <= 4:
        hidden = "*" * len(national)
    else:
        keep_head = 3 if len(national) >= 10 else 1
        hidden = national[:keep_head] + "*" * (len(national) - keep_head - 4) + national[-4:]
    return f"+{parsed.country_code} {hidden}"
