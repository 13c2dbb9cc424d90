"""Lock and rate-limit tokens: never the same twice, in one process or across a fork."""

from __future__ import annotations

import os

from remnastore.infra.tokens import unique_token


def test_tokens_do_not_repeat_in_a_process() -> None:
    tokens = [unique_token() for _ in range(10_000)]
    assert len(set(tokens)) == len(tokens)


def test_a_forked_worker_does_not_repeat_its_parents_tokens() -> None:
    before = unique_token()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what a worker forked by `remnastore run --workers N` would take
        os.write(write, " ".join(unique_token() for _ in range(100)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    parent = {before, *(unique_token() for _ in range(100))}
    assert len(child) == 100
    assert not child & parent
    # the prefix differs, not only the count: the parent's next tokens would otherwise meet the child's
    assert {token[:16] for token in child}.isdisjoint({token[:16] for token in parent})
