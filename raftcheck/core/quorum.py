"""What a majority is. No other module counts votes or match indexes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def majority(config: tuple[str, ...]) -> int:
    return len(config) // 2 + 1


def vote_won(config: tuple[str, ...], votes: Iterable[str]) -> bool:
    """Whether the votes of members of `config` reach a majority (each vote counted as given)."""
    return sum(1 for voter in votes if voter in config) >= majority(config)


def committed_index(config: tuple[str, ...], match_index: Mapping[str, int]) -> int:
    """The highest index stored on a majority of `config` (0 for an empty config)."""
    if not config:
        return 0
    matches = sorted((match_index.get(server, 0) for server in config), reverse=True)
    return matches[majority(config) - 1]
