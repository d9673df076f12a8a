"""The reliability harness's sections, run and reported by `scripts/reliability` (see its docstring and
RELIABILITY.md). Each module has one `run(harness)` that measures, checks what must hold (recording
failures in `harness.failures`) and returns the section's table. They drive `lamina serve` through the
e2e tests' helpers (tests/e2e: `conftest.Server`, `ledger`, `hostile_packages`)."""
