"""The status panel, the players and the task record of variations (issue 20): one line per
variation as its events come, the finished ones side by side, each with its own seed.

Pure (no gradio import):

    view = BatchView(BatchStarted(group_id, record_ids, seeds), lang="en")
    view.apply(VariationEvent(1, record_id, Completed(...)))
    view.markdown(); view.players_html(); view.record()
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wanvideo.batch import KIND_SHOT, KIND_VARIATION
from wanvideo.escape import for_markdown
from wanvideo.events import Completed, Failed, Progress, Submitted
from wanvideo.messages import EN, t
from wanvideo.messages import render as tr
from wanvideo.service import BatchStarted, VariationEvent
from wanvideo.task_status import (
    COMPLETED,
    DOWNLOADING,
    FAILED,
    PENDING,
    PROCESSING,
    QUEUED,
    SUBMITTED,
    progress_status,
    status_label,
)
from wanvideo.web.routes import video_path

_ORDER = [QUEUED, SUBMITTED, PENDING, PROCESSING, DOWNLOADING]


@dataclass
class _Variation:
    record_id: str
    seed: int | None
    status: str = QUEUED
    percent: float = 0.0
    task_id: str | None = None
    video_url: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Words:
    headline: str
    line: str
    player: str
    key: str  # the record's list of members


_WORDS = {
    KIND_VARIATION: _Words("batch.headline", "batch.line", "batch.player", "variations"),
    KIND_SHOT: _Words("film.headline", "film.line", "film.player", "shots"),
}


@dataclass
class BatchView:
    started: BatchStarted
    lang: str = EN
    # A finished variation's signed download link (record id -> absolute URL), set by the caller.
    sign: Callable[[str], str] | None = None
    items: list[_Variation] = field(default_factory=list)
    kind: str = KIND_VARIATION  # or a film's shots (`batch.KIND_SHOT`)

    def __post_init__(self) -> None:
        self.items = [
            _Variation(rid, seed)
            for rid, seed in zip(self.started.record_ids, self.started.seeds, strict=True)
        ]

    @property
    def done(self) -> bool:
        return all(v.status in (COMPLETED, FAILED) for v in self.items)

    @property
    def status(self) -> str:
        """The batch's record status: completed once all ended and any made a video (each
        variation has its own), failed when none did, else the earliest step still running."""
        if self.done:
            return COMPLETED if any(v.status == COMPLETED for v in self.items) else FAILED
        return min((v.status for v in self.items if v.status not in (COMPLETED, FAILED)), key=_ORDER.index)

    def apply(self, update: VariationEvent) -> None:
        item, event = self.items[update.index], update.event
        if isinstance(event, Submitted):
            item.status, item.task_id = SUBMITTED, event.task_id
            item.seed = event.seed if event.seed is not None else item.seed
        elif isinstance(event, Progress) and event.task_id:
            item.status, item.percent, item.task_id = (
                progress_status(event.status),
                event.percent,
                event.task_id,
            )
        elif isinstance(event, Completed):
            item.status, item.percent, item.task_id = COMPLETED, 100.0, event.task_id
            item.seed = event.seed if event.seed is not None else item.seed
            item.video_url = self.sign(item.record_id) if self.sign is not None else None
        elif isinstance(event, Failed):
            item.status, item.error = FAILED, tr(event.message, self.lang)

    def markdown(self) -> str:
        count = len(self.items)
        finished = sum(v.status == COMPLETED for v in self.items)
        words = _WORDS[self.kind]
        head = t(words.headline, self.lang, done=finished, count=count)
        lines = []
        for number, v in enumerate(self.items, start=1):
            seed = t("batch.seed", self.lang, seed=v.seed) if v.seed is not None else ""
            word = tr(status_label(v.status), self.lang)
            line = t(
                words.line,
                self.lang,
                number=number,
                count=count,
                status=word,
                percent=f"{v.percent:.0f}",
                seed=seed,
            )
            if v.error:
                line += f" · {for_markdown(v.error, self.lang)}"
            lines.append(f"- {line}")
        return f"### {head}\n" + "\n".join(lines)

    def players_html(self) -> str:
        """The finished variations side by side (a grid that wraps on a phone)."""
        cells = []
        for number, v in enumerate(self.items, start=1):
            if v.status != COMPLETED:
                continue
            src = html.escape(video_path(v.record_id))
            label = html.escape(t(_WORDS[self.kind].player, self.lang, number=number))
            cells.append(
                f'<figure class="wan-variation"><video controls playsinline preload="metadata" src="{src}"></video>'
                f"<figcaption>{label}</figcaption></figure>"
            )
        return f'<div class="wan-variations">{"".join(cells)}</div>' if cells else ""

    def record(self) -> dict[str, Any]:
        """`/generate`'s record for variations: the group and each variation's task, seed, link."""
        return {
            "group_id": self.started.group_id,
            "status": self.status,
            _WORDS[self.kind].key: [
                {
                    "record_id": v.record_id,
                    "task_id": v.task_id,
                    "seed": v.seed,
                    "status": v.status,
                    "video_url": v.video_url,
                    "error": v.error,
                }
                for v in self.items
            ],
        }
