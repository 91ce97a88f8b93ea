"""A film (issue 20): shots (each a prompt and a duration) with the same references, cast and
settings, priced in total before anything is spent, generated shot by shot, then joined into
one video on the manager's loop (`watcher.films`).

    async for event in make_film(service, values, shots_json, owner=owner, visitor=visitor):
        Checking -> Probed -> Preparing* -> FilmStarted -> ShotEvent* -> Joining* -> FilmDone

Every refusal before anything is sent is `GenerationRefused`, as for one Generate.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pydantic import ValidationError

from ..batch import KIND_FILM, KIND_SHOT, FilmEstimate, Shot, film_estimate, shot_requests
from ..budget import SpendRefused
from ..events import Event, Probed
from ..limits import MAX_FILM_SHOTS, MAX_PROMPT_CHARS
from ..messages import Message
from ..pricing import Estimate
from ..provider_choice import ProviderChoice
from ..providers import ProviderProfile
from ..schemas import GenerationRequest, plain_problems
from ..settings import Settings
from ..store import TaskRecord
from ..task_status import COMPLETED
from ..watcher import TaskManager
from ..watcher.films import FilmOrder, Joining
from ..watcher.recorder import request_summary
from . import inputs
from .assessment import Assessment
from .generation import Checking, GenerationRefused, RefusalStage, checked_references, limit_refusal
from .values import FormValues


class Service(Protocol):
    """What a film needs of `service.Service` (named here: the service module imports this one)."""

    settings: Settings
    choice: ProviderChoice
    manager: TaskManager
    run_profile: Callable[[ProviderProfile], ProviderProfile]

    def pick(self, values: FormValues) -> ProviderProfile: ...

    async def request_of(
        self, values: FormValues, profile: ProviderProfile, owner: str
    ) -> tuple[FormValues, GenerationRequest]: ...

    async def estimate(
        self, values: FormValues, *, visitor: str | None = None, owner: str | None = None
    ) -> Assessment: ...

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
    ) -> list[TaskRecord]: ...


__all__ = [
    "FilmDone",
    "FilmStarted",
    "Joining",
    "ShotEvent",
    "film_price",
    "make_film",
    "read_shots",
    "retry_film",
]

SHOTS = Message("field.shots")  # the field's name in refusals


@dataclass(frozen=True)
class FilmStarted:
    """The shots were handed to the TaskManager together: one record each, in order."""

    group_id: str
    record_ids: tuple[str, ...]
    durations: tuple[int, ...]
    estimate: Estimate | None  # the whole film's (None: the references were not priced)


@dataclass(frozen=True)
class ShotEvent:
    """A job event of shot `index` (0-based) of a film."""

    index: int
    record_id: str
    event: Event


@dataclass(frozen=True)
class FilmDone:
    """The film's record (completed with the joined video, or failed naming the shots to
    retry) and each shot's current record, in order."""

    film: TaskRecord
    shots: tuple[TaskRecord, ...]


def _refused(problem: Message) -> GenerationRefused:
    return GenerationRefused(RefusalStage.INPUT, [Message("field.problem", field=SHOTS, problem=problem)])


_LINE = re.compile(r"^\s*(\S+?)\s*[|｜]\s*(.*)$")


def _parsed(value: Any) -> Any:
    """JSON (`/film`), a list already parsed, or the page's lines ("5 | character1 waves")."""
    if not isinstance(value, str):
        return value
    if value.lstrip().startswith(("[", "{")):
        try:
            return json.loads(value)
        except ValueError:
            return None
    items: list[Any] = []
    for line in filter(str.strip, value.splitlines()):
        found = _LINE.match(line)
        items.append({"duration": found[1], "prompt": found[2]} if found else {"prompt": line.strip()})
    return items


# The most text a film's shots can take (every shot's prompt at its longest, and its JSON):
# longer is refused before it is parsed.
MAX_SHOTS_CHARS = MAX_FILM_SHOTS * (MAX_PROMPT_CHARS + 100)


def read_shots(value: Any, profile: ProviderProfile) -> list[Shot]:
    """The film's shots from JSON (a list of {"prompt", "duration"}), or lines of "seconds |
    prompt", each duration one the pick sells; else `GenerationRefused` naming what to change."""
    if isinstance(value, str) and len(value) > MAX_SHOTS_CHARS:
        raise _refused(Message("film.shots_too_long", count=len(value), max=MAX_SHOTS_CHARS))
    items = _parsed(value)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _refused(Message("film.shots_json", max=MAX_FILM_SHOTS))
    if not 1 <= len(items) <= MAX_FILM_SHOTS:
        raise _refused(Message("film.shots_count", count=len(items), max=MAX_FILM_SHOTS))
    shots, problems = [], []
    for number, item in enumerate(items, start=1):
        prompt = item.get("prompt")
        given = item.get("duration")
        seconds, problem = inputs.parse_duration(profile, given)
        if given is None or given == "":  # every shot says its length
            seconds, problem = None, Message("film.shot_seconds")
        if not isinstance(prompt, str) or not prompt.strip():
            problems.append(Message("film.shot_problem", number=number, problem=Message("film.shot_prompt")))
        if problem:
            problems.append(Message("film.shot_problem", number=number, problem=problem))
        if not problems:
            shots.append(Shot(prompt=str(prompt), duration=int(seconds or 0)))
    if problems:
        raise GenerationRefused(RefusalStage.INPUT, problems)
    return shots


