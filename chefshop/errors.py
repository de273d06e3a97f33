"""The domain errors every app shares. Each carries a message that is shown to people as it is."""

from typing import Any


class DomainError(Exception):
    """A change the shop refuses. Subclasses set a default ``message``."""

    message = "That change is not possible."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class NotFound(DomainError):
    message = "That does not exist (any more)."


class IllegalTransition(DomainError):
    """The state machine has no such step from the current state, or not for this person."""

    message = "That change is not possible now."


class StaleVersion(DomainError):
    """Someone else changed the row first: the caller acted on an older page. ``current`` is the row
    as it is now, so the caller can show the fresh state."""

    message = "This was changed meanwhile. Here is how it is now."

    def __init__(self, current: Any = None, message: str | None = None) -> None:
        super().__init__(message)
        self.current = current
