"""What a user name, a password and a token label may be: checked before anything is stored,
each refused with one message that says what is allowed."""

from __future__ import annotations

import re

from taskdesk.errors import BadExpiry, BadLabel, BadPassword, BadUserName
from taskdesk.text import storable, visible

MAX_NAME = 64  # characters
MIN_PASSWORD = 8  # characters
MAX_PASSWORD = 1_024  # characters: argon2 hashes any length, but a login must stay cheap
MAX_LABEL = 128  # characters
MAX_SHOWN = 40  # characters of a refused name repeated in its error message
MAX_EXPIRY_DAYS = 3_650  # days: a token's lifetime, at most ten years

_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")


def is_user_name(name: str) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def check_user_name(name: str) -> str:
    """The name, or BadUserName (ASCII letters and digits only: no look-alike names; not only
    dots, which a URL path folds away: `/api/users/..` is `/api/`)."""
    if not is_user_name(name) or not name.strip("."):
        raise BadUserName(f"bad user name {named(name)}: use 1 to {MAX_NAME} letters, digits, "
                          "'.', '_', '@' or '-', not only dots")
    return name


def check_password(password: str) -> str:
    """The password, or BadPassword; never repeats the password in the message."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise BadPassword(f"a password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if not _is_text(password):
        raise BadPassword("a password must be text: it holds a NUL or a lone surrogate")
    return password


def check_label(label: str) -> str:
    """The label, or BadLabel."""
    if not isinstance(label, str) or len(label) > MAX_LABEL or not _is_text(label):
        raise BadLabel(f"a token label must be at most {MAX_LABEL} characters of text "
                       "(no NUL, no lone surrogate)")
    return label


def check_expiry_days(days: float) -> float:
    """Days until a token expires, or BadExpiry saying what is allowed (NaN is refused too)."""
    if isinstance(days, bool) or not isinstance(days, int | float) or not (
            0 < days <= MAX_EXPIRY_DAYS):
        raise BadExpiry(f"a token's expiry must be more than 0 and at most {MAX_EXPIRY_DAYS} "
                        "days")
    return float(days)


def _is_text(value: str) -> bool:
    """Storable everywhere: UTF-8 encodable (no lone surrogate) and no NUL (PostgreSQL)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fit(text: str, limit: int) -> str:
    """Text from outside (an actor, an address) made storable in a column of `limit`
    characters: NUL and lone surrogates escaped, then cut."""
    return storable(str(text)[:limit])[:limit]


def named(name: str) -> str:
    """A name from outside, quoted for a message: escaped and cut."""
    return repr(visible(str(name)[:MAX_SHOWN]))
