"""Password hashes: argon2id through argon2-cffi, with the library's current recommended parameters.

A hash made with older parameters still verifies, and ``needs_rehash`` tells the caller to store a new one.
Passwords are never logged, stored in clear or accepted on a command line (``entas users add`` prompts or
reads standard input).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from entas.errors import OpsError

MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (encoded with its salt and parameters)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OpsError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; False on a mismatch or an unreadable hash."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: store a fresh one after sign-in."""
    return _HASHER.check_needs_rehash(stored_hash)
