"""Errors that services raise for the user to read."""
from __future__ import annotations


class ServiceError(Exception):
    """A rule refused the action; `message` is a translatable text shown to the user."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
