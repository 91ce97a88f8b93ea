"""Typed events yielded by the generation job (`wanvideo.job.run_generation`).

The UI, the gradio_client API and the tests consume only these. Each is a frozen
dataclass; `kind` names it for JSON and logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from pathlib import Path

from .media.image import ImageCard, ImagePlan, ImageProbe, PreparedImage, image_card
from .media.prepare import PreparedClip, PrepPlan
from .media.result import ProbeResult
from .media.voice import PreparedVoice, VoiceProbe
from .pricing import Estimate


@dataclass(frozen=True)
class Probed:
    """All references were checked; `problems` non-empty means the job stops here, unpaid.

    `probes` are the references as given. With fixing on, `plans[i]` says what will be done
    to reference i and how it will be sent; `prepared[i]` is its prepared clip once made.
    The estimate bills each reference as it will be sent (`sent(i)`).

    Images (after the videos in character order: files, then links) are `image_probes[j]`,
    with `image_plans[j]` (what fixing does, or why it cannot be sent) and `prepared_images[j]`
    (the fixed JPEG to upload; None: the original is sent as it is). Voices are by reference
    index over all references (videos, then images): `voice_probes[i]` and `prepared_voices[i]`
    (None: no voice for reference i). Images and voices are not billed (no provider documents
    it; ../shared/MODELS.md), so they leave the estimate as the videos make it."""

    kind = "probed"
    probes: tuple[ProbeResult, ...]
    estimate: Estimate | None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    plans: tuple[PrepPlan, ...] = ()
    prepared: tuple[PreparedClip | None, ...] = ()
    image_probes: tuple[ImageProbe, ...] = ()
    prepared_images: tuple[PreparedImage | None, ...] = ()
    prepared_voices: tuple[PreparedVoice | None, ...] = ()
    image_plans: tuple[ImagePlan, ...] = ()
    voice_probes: tuple[VoiceProbe | None, ...] = ()

    def image_card(self, index: int) -> ImageCard:
        """The page's card of image `index` (0-based among the images): name, format, size as
        it will be sent, what was fixed, the first problem."""
        plan = self.image_plans[index] if index < len(self.image_plans) else None
        made = self.prepared_images[index] if index < len(self.prepared_images) else None
        return image_card(self.image_probes[index], plan, made)

    @property
    def image_cards(self) -> tuple[ImageCard, ...]:
        return tuple(self.image_card(i) for i in range(len(self.image_probes)))

    def plan(self, index: int) -> PrepPlan | None:
        return self.plans[index] if index < len(self.plans) else None

    def clip(self, index: int) -> PreparedClip | None:
        return self.prepared[index] if index < len(self.prepared) else None

    def sent(self, index: int) -> ProbeResult:
        """Reference `index` as it will be sent: its prepared clip, else its plan's, else itself."""
        clip, plan = self.clip(index), self.plan(index)
        if clip is not None:
            return clip.probe
        return plan.sent if plan is not None else self.probes[index]

    @property
    def sent_durations(self) -> list[float | None]:
        return [self.sent(i).duration for i in range(len(self.probes))]

    @property
    def to_prepare(self) -> tuple[int, ...]:
        """Indexes of the references that still need preparing before upload."""
        return tuple(i for i, plan in enumerate(self.plans) if plan.needed and self.clip(i) is None)


@dataclass(frozen=True)
class Preparing:
    """Reference `index` (1-based: character{index}) is being prepared before upload."""

    kind = "preparing"
    index: int
    count: int  # references in the request
    name: str
    percent: float
    notes: tuple[str, ...] = ()  # what is done to it ("converted from WebM", ...)


@dataclass(frozen=True)
class Uploading:
    kind = "uploading"
    index: int  # 1-based
    count: int
    name: str
    bytes_sent: int
    bytes_total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.bytes_sent / self.bytes_total if self.bytes_total else 100.0


@dataclass(frozen=True)
class Submitted:
    kind = "submitted"
    task_id: str
    credits_reserved: Decimal | None
    idempotency_key: str
    # The prompt as the provider received it (e.g. character1 -> @Video1) and its model.
    sent_prompt: str | None = None
    model: str | None = None
    seed: int | None = None  # the seed asked for (the provider's own is recorded on Completed)


@dataclass(frozen=True)
class Progress:
    kind = "progress"
    task_id: str | None  # None only in the snapshot of a record the provider has not confirmed yet
    status: str
    percent: float
    elapsed: float  # seconds since submit
    eta: float | None  # seconds left, when the provider gives an estimate
    queue_position: int | None = None  # while queued at the provider: 0 = next in line


@dataclass(frozen=True)
class Downloading:
    kind = "downloading"
    task_id: str
    bytes_received: int
    bytes_total: int | None
    result_url: str | None = None  # the provider's link (expires after 24 h)


@dataclass(frozen=True)
class Completed:
    kind = "completed"
    task_id: str
    video_path: Path
    credits_charged: Decimal | None  # when the provider reports it
    estimate: Estimate | None = None
    # The seconds the provider says it billed (its usage or billable-units figure); None
    # where it reports credits instead.
    billed_seconds: Decimal | None = None
    # The seed the provider reports it used (else the one asked for); None: unknown.
    seed: int | None = None


class FailureReason(str, Enum):
    """Why a job ended without a video: decisions read this, never the message text."""

    REFUSED = "refused"  # a rule, a reference or a limit refused it before anything was paid
    REJECTED = "rejected"  # the provider refused the request (4xx on create)
    PROVIDER_FAILED = "provider_failed"  # the task failed at the provider (not charged)
    CANCELLED = "cancelled"  # cancelled at the provider before it ran (not charged)
    EXPIRED = "expired"  # the provider no longer knows the task or its link (older than 24 h)
    UPLOAD_FAILED = "upload_failed"  # a local reference could not be uploaded; nothing was created
    PREPARE_FAILED = "prepare_failed"  # a reference could not be prepared; nothing was created
    DOWNLOAD_FAILED = "download_failed"  # the video was made but could not be saved (yet)
    CONNECTION = "connection"  # the provider could not be reached; the task may go on
    DEADLINE = "deadline"  # we stopped waiting; the task may go on
    STOPPED = "stopped"  # the person stopped watching or preparing
    NEEDS_KEY = "needs_key"  # a visitor's key is needed to go on
    INTERRUPTED = "interrupted"  # the app stopped before the provider confirmed the task
    UNEXPECTED = "unexpected"  # a bug or an unforeseen error (logged with its traceback)


@dataclass(frozen=True)
class Failed:
    """The job ended without a video. `charged` is False when nothing was billed
    (refused before submit, or the task failed: the provider bills only success).

    Decisions read the typed fields (`reason`, `charged`, `task_continues`, `result_url`),
    never `message`/`suggestion`, which are for people. `reason` has no default on purpose:
    whoever makes a Failed says why."""

    kind = "failed"
    message: str
    reason: FailureReason = field(kw_only=True)
    suggestion: str = ""
    task_id: str | None = None
    code: str | int | None = None
    charged: bool = False
    # The task may still be running at the provider (we stopped watching / deadline hit).
    task_continues: bool = False
    problems: tuple[str, ...] = field(default_factory=tuple)
    result_url: str | None = None  # the provider's result link, when the video was made


Event = Probed | Preparing | Uploading | Submitted | Progress | Downloading | Completed | Failed
