"""Cross-cutting infrastructure: clock, logging, Redis, cache, rate limiting, metrics, shutdown."""
