"""The broadcast pacer on a fake clock: evenly spaced slots, pauses for 429s, a bounded catch-up."""

from __future__ import annotations

from remnastore.infra.pacing import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_slots_are_evenly_spaced_at_the_rate() -> None:
    clock = FakeTime()
    pacer = Pacer(25, now=clock.time, sleep=clock.sleep)
    for _ in range(251):
        await pacer.wait()
    assert abs((clock.now - 100.0) - 10.0) < 1e-6  # 250 intervals of 40 ms
    assert all(abs(s - 0.04) < 1e-9 for s in clock.slept)


async def test_a_pause_delays_every_later_slot_and_is_counted() -> None:
    clock = FakeTime()
    pacer = Pacer(10, now=clock.time, sleep=clock.sleep)
    await pacer.wait()
    pacer.pause(3)
    pacer.pause(1)  # a shorter pause does not shorten the longer one
    await pacer.wait()
    assert abs(clock.now - 103.0) < 1e-9
    assert abs(pacer.paused_seconds - 2.9) < 1e-9  # the 0.1 s slot was due anyway


async def test_after_a_stall_only_a_short_burst_catches_up() -> None:
    clock = FakeTime()
    pacer = Pacer(100, now=clock.time, sleep=clock.sleep)
    await pacer.wait()
    clock.now += 5.0  # the sender stalled for 5 s
    free = 0
    while True:
        before = clock.now
        await pacer.wait()
        if clock.now > before:
            break
        free += 1
    assert free <= 26  # at most a quarter of a second of missed slots, not 500
