"""Password hashes with argon2id (argon2-cffi). Verifying never raises: a wrong password, a
malformed or foreign hash all mean "no". An unknown user costs a verification too, so that
the time a login takes does not tell whether the name exists."""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: A password no one is asked for: what an unknown user's login is verified against.
_DUMMY = "taskdesk: no such user"


class Passwords:
    """Hash and verify; `hasher` lets tests trade strength for speed."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """True only when the password matches a well-formed hash."""
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):  # a mismatch, a malformed hash
            return False
        except (ValueError, TypeError):  # a lone surrogate, a hash of another kind
            return False

    def verify_nobody(self, password: str) -> bool:
        """Spend what a real verification costs, and answer no."""
        self.verify(self._dummy_hash, password)
        return False

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash(_DUMMY)
