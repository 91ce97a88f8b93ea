"""The event recorder: turns a job's events into store writes, and a record back into the
event that describes it (`snapshot_event`, what a new follower sees first).

    recorder = EventRecorder(store, videos_dir, on_change=fanout_to_owner)
    step = recorder.record(record_id, event)
    step.outcome   # None (keep going) or Outcome.DONE / RETRY_DOWNLOAD / REWATCH
    step.publish   # the event followers should hear (None: nothing to tell yet)

Rules kept here:
- the provider's task id is stored on `Submitted`, before the job is asked for its next
  event, i.e. before the first poll (the job generator is lazy);
- `Completed` is published only after the video was renamed into `videos_dir` (or uploaded to
  the object store, `storage.remote`, with its poster) and recorded;
- a `Failed` is routed by its typed fields only (`reason`, `task_continues`), never its text:
  DOWNLOAD_FAILED -> retry the download (made and billed, not saved yet), a task that may go
  on -> watch again, anything else -> final (EXPIRED reason -> status expired).
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..events import (
    Completed,
    Downloading,
    Event,
    Failed,
    FailureReason,
    Preparing,
    Probed,
    Progress,
    Submitted,
    Uploading,
)
from ..media.poster import poster_path
from ..messages import Message
from ..pricing import Estimate, billed_difference
from ..schemas import GenerationRequest
from ..storage import LocalStorage, Storage
from ..store import TaskRecord, TaskStoreBase
from ..task_status import (
    COMPLETED,
    DOWNLOADING,
    EXPIRED,
    FAILED,
    INTERRUPTED,
    NEEDS_KEY,
    SUBMITTED,
    progress_status,
    status_label,
)
from ..timings import STORE_WRITE_EVERY

VIDEOS_PREFIX = "videos/"  # saved videos' keys in a remote store (the local folder's name)

__all__ = ["EventRecorder", "Outcome", "Step", "estimate_of", "request_summary", "snapshot_event"]

log = logging.getLogger("wanvideo.watcher")


# For records stored before `reason` was: the status says it.
_REASON_OF_STATUS = {
    EXPIRED: FailureReason.EXPIRED,
    INTERRUPTED: FailureReason.INTERRUPTED,
    NEEDS_KEY: FailureReason.NEEDS_KEY,
}


class Outcome(enum.Enum):
    DONE = "done"  # final state stored (completed or failed for good)
    RETRY_DOWNLOAD = "retry_download"  # made (and billed) but not saved yet
    REWATCH = "rewatch"  # lost contact; the task may still be running


@dataclass(frozen=True)
class Step:
    outcome: Outcome | None = None
    publish: Event | None = None


PREPARED_FILES = "prepared_files"  # request key: the prepared clips a record used (server paths)


def request_summary(request: GenerationRequest, probed: Probed | None = None) -> dict[str, Any]:
    """What a record keeps of a request: prompt, settings and reference names, and the
    prepared clips it uses (deleted with its local copy). Never a key."""
    prepared = [str(clip.path) for clip in (probed.prepared if probed is not None else ()) if clip]
    return {
        "prompt": request.prompt,
        "quality": request.quality,
        "aspect_ratio": request.aspect_ratio,
        "duration": request.duration,
        "shot_type": request.shot_type,
        "references": [Path(v).name for v in request.videos] + list(request.video_urls),
        "video_urls": list(request.video_urls),
        "callback_url": request.callback_url,
        "fix_references": request.fix_references,
        "reference_starts": list(request.reference_starts),
        PREPARED_FILES: prepared,
        "model": request.model,
        # issue 17: images after the videos (names, then links), each character's voice (a
        # name or None) and the controls as asked (None: the model's default).
        "images": [Path(i).name for i in request.images] + list(request.image_urls),
        "image_urls": list(request.image_urls),
        "voices": [Path(v).name if v else None for v in request.voices],
        "seed": request.seed,
        "negative_prompt": request.negative_prompt,
        "prompt_extend": request.prompt_extend,
        "audio": request.audio,
        "watermark": request.watermark,
    }


def estimate_of(record: TaskRecord) -> Estimate | None:
    if not record.estimate:
        return None
    try:
        return Estimate.model_validate(record.estimate)
    except ValueError:
        return None


def _reason_of(record: TaskRecord) -> FailureReason:
    stored = (record.error or {}).get("reason")
    if stored:
        try:
            return FailureReason(stored)
        except ValueError:
            pass
    return _REASON_OF_STATUS.get(record.status, FailureReason.PROVIDER_FAILED)


def snapshot_event(record: TaskRecord, now: float | None = None) -> Event:
    """The latest known state of a record as an event (what `follow` yields first)."""
    error = record.error or {}
    saved = record.video_path if record.video_key is None else Path(record.video_key)
    if record.status == COMPLETED and saved is not None and record.task_id:
        billed = (record.estimate or {}).get("provider_billed_seconds")
        return Completed(
            task_id=record.task_id,
            video_path=saved,
            credits_charged=record.credits_charged,
            estimate=estimate_of(record),
            billed_seconds=Decimal(billed) if billed is not None else None,
            seed=record.seed,
        )
    if record.is_final or record.status == NEEDS_KEY:
        return Failed(
            message=error.get("message") or record.message or record.status_label,
            suggestion=error.get("suggestion") or "",
            task_id=record.task_id,
            code=error.get("code"),
            charged=bool(error.get("charged")),
            task_continues=record.status == NEEDS_KEY,
            reason=_reason_of(record),
            result_url=record.result_url,
        )
    now = time.time() if now is None else now
    elapsed = max(0.0, now - (record.submitted_at or record.created_at))
    return Progress(
        task_id=record.task_id, status=record.status, percent=record.progress, elapsed=elapsed, eta=None
    )


def _error_fields(event: Failed) -> dict[str, Any]:
    return {
        "message": event.message,
        "suggestion": event.suggestion,
        "code": event.code,
        "charged": event.charged,
        "problems": list(event.problems),
        "reason": event.reason.value,
    }


class EventRecorder:
    """Writes what happened to the store; `on_change` hears every written record."""

    def __init__(
        self,
        store: TaskStoreBase,
        videos_dir: Path,
        on_change: Callable[[TaskRecord], None] = lambda record: None,
        storage: Storage | None = None,
    ) -> None:
        """`storage`: a remote store (`Storage.remote`) takes the saved videos and posters;
        None or a local one: they are renamed into `videos_dir`, as before."""
        self.store = store
        self.videos_dir = videos_dir
        self.storage = storage if storage is not None and storage.remote else None
        self.on_change = on_change
        self._last_write: dict[str, float] = {}

    # ------------------------------------------------------------------ writes

    def update(self, record_id: str, **changes: Any) -> TaskRecord | None:
        record = self.store.update(record_id, **changes)
        if record is not None:
            self.on_change(record)
        return record

    def update_throttled(self, record_id: str, **changes: Any) -> None:
        """Progress that changes many times a second is stored every STORE_WRITE_EVERY s."""
        now = time.monotonic()
        if now - self._last_write.get(record_id, 0.0) >= STORE_WRITE_EVERY:
            self._last_write[record_id] = now
            self.update(record_id, **changes)

    def forget(self, record_id: str) -> None:
        self._last_write.pop(record_id, None)

    def settle(
        self,
        record_id: str,
        status: str,
        message: str,
        *,
        suggestion: str = "",
        reason: FailureReason,
        **error: Any,
    ) -> TaskRecord | None:
        """Store a final (or needs-key) status with its error fields."""
        fields = {"message": message, "suggestion": suggestion, "reason": reason.value, **error}
        final = status != NEEDS_KEY
        extra = {"finished_at": time.time()} if final else {}
        return self.update(record_id, status=status, message=message, error=fields, **extra)

    def retrying(self, record: TaskRecord, status: str, message: str) -> Progress:
        """Store that a retry is scheduled; returns the event that tells followers."""
        self.update(record.id, status=status, message=message)
        elapsed = max(0.0, time.time() - (record.submitted_at or record.created_at))
        return Progress(
            task_id=record.task_id, status="retrying", percent=record.progress, elapsed=elapsed, eta=None
        )

    def give_up_download(self, record: TaskRecord) -> Failed:
        """The retries are used up: final, charged, with the provider's link as a field."""
        last = (record.error or {}).get("message") or "the download kept failing"
        event = Failed(
            message=Message("rec.not_saved", detail=last),
            suggestion=Message("rec.download_from_dashboard"),
            task_id=record.task_id,
            code=FailureReason.DOWNLOAD_FAILED.value,
            charged=True,
            reason=FailureReason.DOWNLOAD_FAILED,
            result_url=record.result_url,
        )
        self.settle(
            record.id,
            FAILED,
            event.message,
            suggestion=event.suggestion,
            reason=event.reason,
            charged=True,
            code=event.code,
        )
        return event

    # ------------------------------------------------------------------ events

    def record(self, record_id: str, event: Event) -> Step:
        """Store one event; say whether the run ended and what followers should hear."""
        if isinstance(event, Probed):
            changes: dict[str, Any] = {"message": Message("rec.checked")}
            if event.estimate is not None:
                changes["estimate"] = event.estimate.model_dump(mode="json")
            record = self.update(record_id, **changes)
            if record is not None and record.spend_credits is not None and event.estimate is not None:
                # The job probed: the exact estimate replaces the worst case (never raises it).
                self.store.set_spend(record_id, min(record.spend_credits, event.estimate.credits))
        elif isinstance(event, Preparing):
            self.update_throttled(
                record_id,
                message=Message(
                    "rec.preparing", name=event.name, index=event.index, percent=f"{event.percent:.0f}"
                ),
            )
        elif isinstance(event, Uploading):
            self.update_throttled(
                record_id,
                message=Message(
                    "rec.uploading",
                    name=event.name,
                    index=event.index,
                    count=event.count,
                    percent=f"{event.percent:.0f}",
                ),
            )
        elif isinstance(event, Submitted):
            # Stored before the job is asked for its next event, i.e. before the first poll.
            changes: dict[str, Any] = {}
            if event.sent_prompt is not None or event.model is not None:
                # What the provider received (e.g. character1 -> @Video1), for the history.
                known = self.store.get(record_id)
                if known is not None:
                    sent = {"prompt": event.sent_prompt, "model": event.model}
                    changes["request"] = {**known.request, "sent": sent}
            if event.seed is not None:
                changes["seed"] = event.seed
            self.update(
                record_id,
                task_id=event.task_id,
                status=SUBMITTED,
                submitted_at=time.time(),
                credits_reserved=event.credits_reserved,
                message=Message("rec.submitted"),
                **changes,
            )
        elif isinstance(event, Progress):
            eta = Message("rec.eta", seconds=f"{event.eta:.0f}") if event.eta else ""
            status = progress_status(event.status)
            word = status_label(status)
            message = Message("rec.progress", word=word, percent=f"{event.percent:.0f}", eta=eta)
            if event.queue_position is not None:  # a queue provider: 0 = next in line
                ahead = event.queue_position
                message = (
                    Message("rec.next_in_line") if ahead == 0 else Message("rec.queue_ahead", ahead=ahead)
                )
            self.update(
                record_id,
                status=status,
                progress=event.percent,
                message=message,
            )
        elif isinstance(event, Downloading):
            if event.bytes_received == 0 and event.result_url:
                self.update(record_id, result_url=event.result_url)
            self.update_throttled(record_id, status=DOWNLOADING, message=Message("rec.saving"))
        elif isinstance(event, Completed):
            return self._completed(record_id, event)
        elif isinstance(event, Failed):
            return self._failed(record_id, event)
        return Step(publish=event)

    def final_video_path(self, record: TaskRecord) -> Path:
        """Where the record's video is saved (its poster goes beside it)."""
        return self.videos_dir / f"{record.video_token}.mp4"

    @staticmethod
    def video_key(record: TaskRecord) -> str:
        """The record's video in a remote store (its poster: the same name, `.jpg`)."""
        return f"{VIDEOS_PREFIX}{record.video_token}.mp4"

    def _upload(self, record: TaskRecord, video: Path, storage: Storage) -> str:
        """The downloaded video (and the poster made beside it) into the remote store; the
        local copies are deleted once uploaded. Blocking: the runner calls it in a thread."""
        key = self.video_key(record)
        poster = poster_path(video)
        if poster.is_file():
            storage.put_file(str(poster_path(Path(key))), poster)
        storage.put_file(key, video)
        return key

    def save_video(self, record: TaskRecord, video: Path) -> dict[str, Any]:
        """`video` (and a poster made beside it) saved as `record`'s: the record's fields to
        store (`video_path` or `video_key`). Raises OSError (a StorageError is one)."""
        if self.storage is not None:
            return {"video_key": self._upload(record, video, self.storage), "video_path": None}
        final = self.final_video_path(record)  # the data folder: atomic renames into videos/
        local, poster = LocalStorage(self.videos_dir), poster_path(video)
        if poster.is_file():
            local.put_file(poster_path(final).name, poster)
        local.put_file(final.name, video)
        return {"video_path": final, "video_key": None}

    def _completed(self, record_id: str, event: Completed) -> Step:
        record = self.store.get(record_id)
        if record is None:
            return Step(Outcome.DONE)
        try:
            saved = self.save_video(record, event.video_path)
            final = saved["video_path"] or Path(saved["video_key"])
        except OSError as exc:  # a StorageError is one too
            self.update(
                record_id,
                error={
                    "message": Message("rec.move_failed", reason=exc.strerror or str(exc)),
                    "reason": FailureReason.DOWNLOAD_FAILED.value,
                },
            )
            return Step(Outcome.RETRY_DOWNLOAD)
        billed: dict[str, Any] = {}
        if event.seed is not None:
            billed["seed"] = event.seed  # the provider's own seed replaces the one asked for
        if event.billed_seconds is not None:
            # The provider's own billed seconds, kept beside the estimate they are compared with.
            billed["estimate"] = {
                **(record.estimate or {}),
                "provider_billed_seconds": str(event.billed_seconds),
            }
        updated = self.update(
            record_id,
            **billed,
            status=COMPLETED,
            progress=100.0,
            **saved,
            credits_charged=event.credits_charged,
            finished_at=time.time(),
            download_attempts=record.download_attempts + 1,
            message=Message("rec.done"),
            error=None,
        )
        if event.credits_charged is not None:
            self.store.set_spend(record_id, event.credits_charged)  # the charge replaces the estimate
        difference = billed_difference(event.estimate or estimate_of(record), event.billed_seconds)
        if difference:  # the first real runs settle the rules PROVIDERS.md leaves open
            log.warning("task %s (%s): %s", event.task_id, record.provider, difference)
        # Saved and recorded: only now is anybody told it is done.
        done = Completed(
            task_id=event.task_id,
            video_path=final,
            credits_charged=event.credits_charged,
            estimate=event.estimate or (estimate_of(updated) if updated else None),
            billed_seconds=event.billed_seconds,
            seed=event.seed,
        )
        return Step(Outcome.DONE, done)

    def _failed(self, record_id: str, event: Failed) -> Step:
        record = self.store.get(record_id)
        if record is None:
            return Step(Outcome.DONE)
        task_id = event.task_id or record.task_id
        if task_id and event.reason is FailureReason.DOWNLOAD_FAILED:
            # Made and billed, not saved: never final until the retries are used up.
            self.update(
                record_id,
                error=_error_fields(event),
                result_url=event.result_url or record.result_url,
                download_attempts=record.download_attempts + 1,
            )
            return Step(Outcome.RETRY_DOWNLOAD)
        if task_id and event.task_continues:
            self.update(record_id, error=_error_fields(event))
            return Step(Outcome.REWATCH)
        fields = _error_fields(event)
        self.settle(
            record_id,
            EXPIRED if event.reason is FailureReason.EXPIRED else FAILED,
            event.message,
            suggestion=event.suggestion,
            reason=event.reason,
            **{k: v for k, v in fields.items() if k not in ("message", "suggestion", "reason")},
        )
        if not event.charged and not event.task_continues:
            self.store.set_spend(record_id, Decimal(0))  # nothing was billed: the reservation is freed
        return Step(Outcome.DONE, event)
