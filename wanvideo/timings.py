"""Every timing of the app in one place: when to poll a task, how long leases, links and
retries last, how often the background sweeps run. No imports, so any layer may read it.

The per-provider generation-time priors are catalogue data (`wanvideo.providers`, one per
profile), learned run times live in the store, and `Settings` holds only what an operator may
change (its defaults are read from here).
"""

from __future__ import annotations

# ------------------------------------------------------------------ the provider's clock
PROVIDER_TASK_LIFETIME = 24 * 3600.0  # the provider keeps a task and its result link about 24 h
WEBHOOK_RETRY_WINDOW = 2 * 3600.0  # a provider retries a completion webhook for up to 2 h

# ------------------------------------------------------------------ polling a task
POLL_MIN_INTERVAL = 3.0  # default of WAN_POLL_MIN_INTERVAL (settings.poll_min_interval)
POLL_MAX_INTERVAL = 15.0  # default of settings.poll_max_interval
POLL_DEADLINE = 20 * 60.0  # default of settings.poll_deadline: give up watching after this
POLL_FRACTION = 0.5  # wait about this fraction of the remaining estimate between polls
# Without progress or an estimate (a queue provider), once the task may be done: a poll every
# 4 s keeps completion-to-saved under the 5 s target (about 1 s is left for the final read,
# the download, its check and the poster).
NEAR_INTERVAL = 4.0
LATE_FACTOR = 2.0  # past this many typical runs a task is stuck, not nearly done: back off
MIN_OBSERVED = 3  # completed runs needed before they replace the profile's prior
EARLIEST_MARGIN = 0.8  # the learned earliest end: this share of the quickest recent run

# ------------------------------------------------------------------ saving the result
VERIFY_SECONDS = 30.0  # reading a downloaded result's headers in the media sandbox
DOWNLOAD_RETRY_DELAYS = (5.0, 15.0, 60.0, 180.0, 600.0)  # a failed download is tried again after
DOWNLOAD_MAX_DELAY = 3600.0  # after the listed delays, double up to hourly
STORE_WRITE_EVERY = 2.0  # seconds between stored upload/download progress updates

# ------------------------------------------------------------------ the background runner
LEASE_TTL = 90.0  # a task's watch lease lasts this long unless renewed
LEASE_RENEW_EVERY = 30.0
SWEEP_EVERY = 30.0  # looking for unfinished tasks nobody watches
KEEP_SWEEP_EVERY = 600.0  # seconds between two looks for saved videos past WAN_KEEP_DAYS

# ------------------------------------------------------------------ links the provider calls
REFERENCE_MARGIN = 3600.0  # a served reference works until the task's creation + this (s)
WAKE_EVERY = 3.0  # at most one wake-up per task per this many seconds
WAKE_LIFETIME = PROVIDER_TASK_LIFETIME + WEBHOOK_RETRY_WINDOW
