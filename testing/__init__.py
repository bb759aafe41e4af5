"""Test helpers and generators shared by tests/, benchmarks/ and the long fuzzer."""
