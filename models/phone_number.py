"""UK phone numbers and the short codes a person in danger may need to dial."""

import re

import phonenumbers

# Short codes are not valid phonenumbers "numbers", so they are allowed by name:
# 999/112 emergency, 101 police non-emergency, 111 NHS, 18000/18001 Relay UK prefixes,
# 116 xxx European harmonised helplines, 55 the silent solution key press.
SHORT_CODES = re.compile(r"^(999|112|101|111|18000|18001|116\d{3}|55)$")


def normalise_phone_number(value: str) -> str:
    """Accept a UK number or allowed short code; keep the human spacing people dial from."""
    compact = re.sub(r"[\s\-()]", "", value)
    if SHORT_CODES.match(compact):
        return compact
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from None
    if parsed.country_code != 44 or not phonenumbers.is_valid_number(parsed):
        raise ValueError("must be a valid UK phone number or an allowed short code")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
