"""Status words: the app's record statuses, their labels, and the provider's words mapped onto them.

This is the one home of every status word. The store records `QUEUED..NEEDS_KEY`; the provider
reports its own words (`Task.status`, lower-cased), which `record_status_for` maps; the UI shows
`STATUS_LABELS` (the history chip and the status panel headline use the same label).
"""

from __future__ import annotations

from enum import StrEnum

from .messages import Message

# The app's record statuses. RUNNING ones are watched; FINAL ones never change again.
QUEUED = "queued"  # accepted, references being checked / uploaded; nothing paid yet
SUBMITTED = "submitted"  # the provider accepted the task (task_id known)
PENDING = "pending"  # queued at the provider
PROCESSING = "processing"
DOWNLOADING = "downloading"  # finished at the provider; saving the video
COMPLETED = "completed"  # the video is in the data folder
FAILED = "failed"
EXPIRED = "expired"  # older than the provider keeps tasks (24 h) when we got back to it
INTERRUPTED = "interrupted"  # the app stopped before the provider confirmed the task
NEEDS_KEY = "needs_key"  # started with a visitor's key, which is not kept across restarts

RUNNING_STATUSES = frozenset({QUEUED, SUBMITTED, PENDING, PROCESSING, DOWNLOADING})
FINAL_STATUSES = frozenset({COMPLETED, FAILED, EXPIRED, INTERRUPTED})

STATUS_LABELS = {
    QUEUED: Message("status.queued"),
    SUBMITTED: Message("status.submitted"),
    PENDING: Message("status.pending"),
    PROCESSING: Message("status.processing"),
    DOWNLOADING: Message("status.downloading"),
    COMPLETED: Message("status.completed"),
    FAILED: Message("status.failed"),
    EXPIRED: Message("status.expired"),
    INTERRUPTED: Message("status.interrupted"),
    NEEDS_KEY: Message("status.needs_key"),
}


class Phase(StrEnum):
    """The steps of one Generate as its status panel shows them, in order. Where a step is a
    record status it is that word; before the hand-over the click has steps of its own."""

    CHECKING = "checking"
    PREPARING = "preparing"  # references being fixed, before the job is handed over: Stop stops it
    STARTING = "starting"
    UPLOADING = "uploading"
    SUBMITTED = SUBMITTED
    RUNNING = "running"
    DOWNLOADING = DOWNLOADING
    DONE = "done"
    FAILED = FAILED

    @property
    def record_status(self) -> str:
        """The status `/generate`'s task record gives for this step."""
        return COMPLETED if self is Phase.DONE else self.value

    @property
    def before_hand_over(self) -> bool:
        """Nothing handed over yet: Stop creates and charges nothing."""
        return self in (Phase.CHECKING, Phase.PREPARING)

    @property
    def watching(self) -> bool:
        """The provider has the task: the panel shows its id."""
        return self in (Phase.SUBMITTED, Phase.RUNNING, Phase.DOWNLOADING)

    @property
    def final(self) -> bool:
        return self in (Phase.DONE, Phase.FAILED)


class Chip(StrEnum):
    """A history card's status chip (its colour): one per group of record statuses."""

    DONE = "done"
    RUNNING = "running"
    ATTENTION = "attention"  # the person can act: give the key again, retry the download
    FAILED = "failed"


def chip_for(status: str, *, download_resumable: bool) -> Chip:
    if status == COMPLETED:
        return Chip.DONE
    if status in RUNNING_STATUSES:
        return Chip.RUNNING
    if status == NEEDS_KEY or download_resumable:
        return Chip.ATTENTION
    return Chip.FAILED


# The provider's words (both dialects, any case once lower-cased).
PROVIDER_OK = frozenset({"completed", "succeeded", "success", "done", "finished"})
PROVIDER_FAILED = frozenset(
    {"failed", "failure", "error", "cancelled", "canceled", "expired", "unknown", "timeout"}
)
# Final words that mean the provider no longer knows the task (e.g. UNKNOWN after 24 h).
PROVIDER_GONE = frozenset({"expired", "unknown"})
PROVIDER_PENDING = frozenset({"pending", "queued", "submitted", "created"})
PROVIDER_RUNNING = PROVIDER_PENDING | {"processing", "running", "in_progress"}  # any other word is final


def record_status_for(provider_status: str) -> str:
    """The record status for a provider's word; unknown running words count as processing."""
    word = provider_status.lower()
    if word in PROVIDER_OK:
        return DOWNLOADING
    if word in PROVIDER_FAILED:
        return FAILED
    if word in PROVIDER_PENDING:
        return PENDING
    return PROCESSING


def progress_status(word: str) -> str:
    """The record status a `Progress` event's word stands for: one rule for the status panel and
    the record. A provider's word (normalised by its adapter) is mapped, so its "queued" is its
    queue (pending), never the app's own "queued" (preparing, before any task exists); a record
    status from a snapshot (downloading, ...) is kept."""
    word = word.lower()
    provider_words = PROVIDER_OK | PROVIDER_FAILED | PROVIDER_GONE | PROVIDER_RUNNING
    if word in STATUS_LABELS and word not in provider_words:
        return word
    return record_status_for(word)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())
