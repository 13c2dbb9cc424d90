"""Benchmarks printing one JSON object each: `python -m bench.bench_<name>`, or `make bench` for all."""
