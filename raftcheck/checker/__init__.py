"""Specs, runs, traces, timelines and reports: the checker as users meet it."""
