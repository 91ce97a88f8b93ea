"""Submitting: a click's generation (or a batch of them) checked against the spend guard, stored
already leased, and its job started on the manager's loop.

    submit        one generation (`TaskManager.submit`)
    submit_batch  variations or a film's shots: every record reserved in one transaction (the
                  limits hold for the whole batch, refused whole), each run as its own job, at
                  most the visitor's free slots at once (the others wait their turn); a shared
                  reference is uploaded once for the batch (`job.SharedUploads`)
    retry         one failed member of a batch again, alone: a new record at its position,
                  reserving its own estimate only (the others keep theirs)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from ..batch import KIND_SHOT, KIND_VARIATION
from ..events import Probed
from ..ids import new_group_id
from ..job import SharedUploads
from ..messages import Message
from ..providers import ProviderProfile
from ..schemas import GenerationRequest
from ..settings import Settings
from ..store import KEY_SERVER, KEY_VISITOR, TaskRecord
from ..task_status import COMPLETED
from .following import Following
from .keys import Key, KeyCustody, plain_key
from .leases import LeaseKeeper
from .profiles import Profiles
from .recorder import request_summary
from .runner import JobRunner
from .spend_guard import SpendGuard

KINDS = (KIND_VARIATION, KIND_SHOT)


@dataclass(frozen=True)
class Pick:
    """What one click runs on: the provider profile, the key, whether server credits are spent."""

    target: ProviderProfile
    chosen: ProviderProfile | None  # another provider than the configured one
    visitor_key: str | None
    key: Key
    guarded: bool


@dataclass(frozen=True)
class Member:
    """Where a record sits in its batch (`TaskRecord.group_*`)."""

    group_id: str
    kind: str
    position: int
    size: int


class Submitter:
    def __init__(
        self,
        settings: Settings,
        profile: ProviderProfile,
        *,
        spend: SpendGuard,
        keys: KeyCustody,
        profiles: Profiles,
        runner: JobRunner,
        following: Following,
        leases: LeaseKeeper,
        call_soon: Callable[[Callable[[], Any]], None],
        ensure_running: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.profile = profile
        self.spend = spend
        self.keys = keys
        self.profiles = profiles
        self.runner = runner
        self.following = following
        self.leases = leases
        self.call_soon = call_soon
        self.ensure_running = ensure_running

    # the parts of a submission -----------------------------------------------------
    def pick(self, api_key: str | SecretStr | None, profile: ProviderProfile | None) -> Pick:
        visitor_key = plain_key(api_key)
        chosen = profile if profile is not None and profile.name != self.profile.name else None
        if chosen is not None:  # where it has no upload, the app may serve the references
            chosen = chosen.with_overrides(public_url=self.settings.public_base_url)
        if chosen is not None and visitor_key is None and not self.settings.is_demo:
            raise ValueError(
                f"{chosen.label} needs your own API key: the server's key is for {self.profile.label}"
            )
        return Pick(
            target=chosen or self.profile,
            chosen=chosen,
            visitor_key=visitor_key,
            key=visitor_key or self.keys.server_key(),
            guarded=self.spend.spends_server_credits(visitor_key),
        )

    def record(
        self,
        pick: Pick,
        request: GenerationRequest,
        probed: Probed | None,
        *,
        owner: str,
        visitor: str | None,
        member: Member | None = None,
    ) -> TaskRecord:
        """A new record for `request` (not stored yet), with its reservation on the server's key."""
        if not owner:
            raise ValueError("a task needs an owner")
        if probed is not None and len(probed.probes) != request.reference_count:
            raise ValueError("`probed` describes other references than the request")
        target = pick.target
        # The variant it runs on (a model the provider does not sell is refused by the job).
        model = (
            request.model if target.model_problem(request.model) else target.with_model(request.model).model
        )
        spend = self.spend.reservation(target, request, probed) if pick.guarded else None
        return TaskRecord.new(
            owner=owner,
            provider=target.name,
            model=model,
            request=request_summary(request, probed),
            key_source=KEY_VISITOR if pick.visitor_key else KEY_SERVER,
            message=Message("rec.checking"),
            # Inserted already leased to this worker: no sweep can take it before the job starts.
            lease_owner=self.leases.worker,
            lease_ttl=self.leases.ttl,
            visitor=visitor or owner,  # its generations in flight are limited in every mode
            spend_credits=spend,
            seed=request.seed,
            group_id=member.group_id if member else None,
            group_kind=member.kind if member else None,
            group_position=member.position if member else None,
            group_size=member.size if member else None,
        )

    def _accepted(self, pick: Pick, record: TaskRecord) -> None:
        if pick.visitor_key:
            self.keys.bind(record.id, pick.visitor_key)
        if pick.chosen is not None:
            self.profiles.keep(record.id, pick.chosen)
        self.following.record_changed(record)

    def _job(
        self,
        record: TaskRecord,
        request: GenerationRequest,
        pick: Pick,
        probed: Probed | None,
        uploads: SharedUploads | None = None,
    ) -> Coroutine[Any, Any, None]:
        return self.runner.run_new(record, request, pick.key, probed, uploads)

    # submissions -------------------------------------------------------------------
    def submit(
        self,
        request: GenerationRequest,
        *,
        owner: str,
        api_key: str | SecretStr | None,
        probed: Probed | None,
        visitor: str | None,
        profile: ProviderProfile | None,
        member: Member | None = None,
    ) -> TaskRecord:
        """One generation (see `TaskManager.submit`); `member`: its place in a batch (a retry)."""
        pick = self.pick(api_key, profile)
        record = self.record(pick, request, probed, owner=owner, visitor=visitor, member=member)
        self.ensure_running()
        self.runner.accept(record.id)  # and no sweep of this process triages it meanwhile
        try:
            self.spend.insert(record, guarded=pick.guarded)  # SpendRefused: nothing stored or sent
        except BaseException:
            self.runner.unaccept(record.id)
            raise
        self._accepted(pick, record)
        run, job = self.runner, self._job(record, request, pick, probed)
        self.call_soon(lambda: run.spawn(record.id, job))
        return record

    def submit_batch(
        self,
        requests: Sequence[GenerationRequest],
        *,
        owner: str,
        api_key: str | SecretStr | None,
        probed: Probed | None,
        visitor: str | None,
        profile: ProviderProfile | None,
        group: str | None = None,
        kind: str = KIND_VARIATION,
        parallel: int | None = None,
    ) -> list[TaskRecord]:
        """Several generations of one click (see `TaskManager.submit_batch`)."""
        if not requests:
            raise ValueError("a batch needs at least one request")
        if kind not in KINDS:
            raise ValueError(f"a batch is of {' or '.join(KINDS)}, not {kind!r}")
        if parallel is not None and parallel < 1:
            raise ValueError("at least one of a batch runs at a time")
        pick = self.pick(api_key, profile)
        group_id = group or new_group_id()
        size = len(requests)
        records = [
            self.record(
                pick,
                request,
                probed,
                owner=owner,
                visitor=visitor,
                member=Member(group_id, kind, position, size),
            )
            for position, request in enumerate(requests, start=1)
        ]
        self.ensure_running()
        for record in records:
            self.runner.accept(record.id)
        try:  # SpendRefused: none stored, nothing uploaded or created
            free = self.spend.insert_batch(records, guarded=pick.guarded)
        except BaseException:
            for record in records:
                self.runner.unaccept(record.id)
            raise
        for record in records:
            self._accepted(pick, record)
        at_once = min(free, parallel or free)
        for index in range(at_once, size):  # these wait for a sibling to finish first
            waiting = Message("rec.waiting_turn", count=at_once)
            records[index] = self.runner.recorder.update(records[index].id, message=waiting) or records[index]
        uploads = SharedUploads()  # the shared references are uploaded once for the batch
        jobs = [
            (r.id, self._job(r, q, pick, probed, uploads)) for r, q in zip(records, requests, strict=True)
        ]
        run = self.runner

        def start() -> None:  # on the loop: the turn-taking gate belongs to it
            gate = asyncio.Semaphore(at_once)
            for record_id, job in jobs:
                run.spawn(record_id, in_turn(gate, job))

        self.call_soon(start)
        return records

    def retry(
        self,
        failed: TaskRecord,
        current: TaskRecord | None,
        request: GenerationRequest,
        *,
        owner: str,
        api_key: str | SecretStr | None,
        probed: Probed | None,
        visitor: str | None,
        profile: ProviderProfile | None,
    ) -> TaskRecord | None:
        """`failed`'s position of its batch again, alone, as a new record in the same group
        reserving only its own estimate. None when `failed` is not a batch member that ended
        without its video, or was already replaced (`current`: its position's latest record)."""
        if failed.group_id is None or failed.group_position is None or failed.group_kind is None:
            return None
        if not failed.is_final or failed.status == COMPLETED:
            return None
        if current is None or current.id != failed.id:
            return None
        member = Member(failed.group_id, failed.group_kind, failed.group_position, failed.group_size or 1)
        return self.submit(
            request,
            owner=owner,
            api_key=api_key,
            probed=probed,
            visitor=visitor,
            profile=profile,
            member=member,
        )


async def in_turn(gate: asyncio.Semaphore, job: Coroutine[Any, Any, None]) -> None:
    """Run `job` once `gate` has room (a batch runs at most the visitor's free slots at once)."""
    try:
        async with gate:
            await job
    finally:
        job.close()  # never started (cancelled while waiting): no "never awaited" warning
