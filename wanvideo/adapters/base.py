"""What every adapter gives the client, and the typed outcome of a cancel.

result = await client.cancel_task(task_id)
result.outcome    # CancelOutcome.CANCELLED | TOO_LATE | NOT_SUPPORTED | NOT_FOUND
result.charged    # False when cancelled: the provider bills only success
result.message    # for people
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ServerError
from ..messages import Message
from ..providers import CONTROLS, ProviderProfile
from ..schemas import CreateTaskBody, Task
from ..transport import ProgressCallback, Transport


class CancelOutcome(str, enum.Enum):
    """What asking the provider to cancel a task achieved."""

    CANCELLED = "cancelled"  # it will not run; nothing is charged
    TOO_LATE = "too_late"  # it runs (or ran) on; it is charged if it succeeds
    NOT_SUPPORTED = "not_supported"  # the provider has no cancel (`profile.cancel`)
    NOT_FOUND = "not_found"  # the provider no longer knows the task
    NOT_SUBMITTED = "not_submitted"  # not at the provider yet (TaskManager.cancel): nothing to cancel there


@dataclass(frozen=True)
class CancelResult:
    outcome: CancelOutcome
    message: str
    task_id: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.outcome is CancelOutcome.CANCELLED

    @property
    def charged(self) -> bool | None:
        """False when cancelled; None (unknown yet) otherwise: a task that goes on is charged
        only if it succeeds."""
        return False if self.cancelled else None


class Adapter:
    """One provider's dialect over a `Transport` (which holds the httpx client and the key)."""

    name = ""
    auth_scheme = "Bearer"  # the Authorization scheme of the provider's own hosts
    # Statuses after which the paid create is retried: only answers that provably created
    # nothing (and, with an idempotency key, could not create a second task).
    create_retry_statuses: tuple[int, ...] = (429,)

    def __init__(self, profile: ProviderProfile, transport: Transport) -> None:
        self.profile = profile
        self.transport = transport

    async def upload(self, path: Path, on_progress: ProgressCallback | None) -> str:
        raise NotImplementedError

    async def create(self, body: CreateTaskBody, idempotency_key: str) -> Task:
        raise NotImplementedError

    async def get_task(self, task_id: str) -> Task:
        raise NotImplementedError

    async def cancel(self, task_id: str) -> CancelResult:
        return CancelResult(
            CancelOutcome.NOT_SUPPORTED,
            Message("cancel.not_supported", provider=self.profile.label),
            task_id,
        )

    def controls(self, body: CreateTaskBody) -> dict[str, Any]:
        """The controls the person set that this pick takes (`ReferenceRules`), by their
        catalogue names; the request's rules refused any other (audio on, the default, aside)."""
        rules, extras = self.profile.reference, body.extras
        return {c: getattr(extras, c) for c in CONTROLS if getattr(extras, c) is not None and rules.takes(c)}

    def sent_prompt(self, body: CreateTaskBody) -> str:
        """The prompt in this provider's and model's naming (`ProviderProfile.prompt_as_sent`)."""
        return self.profile.prompt_as_sent(body.prompt, len(body.video_urls), len(body.image_urls))

    def api_url(self, path: str) -> str:
        return self.profile.api_base_url + path

    def files_url(self, path: str) -> str:
        return self.profile.files_base_url + path

    def task_from(self, data: Any, what: str, status_code: int = 200) -> Task:
        """A `Task` from a task object (the reference contract's, or one an adapter normalised)."""
        if isinstance(data, dict) and "id" not in data and isinstance(data.get("data"), dict):
            data = data["data"]
        try:
            return Task.model_validate(data)
        except ValidationError:
            raise ServerError(
                Message("transport.unexpected_task", what=what), status_code=status_code
            ) from None

    def task_from_response(self, response: Any, what: str) -> Task:
        """A `Task` from an httpx response's JSON body."""
        return self.task_from(self.transport.read_json(response, what), what, response.status_code)
