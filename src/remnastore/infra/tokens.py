"""Tokens unique across processes and machines, cheap enough to take one per update.

A chat lock's holder token and a rate-limit hit's member must never be equal for two different updates
of any two workers or instances sharing Redis. ``uuid4`` gives that by asking the kernel for 16 random
bytes each time; :func:`unique_token` asks once per process (again in a forked child, which would
otherwise share its parent's prefix) and counts from there.
"""

from __future__ import annotations

import itertools
import os
import secrets

_prefix = ""
_counter = itertools.count()


def _reseed() -> None:
    global _prefix, _counter
    _prefix = secrets.token_hex(8)
    _counter = itertools.count()


_reseed()
os.register_at_fork(after_in_child=_reseed)


def unique_token() -> str:
    """A string no other call, in this or any other process, returns (16 random hex digits, a count)."""
    return f"{_prefix}{next(_counter):x}"
