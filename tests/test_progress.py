"""pipelines.progress: a handful of progress lines over long work, none over short work (fake clock)."""

from __future__ import annotations

from pipelines.progress import Progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeLog:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)


def test_logs_at_most_once_per_interval_with_count_rate_and_time_left():
    clock, log = FakeClock(), FakeLog()
    progress = Progress(log, "analyse", 10_000, every_seconds=10.0, clock=clock)
    for _ in range(50):  # 50 batches of 64 documents, one every 0.5 s: 25 s, 3,200 documents
        clock.now += 0.5
        progress.advance(64)
    assert log.lines == [
        "analyse: 1,280/10,000 documents, 128 docs/s, about 68 s left",
        "analyse: 2,560/10,000 documents, 128 docs/s, about 58 s left",
    ]
    progress.advance(10_000 - 3_200)  # the rest, at once: nothing more until finish
    assert len(log.lines) == 2
    clock.now += 5
    progress.finish()
    progress.finish()
    assert log.lines[-1] == "analyse: 10,000/10,000 documents in 30 s, 333 docs/s"
    assert len(log.lines) == 3


def test_work_over_within_the_first_interval_logs_nothing():
    clock, log = FakeClock(), FakeLog()
    progress = Progress(log, "analyse", 5, clock=clock)
    clock.now += 9.9
    progress.advance(5)
    progress.finish()
    assert log.lines == []


def test_long_work_gets_a_handful_of_lines_not_one_per_batch():
    clock, log = FakeClock(), FakeLog()
    progress = Progress(log, "prepare", 1_000_000, every_seconds=60.0, clock=clock)
    for _ in range(1_000_000 // 100):  # 10,000 batches over about 1 h 23 min
        clock.now += 0.5
        progress.advance(100)
    progress.finish()
    assert 80 <= len(log.lines) <= 85  # one a minute, plus the last
    assert log.lines[0] == "prepare: 12,000/1,000,000 documents, 200 docs/s, about 82 min left"
    assert log.lines[-1] == "prepare: 1,000,000/1,000,000 documents in 83 min, 200 docs/s"


def test_slow_work_shows_hours_and_fractional_rates():
    clock, log = FakeClock(), FakeLog()
    progress = Progress(log, "analyse", 100_000, every_seconds=10.0, clock=clock)
    clock.now += 20
    progress.advance(50)
    assert log.lines == ["analyse: 50/100,000 documents, 2.5 docs/s, about 11 h 06 min left"]
