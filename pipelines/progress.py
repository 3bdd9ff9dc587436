"""Progress of work over many documents, logged now and then rather than once per batch.

    progress = Progress(context.log, "analyse", total=len(documents))
    for batch in finished_batches:
        progress.advance(len(batch))
    progress.finish()

logs, at most once every `every_seconds`, lines such as
`analyse: 3,200/10,000 documents, 410 docs/s, about 17 s left`, and a last line when it logged any;
work that ends within the first interval logs nothing. A log file gets a handful of lines for an
hour's work, not one per batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class _Log(Protocol):
    def info(self, message: str) -> object: ...


class Progress:
    """Counts documents done out of `total` and logs how far along the work is, its rate and the
    time left, through `log.info`, at most once every `every_seconds` of `clock`."""

    def __init__(
        self,
        log: _Log,
        label: str,
        total: int,
        *,
        every_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.log = log
        self.label = label
        self.total = total
        self.every_seconds = every_seconds
        self.clock = clock
        self.done = 0
        self.reports = 0  # lines logged so far
        self._started = clock()
        self._last_report = self._started
        self._finished = False

    def advance(self, n: int) -> None:
        """`n` more documents are done; logs a line when the last one is `every_seconds` old."""
        self.done += n
        now = self.clock()
        if self.done < self.total and now - self._last_report >= self.every_seconds:
            self._last_report = now
            self.reports += 1
            rate = self.done / (now - self._started)
            left = (self.total - self.done) / rate if rate else None
            self.log.info(
                f"{self.label}: {self.done:,}/{self.total:,} documents, {_rate(rate)}"
                + (f", about {_duration(left)} left" if left is not None else "")
            )

    def finish(self) -> None:
        """The work is over: a last line with the count and the rate, if any line was logged."""
        if self._finished:
            return
        self._finished = True
        if self.reports:
            elapsed = self.clock() - self._started
            rate = self.done / elapsed if elapsed > 0 else 0.0
            self.log.info(
                f"{self.label}: {self.done:,}/{self.total:,} documents in {_duration(elapsed)}, {_rate(rate)}"
            )


def _rate(per_second: float) -> str:
    return f"{per_second:,.0f} docs/s" if per_second >= 10 else f"{per_second:.1f} docs/s"


def _duration(seconds: float) -> str:
    """`17 s`, `12 min`, `2 h 05 min`."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
