"""Benchmarks: synthetic directories and the measurements run against them."""
