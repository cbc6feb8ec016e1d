"""Sample order workbooks: the demo's, and generated books for tests and benchmarks."""
