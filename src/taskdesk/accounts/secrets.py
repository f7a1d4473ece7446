"""Secrets for API tokens, session cookies and CSRF: random, shown once, stored as sha256.

A token is 32 random bytes, so a plain sha256 is enough (nothing to brute-force), and a
lookup by hash compares hashes, never the secrets themselves."""

from __future__ import annotations

import hashlib
import secrets

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> str:
    """sha256 hex of a secret; any text (a hostile cookie too) hashes without raising."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
