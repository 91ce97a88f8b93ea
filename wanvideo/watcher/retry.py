"""When to try again: a download that failed, or a watch that lost the provider.

Both are pure functions of how many times it failed already, so the manager's loop only
sleeps what they say::

    schedule = RetrySchedule(download_delays=(5, 15, 60), rewatch_delay=10, rewatch_max_delay=600)
    schedule.download_delay(failures=1)     # 15.0; None when it is time to give up
    schedule.rewatch_delay_for(rewatches=3) # 80.0 (doubling, capped)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DOWNLOAD_RETRY_DELAYS", "RetrySchedule"]

DOWNLOAD_RETRY_DELAYS = (5.0, 15.0, 60.0, 180.0, 600.0)


@dataclass(frozen=True)
class RetrySchedule:
    download_delays: tuple[float, ...] = DOWNLOAD_RETRY_DELAYS
    rewatch_delay: float = 10.0
    rewatch_max_delay: float = 600.0

    @classmethod
    def of(
        cls, download_delays: Sequence[float], rewatch_delay: float, rewatch_max_delay: float
    ) -> RetrySchedule:
        return cls(tuple(download_delays), rewatch_delay, rewatch_max_delay)

    def download_delay(self, failures: int) -> float | None:
        """Seconds before download attempt number `failures + 1`; None: give up."""
        if failures >= len(self.download_delays):
            return None
        return self.download_delays[failures]

    def rewatch_delay_for(self, rewatches: int) -> float:
        """Seconds before watching again after losing the provider `rewatches` times."""
        return min(self.rewatch_max_delay, self.rewatch_delay * (2**rewatches))
