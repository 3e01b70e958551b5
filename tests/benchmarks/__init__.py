"""Benchmarks of issue 7 (not collected by the default test run; see run.py)."""
