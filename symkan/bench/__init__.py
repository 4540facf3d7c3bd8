"""Benchmarks as data: problem suites, data generation and found-vs-true judging."""
