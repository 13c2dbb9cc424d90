"""Outer middlewares, one job each."""
