"""Benchmarks (DESIGN.md §8): run with `.venv/bin/python -m bench.<name>`."""
