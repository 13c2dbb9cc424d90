"""Pure business rules: no I/O, no framework, nothing else of ours imported."""
