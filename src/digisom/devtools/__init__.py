"""Developer tools for tests and benchmarks (never used by the running application)."""
