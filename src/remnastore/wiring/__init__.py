"""The builders of the composition root: each module builds one part of the shop and returns it.

``remnastore.app.Application`` calls them in order (core, customers, providers, sales, operations,
jobs, subscribers, dispatcher, web) and keeps what they made; nothing else in the package wires objects.

Where to add something:

- a scheduled job: one row in :data:`remnastore.wiring.jobs.JOBS`;
- a provider: ``payments/registry.py`` (the builder here creates every enabled one);
- an order event subscriber: ``services/lifecycle_subscribers.py`` (called from :mod:`.subscribers`);
- a web route: :func:`remnastore.wiring.web.public_web_app` (or the private one);
- a service handed to the handlers: its builder, then one line in :func:`.dispatcher.workflow_data`.
"""
