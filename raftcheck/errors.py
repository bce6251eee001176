"""The exceptions raftcheck raises for bad input; str() of each is one line for the user."""

from __future__ import annotations


class RaftcheckError(Exception):
    """Anything raftcheck refuses to run; the message is one line that says why."""


class SettingsError(RaftcheckError):
    """A setting with a wrong type, an out-of-range value, or one that contradicts another.

    `key` is the setting's TOML key (e.g. "bounds.max_term"); front ends show it
    the way the user wrote it, as a TOML key or as a command-line flag.
    """

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(f"{key}: {detail}" if key else detail)
        self.key = key
        self.detail = detail

    def __reduce__(self):
        """Rebuilt from its two parts, so it survives the trip back from a worker process."""
        return (SettingsError, (self.key, self.detail))


class SpecError(RaftcheckError):
    """A spec file that cannot be run; the message names the file and the key."""


class TraceError(RaftcheckError):
    """A trace file that cannot be read or replayed from."""


class HistoryError(RaftcheckError):
    """A history that cannot be judged: unreadable, malformed, or outside its model."""


class SearchError(RaftcheckError):
    """A search that could not go on: one of its worker processes died."""


class RayError(RaftcheckError):
    """Ray is missing, or its cluster cannot be started or joined."""
