"""Calls that arrive together are done together, and each caller gets its own result or error."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence

import pytest

from remnastore.infra.batches import Batcher

marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="none")


class Doubler:
    """Doubles numbers; a batch holding a negative number fails as a whole."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.seen_markers: list[str] = []
        self.tasks: list[asyncio.Task[object] | None] = []

    async def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        self.seen_markers.append(marker.get())
        self.tasks.append(asyncio.current_task())
        await asyncio.sleep(0.01)  # a round trip: whoever comes now waits for the next batch
        if any(item < 0 for item in items):
            raise ValueError(f"negative in {list(items)}")
        return [item * 2 for item in items]


async def test_a_lone_call_is_a_batch_of_one_in_the_callers_own_task() -> None:
    work = Doubler()
    batcher = Batcher(work, limit=10, name="doubling")
    assert await batcher.submit(4) == 8
    assert work.batches == [[4]] and not batcher.running
    assert work.tasks == [asyncio.current_task()]


async def test_a_lone_caller_who_gives_up_leaves_those_who_came_meanwhile_a_batch() -> None:
    work = Doubler()
    batcher = Batcher(work, limit=10, name="doubling")
    alone = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)  # the lone call is running
    came = [asyncio.create_task(batcher.submit(n)) for n in (2, 3)]
    await asyncio.sleep(0)
    alone.cancel()
    assert await asyncio.gather(*came) == [4, 6]
    assert alone.cancelled() and work.batches == [[1], [2, 3]]
    assert not batcher.running


async def test_callers_who_come_while_a_batch_runs_share_the_next_one_up_to_the_limit() -> None:
    work = Doubler()
    batcher = Batcher(work, limit=4, name="doubling")
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)  # the first batch has started
    crowd = [asyncio.create_task(batcher.submit(n)) for n in range(2, 8)]
    assert await asyncio.gather(first, *crowd) == [2, 4, 6, 8, 10, 12, 14]
    assert work.batches == [[1], [2, 3, 4, 5], [6, 7]]
    assert not batcher.running


async def test_a_failed_batch_is_done_again_one_by_one_so_only_the_bad_call_fails() -> None:
    work = Doubler()
    batcher = Batcher(work, limit=10, name="doubling")
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    good, bad, other = (asyncio.create_task(batcher.submit(n)) for n in (2, -3, 4))
    assert await first == 2
    assert await good == 4 and await other == 8
    with pytest.raises(ValueError, match=r"negative in \[-3\]"):
        await bad
    assert work.batches == [[1], [2, -3, 4], [2], [-3], [4]]


async def test_a_caller_who_gives_up_does_not_stop_the_others() -> None:
    work = Doubler()
    batcher = Batcher(work, limit=10, name="doubling")
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    leaving = asyncio.create_task(batcher.submit(2))
    staying = asyncio.create_task(batcher.submit(3))
    await asyncio.sleep(0)
    leaving.cancel()
    assert await first == 2 and await staying == 6
    assert work.batches == [[1], [3]]  # the one who left is not done at all


async def test_each_batch_runs_in_the_context_of_its_first_caller() -> None:
    """So its log lines and statements count for the update the first caller came with."""
    work = Doubler()
    batcher = Batcher(work, limit=10, name="doubling")

    async def submit_as(name: str, item: int) -> int:
        marker.set(name)
        return await batcher.submit(item)

    first = asyncio.create_task(submit_as("alone", 1))
    await asyncio.sleep(0)
    crowd = [asyncio.create_task(submit_as(name, n)) for name, n in (("leader", 2), ("follower", 3))]
    assert await asyncio.gather(first, *crowd) == [2, 4, 6]
    assert work.seen_markers == ["alone", "leader"]
    assert marker.get() == "none"  # nothing leaks back into the caller


async def test_work_that_returns_the_wrong_number_of_results_fails_each_caller() -> None:
    async def short(items: Sequence[int]) -> list[int]:
        return []

    batcher: Batcher[int, int] = Batcher(short, limit=10, name="short")
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        await batcher.submit(1)


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Batcher(Doubler(), limit=0, name="doubling")
