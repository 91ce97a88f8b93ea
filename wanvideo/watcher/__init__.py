"""`TaskManager`: runs every generation in the background so nothing paid for is lost.

    store = open_store(settings)                    # SQLite, or PostgreSQL (WAN_DATABASE_URL)
    manager = TaskManager(settings, store)          # its own asyncio loop in a daemon thread
    manager.start()                                 # idempotent; resumes unfinished tasks
    record = manager.submit(request, owner=owner, api_key=None, probed=probed)  # at once
    # (profile=get_profile(name)...: another provider than the configured one, with the visitor's key)
    async for event in manager.follow(record.id, owner=owner):    # from any event loop
        ...   # latest known state first, then live events; ends on Completed / Failed
    manager.records(owner); manager.get(record_id, owner); manager.delete_video(record_id, owner)
    manager.retry_download(record_id, owner); manager.resume(record_id, owner, api_key)
    manager.cancel(record_id, owner)                # CancelResult: cancelled / too late / not supported
    manager.budget_status(visitor)                  # what the server key has left today
    manager.stop()

How a task is kept safe:

- `submit` writes the record (status `queued`, already leased to this worker, its estimate
  reserved against the spend limits on the server's key: `budget.SpendRefused` otherwise)
  before anything is paid; the job persists the provider's task id on `Submitted`, before
  its first poll (the job generator is lazy). The key is bound to the job at submit: a task
  started with a visitor's key never falls back to the server's.
- Jobs run on the manager's loop, not in the browser's request: closing the page (or pressing
  Stop, which only ends `follow`) never stops polling or the download.
- The job downloads into `<data>/incoming/` (outside the served folder); the finished file is
  renamed to `<data>/videos/<random>.mp4` and recorded before any follower hears `Completed`.
- A failed download is retried (resuming its `.part` with Range), reading the task again
  each time, for as long as the result link lives (24 h): `download_retry_delays`, then
  doubling up to hourly; `retry_download` tries at once. A link that answers 404 even after
  re-reading the task is expired. A lost connection to the provider is retried with growing
  waits until the task is 24 h old.
- On start, every unfinished task younger than `max_task_age` is resumed; older ones are
  marked `expired`; tasks whose create was never confirmed are `interrupted`; tasks started
  with a visitor's key (kept only in memory) become `needs_key` until `resume(..., api_key)`.
  Each task runs on the profile rebuilt from its record (provider name with its region, and
  model): in demo mode another dialect's simulator (`base_url_for`), needing no key.
- Several app processes may share one data folder: a task is watched by the worker that
  holds its lease (renewed while watched); a dead worker's leases are taken over, and a
  worker whose renewal finds the lease taken stops its watch.

The parts, one module each (`TaskManager` only composes them):

    loop_thread.LoopThread      the asyncio loop in a daemon thread
    runner.JobRunner            the job and retry loop; wake-ups, posters, cancel
    keys.KeyCustody             a visitor's key bound to its task (memory only)
    profiles.Profiles           each task's profile (given or rebuilt) and pacing
    spend_guard.SpendGuard      the reservation on the server's key; budget status
    sweeps.Sweeps               incoming cleanup, lease renewal, sweep, retention
    following.Following         follow / follow_owner over fanout
    leases.LeaseKeeper          claim / renew / release; dead workers
    triage.triage               what to do with an unfinished task (pure, table-tested)
    recorder.EventRecorder      job events -> store writes; record -> snapshot event
    fanout.FanOut               events -> followers on other event loops
    retry.RetrySchedule         when to download again / watch again (pure)
    manager.TaskManager         the public API
"""

from __future__ import annotations

from .manager import TaskManager
from .recorder import request_summary, snapshot_event
from .triage import NEEDS_KEY_MESSAGE

__all__ = ["NEEDS_KEY_MESSAGE", "TaskManager", "request_summary", "snapshot_event"]
