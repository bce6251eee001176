"""`python -m raftcheck` is the `raftcheck` command."""

from raftcheck.cli import main

main()