async def make_film(
    service: Service, values: FormValues, shots_value: Any, *, owner: str, visitor: str | None
) -> AsyncIterator[Any]:
    """Check, price, hand the shots over (reserved together: a film over a limit is refused
    whole before any create), follow them, then the join. Closing this stops following only:
    the shots and the join go on without anybody watching."""
    profile = service.pick(values)
    shots = read_shots(shots_value, profile)
    first = replace(values, duration=shots[0].duration, prompt=shots[0].prompt)
    values, req = await service.request_of(first, profile, owner)
    try:
        requests = shot_requests(req, shots)
    except ValidationError as exc:
        raise GenerationRefused(RefusalStage.INPUT, plain_problems(exc)) from None
    yield Checking(profile)
    checked = _Checked()
    async for event in checked.run(req, profile, service.settings):
        yield event
    probed = checked.probed
    durations = [s.duration for s in shots]
    total = film_estimate(probed, durations, req.quality, profile).total if probed else None
    manager = service.manager
    records = await service.submit_batch(
        requests, values, profile, probed, owner=owner, visitor=visitor, kind=KIND_SHOT, parallel=1
    )
    group_id = records[0].group_id or ""
    summary = request_summary(req, probed) | {
        "prompt": " / ".join(s.prompt for s in shots),
        "duration": sum(durations),
        "shots": [{"prompt": s.prompt, "duration": s.duration} for s in shots],
    }
    order = FilmOrder(
        group_id,
        owner,
        records[0].provider,
        records[0].model,
        summary,
        total.model_dump(mode="json") if total is not None else None,
    )
    joined = asyncio.wrap_future(manager.join_film(order))
    ids = tuple(r.id for r in records)
    yield FilmStarted(group_id, ids, tuple(durations), total)
    async for event in follow_film(service, group_id, ids, joined, owner):
        yield event


async def retry_film(
    service: Service, values: FormValues, film_id: str, *, owner: str, visitor: str | None
) -> AsyncIterator[Any]:
    """The film's failed shots generated again, alone (each reserving its own estimate), on the
    form's references (a record keeps no files: give the same ones), then the film joined again
    into the same record. `GenerationRefused` (INPUT) when there is nothing to retry."""
    manager = service.manager
    film = await asyncio.to_thread(manager.get, film_id or "", owner)
    if film is None or film.group_kind != KIND_FILM or film.status == COMPLETED or not film.group_id:
        raise GenerationRefused(RefusalStage.INPUT, [Message("film.nothing_to_retry")])
    profile = service.pick(values)
    shots = [Shot(prompt=s["prompt"], duration=int(s["duration"])) for s in film.request.get("shots") or []]
    first = replace(values, duration=shots[0].duration, prompt=shots[0].prompt)
    values, req = await service.request_of(first, profile, owner)
    requests = shot_requests(req, shots)
    failed = [
        m for m in await asyncio.to_thread(manager.group, film.group_id, owner) if m.status != COMPLETED
    ]
    yield Checking(profile)
    checked = _Checked()
    async for event in checked.run(req, profile, service.settings):
        yield event
    run_profile = await asyncio.to_thread(service.run_profile, profile)
    for shot in failed:
        try:
            await asyncio.to_thread(
                manager.retry_record,
                shot.id,
                requests[(shot.group_position or 1) - 1],
                owner=owner,
                api_key=values.own_key,
                probed=checked.probed,
                visitor=visitor,
                profile=run_profile,
            )
        except SpendRefused as exc:
            raise limit_refusal(exc) from None
    order = FilmOrder(film.group_id, owner, film.provider, film.model, film.request, film.estimate)
    joined = asyncio.wrap_future(manager.join_film(order))
    ids = tuple(m.id for m in await asyncio.to_thread(manager.group, film.group_id, owner))
    yield FilmStarted(film.group_id, ids, tuple(s.duration for s in shots), None)
    async for event in follow_film(service, film.group_id, ids, joined, owner):
        yield event


class _Checked:
    """The references checked and prepared once (`checked_references`): its events, then
    `probed` (the prepared one goes to the jobs; only the first is shown)."""

    probed: Probed | None = None

    async def run(
        self, req: GenerationRequest, profile: ProviderProfile, settings: Settings
    ) -> AsyncIterator[Any]:
        async for event in checked_references(req, profile, settings):
            if isinstance(event, Probed):
                if self.probed is None:
                    yield event
                self.probed = event
            else:
                yield event


async def follow_film(
    service: Service, group_id: str, ids: tuple[str, ...], joined: asyncio.Future[TaskRecord], owner: str
) -> AsyncIterator[ShotEvent | Joining | FilmDone]:
    """The shots' events, the join's progress, and the film's record at the end."""
    manager = service.manager
    async for record_id, event in manager.follow_group(group_id, owner):
        if not isinstance(event, Probed) and record_id in ids:
            yield ShotEvent(ids.index(record_id), record_id, event)
    with manager.join_progress(group_id) as queue:
        while not joined.done():  # never cancelled here: the join goes on without us
            progress = asyncio.ensure_future(queue.get())
            try:
                await asyncio.wait({progress, joined}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not progress.done():
                    progress.cancel()
            if progress.done() and not progress.cancelled():
                yield progress.result()
    film = joined.result()
    shots = await asyncio.to_thread(manager.group, group_id, owner)
    yield FilmDone(film, tuple(shots))


async def film_price(
    service: Service, values: FormValues, shots_value: Any, *, visitor: str | None, owner: str
) -> tuple[int, FilmEstimate | None]:
    """The shots' count and the film's price before anything is spent (the references probed
    once, as the cost panel does); None when the references cannot be priced yet.
    `GenerationRefused` (INPUT) when the shots are not well formed."""
    profile = service.choice.pick(values.provider, values.model).profile
    shots = read_shots(shots_value, profile)
    a = await service.estimate(replace(values, duration=shots[0].duration), visitor=visitor, owner=owner)
    if a.probed is None or a.probed.estimate is None or a.profile is None:
        return len(shots), None
    return len(shots), film_estimate(a.probed, [s.duration for s in shots], a.quality, a.profile)
