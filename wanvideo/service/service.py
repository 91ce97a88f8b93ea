"""`Service`: what the page, the gradio_client API and the MCP tools all call.

    service = Service(settings, choice, manager, run_profile=...)
    a = await service.estimate(values, visitor=visitor)          # Assessment (LimitRefused)
    async for event in service.generate(values, owner=owner, visitor=visitor):
        ...                                                        # GenerationRefused

`values` is one `FormValues`; the callers only translate their inputs into it and the results
into their own words.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..batch import variation_requests
from ..budget import SpendRefused
from ..cast import Cast, CastError
from ..events import Event, Probed
from ..messages import Message
from ..provider_choice import ProviderChoice
from ..providers import ProviderProfile
from ..ratelimit import VisitorLimiter
from ..schemas import GenerationRequest
from ..settings import Settings
from ..store import TaskRecord
from ..watcher import TaskManager
from . import inputs
from .assessment import Assessment, ReferenceInputs, assessment_of, probe, reprice
from .characters import with_characters
from .film import make_film, retry_film
from .generation import (
    BatchStarted,
    Checking,
    GenerationRefused,
    RefusalStage,
    Started,
    VariationEvent,
    checked_references,
    is_final,
    limit_refusal,
    read_request,
)
from .values import FormValues


def _same_profile(profile: ProviderProfile) -> ProviderProfile:
    return profile


@dataclass(frozen=True)
class Service:
    settings: Settings
    choice: ProviderChoice
    manager: TaskManager
    # The profile a job runs with (demo mode: pointed at its dialect's simulator, started on
    # first use; may block, so it is called in a thread).
    run_profile: Callable[[ProviderProfile], ProviderProfile] = _same_profile
    # Estimates (the /estimate API and the page's refreshes) per visitor: wanvideo/limits.py.
    estimates: VisitorLimiter = field(default_factory=VisitorLimiter)
    cast: Cast | None = None  # the visitors' saved characters (None: no cast here)

    @property
    def has_server_key(self) -> bool:
        key = self.settings.api_key
        return key is not None and bool(key.get_secret_value())

    @property
    def needs_user_key(self) -> bool:
        """Visitors must give their own key (never in demo mode: the simulator needs none)."""
        if self.settings.is_demo:
            return False
        return self.settings.require_user_key or not self.has_server_key

    async def estimate(
        self, values: FormValues, *, visitor: str | None = None, owner: str | None = None
    ) -> Assessment:
        """Probe, plan and price the form's references (the one probe per look) on the picked
        provider and model, and compare every provider; with `visitor`, also what the server's
        key may still spend today (on the configured provider only). A look that probes counts
        against the visitor's estimate limit (`ratelimit.LimitRefused`, nothing probed).
        `owner`: whose saved characters `values.characters` names (`CastError` otherwise)."""
        cast_problem = None
        try:
            values = await asyncio.to_thread(with_characters, values, self.cast, owner or "")
        except CastError as exc:  # a name not in the cast: said, the rest priced
            cast_problem, values = exc.message, replace(values, characters=None)
        picked = self.choice.pick(values.provider, values.model)
        profile = picked.profile.with_audio(inputs.parse_flag(values.audio))  # silent: its own price
        refs = ReferenceInputs.read(values)
        if refs.oversized:  # refused as a whole: nothing is probed, not even the files
            probed = Probed(probes=(), estimate=None)
        elif visitor and refs.probes:
            async with self.estimates.admit(visitor):
                probed = await probe(values, refs, profile, self.settings)
        else:  # nothing to probe, or too many: refused before probing
            probed = await probe(values, refs, profile, self.settings)
        result = assessment_of(values, refs, profile, probed, picked.problems)
        if cast_problem:
            result.problems.insert(0, cast_problem)
        if visitor and not self.choice.is_other(profile):
            result.budget = await asyncio.to_thread(self.manager.budget_status, visitor)
        key_note = self.choice.key_note(profile)
        if key_note:
            result.notes.append(key_note)
        self.reprice(result)
        return result

    def reprice(self, a: Assessment) -> None:
        """`a` priced again (the other quality, every provider) after its clips were prepared."""
        reprice(a, self.choice.compared())

    def pick(self, values: FormValues) -> ProviderProfile:
        """The profile the form picks, or `GenerationRefused` (INPUT) saying what to change."""
        picked = self.choice.pick(values.provider, values.model)
        if not picked.ok:
            raise GenerationRefused(RefusalStage.INPUT, picked.problems)
        profile = picked.profile
        key_problem = self.choice.key_problem(profile, has_own_key=values.own_key is not None)
        if key_problem:
            raise GenerationRefused(RefusalStage.INPUT, [key_problem])
        if self.needs_user_key and not values.own_key:
            raise GenerationRefused(RefusalStage.INPUT, [Message("input.own_key_needed")])
        return profile.with_audio(inputs.parse_flag(values.audio))

    async def request_of(
        self, values: FormValues, profile: ProviderProfile, owner: str
    ) -> tuple[FormValues, GenerationRequest]:
        """The form with the owner's saved characters put in, and its validated request, or
        `GenerationRefused` (INPUT) naming what to change."""
        try:
            values = await asyncio.to_thread(with_characters, values, self.cast, owner)
        except CastError as exc:
            raise GenerationRefused(RefusalStage.INPUT, [exc.message]) from None
        return values, read_request(values, profile)

    def film(
        self, values: FormValues, shots: Any, *, owner: str, visitor: str | None = None
    ) -> AsyncIterator[Any]:
        """A film of `shots` (JSON: [{"prompt", "duration"}, ...]) on the form's references and
        settings: `film.make_film`'s events."""
        return make_film(self, values, shots, owner=owner, visitor=visitor)

    def retry_film(
        self, values: FormValues, film_id: str, *, owner: str, visitor: str | None = None
    ) -> AsyncIterator[Any]:
        """The failed shots of the owner's film `film_id` again, then the film: `film.retry_film`."""
        return retry_film(self, values, film_id, owner=owner, visitor=visitor)

    async def generate(
        self, values: FormValues, *, owner: str, visitor: str | None = None
    ) -> AsyncIterator[Checking | Started | Event | BatchStarted | VariationEvent]:
        """Check, prepare, hand over to the TaskManager, then follow the task to its end.
        Closing this stops following (and a preparation under way), never the paid task."""
        profile = self.pick(values)
        values, req = await self.request_of(values, profile, owner)
        count, problem = inputs.parse_variations(values.variations)
        if problem:
            raise GenerationRefused(RefusalStage.INPUT, [problem])
        yield Checking(profile)
        probed: Probed | None = None
        async for event in checked_references(req, profile, self.settings):
            if isinstance(event, Probed):
                if probed is None:
                    yield event  # the re-priced one after preparing goes to the job only
                probed = event
            else:
                yield event
        if count > 1:
            async for event in self._variations(
                req, count, profile, probed, values, owner=owner, visitor=visitor
            ):
                yield event
            return
        try:  # in a thread: accepting reserves the estimate in one store transaction
            record = await asyncio.to_thread(
                self.manager.submit,
                req,
                owner=owner,
                api_key=values.own_key,
                probed=probed,
                visitor=visitor,
                profile=await asyncio.to_thread(self.run_profile, profile),
            )
        except SpendRefused as exc:  # a spending limit: nothing was uploaded or created
            raise limit_refusal(exc) from None
        yield Started(record_id=record.id)
        async for event in self.manager.follow(record.id, owner=owner):
            if isinstance(event, Probed):
                continue  # already checked and shown above
            yield event
            if is_final(event):
                return

    async def submit_batch(
        self,
        requests: list[GenerationRequest],
        values: FormValues,
        profile: ProviderProfile,
        probed: Probed | None,
        *,
        owner: str,
        visitor: str | None,
        **batch: Any,
    ) -> list[TaskRecord]:
        """`requests` reserved together and started (`TaskManager.submit_batch`; `batch`: its
        `kind` and `parallel`), or `GenerationRefused` (LIMIT, PAUSED) with nothing sent."""
        try:
            return await asyncio.to_thread(
                self.manager.submit_batch,
                requests,
                owner=owner,
                api_key=values.own_key,
                probed=probed,
                visitor=visitor,
                profile=await asyncio.to_thread(self.run_profile, profile),
                **batch,
            )
        except SpendRefused as exc:
            raise limit_refusal(exc) from None

    async def _variations(
        self,
        req: GenerationRequest,
        count: int,
        profile: ProviderProfile,
        probed: Probed | None,
        values: FormValues,
        *,
        owner: str,
        visitor: str | None,
    ) -> AsyncIterator[BatchStarted | VariationEvent]:
        """`count` variations reserved together (refused whole when they do not fit), each its
        own task with its own seed; a failed one fails no other."""
        requests = variation_requests(req, count, profile)
        records = await self.submit_batch(requests, values, profile, probed, owner=owner, visitor=visitor)
        ids = tuple(r.id for r in records)
        yield BatchStarted(records[0].group_id or "", ids, tuple(r.seed for r in requests))
        async for record_id, event in self.manager.follow_group(records[0].group_id or "", owner):
            if not isinstance(event, Probed):
                yield VariationEvent(ids.index(record_id), record_id, event)
