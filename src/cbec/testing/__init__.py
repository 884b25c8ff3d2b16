"""Helpers for tests and benchmarks (and for integrators testing against cbec)."""
