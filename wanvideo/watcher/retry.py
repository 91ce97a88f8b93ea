"""When to try again: a download that failed, or a watch that lost the provider.

Both are pure functions of how many times it failed already, so the manager's loop only
sleeps what they say::

    schedule = RetrySchedule(download_delays=(5, 15, 60), rewatch_delay=10, rewatch_max_delay=600)
    schedule.download_delay(failures=1, age=300)   # 15.0; None when it is time to give up
    schedule.rewatch_delay_for(rewatches=3)        # 80.0 (doubling, capped)

A result link lives 24 hours, so a download that keeps failing is tried again for as long as
the link can still work: the listed delays first, then doubling up to one hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..timings import DOWNLOAD_MAX_DELAY, DOWNLOAD_RETRY_DELAYS, PROVIDER_TASK_LIFETIME

__all__ = ["DOWNLOAD_RETRY_DELAYS", "RetrySchedule"]

LINK_LIFETIME = PROVIDER_TASK_LIFETIME  # the provider's result links expire this long after the task


@dataclass(frozen=True)
class RetrySchedule:
    download_delays: tuple[float, ...] = DOWNLOAD_RETRY_DELAYS
    rewatch_delay: float = 10.0
    rewatch_max_delay: float = 600.0
    download_max_delay: float = DOWNLOAD_MAX_DELAY
    link_lifetime: float = LINK_LIFETIME

    @classmethod
    def of(
        cls,
        download_delays: Sequence[float],
        rewatch_delay: float,
        rewatch_max_delay: float,
        link_lifetime: float = LINK_LIFETIME,
    ) -> RetrySchedule:
        return cls(tuple(download_delays), rewatch_delay, rewatch_max_delay, link_lifetime=link_lifetime)

    def download_delay(self, failures: int, age: float) -> float | None:
        """Seconds before download attempt number `failures + 1` of a task `age` seconds old;
        None: give up (the link will have expired by then, or no retries are configured)."""
        if not self.download_delays:
            return None
        if failures < len(self.download_delays):
            delay = self.download_delays[failures]
        else:
            extra = failures - len(self.download_delays) + 1
            delay = min(self.download_max_delay, max(self.download_delays[-1], 1.0) * 2**extra)
        return delay if age + delay < self.link_lifetime else None

    def rewatch_delay_for(self, rewatches: int) -> float:
        """Seconds before watching again after losing the provider `rewatches` times."""
        return min(self.rewatch_max_delay, self.rewatch_delay * (2**rewatches))
