"""The scheduler and its jobs; each job runs once per period across the whole cluster."""
