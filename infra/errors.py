"""The one exception tree of SitePulse.

Every error raised on purpose by SitePulse code derives from :class:`SitePulseError`,
so callers can catch the family, and adapters (HTTP, streams, CLI) can map each
semantic subclass to the right response.
"""

from __future__ import annotations

from dataclasses import dataclass


class SitePulseError(Exception):
    """Base of every deliberate SitePulse error."""


class SettingsError(SitePulseError):
    """A ``SITEPULSE_*`` environment variable is missing or holds a bad value."""


@dataclass(frozen=True)
class FieldProblem:
    """One reason why one field of an input is unacceptable."""

    field: str
    reason: str
    message_zh: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason, "message_zh": self.message_zh}


class InvalidInputError(SitePulseError):
    """Input from outside (a device, a person, a topic) failed validation."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        summary = "; ".join(f"{p.field}: {p.reason}" for p in problems[:5])
        super().__init__(summary or "invalid input")


class AuthenticationError(SitePulseError):
    """The caller could not be authenticated (bad signature, unknown device, ...)."""

    def __init__(self, reason: str, *, message_zh: str | None = None) -> None:
        super().__init__(reason)
        self.message_zh = message_zh


class ExpiredCredentialError(AuthenticationError):
    """The password was right but has expired (an initial password past its days)."""


class TooManyAttemptsError(SitePulseError):
    """Too many failed logins for an account or from an address (wait, or be unlocked), or
    too many requests from one device this minute."""

    def __init__(self, reason: str, *, retry_after_s: int, message_zh: str) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s
        self.message_zh = message_zh


class ReplayedRequestError(AuthenticationError):
    """A signed request was stale or its nonce had been used already."""


class StackError(SitePulseError):
    """A server or service of the local stack could not be installed, started or reached."""


class MissingDependencyError(StackError):
    """A program the local stack needs is not installed."""


class NotFoundError(SitePulseError):
    """The thing asked for does not exist (or is outside the caller's scope)."""


class ConflictError(SitePulseError):
    """The request contradicts the current state (a duplicate, an already-exited worker)."""

    def __init__(self, reason: str, *, message_zh: str | None = None) -> None:
        super().__init__(reason)
        self.message_zh = message_zh


class ConfirmationRequiredError(SitePulseError):
    """An irreversible action was requested without its explicit confirmation."""


class ForbiddenError(SitePulseError):
    """The caller is authenticated but their role or scope does not allow this."""

    def __init__(self, reason: str, *, message_zh: str | None = None) -> None:
        super().__init__(reason)
        self.message_zh = message_zh


class UnavailableError(SitePulseError):
    """Something the request needs is not available now (models not installed, say)."""
