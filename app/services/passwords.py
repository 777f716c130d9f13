"""Password hashing (argon2id) and the password policy."""
from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

from app.i18n import lazy_gettext as _l

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn score (0-4); 3 means "safely unguessable" (about 10^8 guesses), which excludes common passwords.
MIN_STRENGTH = 3


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    """Hash a password with argon2id at the configured cost."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> tuple[bool, bool]:
    """Check a password; returns (matches, needs_rehash) so that old hashes are upgraded on login."""
    hasher = _hasher()
    try:
        hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False, False
    return True, hasher.check_needs_rehash(password_hash)


def password_problems(password: str, user_inputs: list[str] | tuple[str, ...] = ()) -> list:
    """The reasons a new password is refused (empty when it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return [_l("The password must have at least %(n)d characters.", n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_l("The password may have at most %(n)d characters.", n=MAX_LENGTH)]
    inputs = [part for value in user_inputs if value for part in value.replace("@", " ").split()]
    if zxcvbn(password, user_inputs=inputs)["score"] < MIN_STRENGTH:
        return [
            _l(
                "This password is too common or too easy to guess. "
                "Use a longer phrase of several unrelated words."
            )
        ]
    return []
