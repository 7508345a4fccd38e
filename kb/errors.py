"""Domain errors: the library raises these, the command line shows them as one line."""


class KbError(Exception):
    """Base class for every error kb expects and explains to the user."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class InputError(KbError):
    """A file or text could not be read or parsed; nothing from it was stored."""


class NotFound(KbError):
    """An entity, claim or suggestion named by the user does not exist."""


class DecisionError(KbError):
    """An analyst decision is not allowed in the claim's current state."""


class StoreError(KbError):
    """The database could not be opened or written."""
