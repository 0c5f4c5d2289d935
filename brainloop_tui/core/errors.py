"""Errors a person can act on. Every message names the thing that is wrong and, where there is one,
the command or setting that fixes it; none of them ever carries a secret."""


class BrainloopError(Exception):
    """Base of every error the core raises on purpose; `str(err)` is the user-facing message, `kind`
    the name a client may act on (the class's, unless the error reports another one's)."""

    def __init__(self, *args: object, kind: str | None = None) -> None:
        super().__init__(*args)
        self.kind = kind or type(self).__name__


class ConfigError(BrainloopError):
    """A config file or value is wrong."""


class WorkspaceError(BrainloopError):
    """The workspace folder is missing, not a folder, or not writable."""


class StoreError(BrainloopError):
    """A database of the workspace cannot be opened or is from a newer Brainloop."""
