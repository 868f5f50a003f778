"""Validation shared by every text field: length limits and no control characters."""

import re
from typing import Annotated
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator

# Newlines and tabs are allowed in long text; every other C0/C1 control character is not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

NAME_MAX = 255
TEXT_MAX = 10_000
URL_MAX = 2_048


def reject_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def require_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError("must be an absolute http(s) URL")
    return value


def require_email(value: str) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not an email address: {exc}") from None
    return value


CleanText = Annotated[str, AfterValidator(reject_control_characters)]
HttpUrl = Annotated[
    str, AfterValidator(reject_control_characters), AfterValidator(require_http_url)
]
Email = Annotated[str, AfterValidator(reject_control_characters), AfterValidator(require_email)]
