"""The replicated key-value service: the pure core driven by a clock, HTTP and SQLite."""
