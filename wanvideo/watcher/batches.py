"""The batch half of `TaskManager`'s public API (issue 20): variations and a film's shots
submitted together, one member retried alone, the kept variation, the batch's events merged.
The parts are `submitting.Submitter` and `groups`; this mixin only hands over to them."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractContextManager

from pydantic import SecretStr

from ..batch import KIND_VARIATION
from ..events import Event, Probed
from ..providers import ProviderProfile
from ..schemas import GenerationRequest
from ..store import TaskRecord, TaskStoreBase
from .films import FilmJoiner, FilmOrder
from .following import Following
from .groups import current_at, current_members, follow_all, keep_member
from .loop_thread import LoopThread
from .submitting import Submitter


class BatchTasks:
    """Mixed into `TaskManager`, which sets the attributes and `get` / `follow`."""

    store: TaskStoreBase
    submitter: Submitter
    following: Following
    films: FilmJoiner
    _thread: LoopThread

    def start(self) -> object:
        raise NotImplementedError

    def get(self, record_id: str, owner: str) -> TaskRecord | None:
        raise NotImplementedError

    def follow(self, record_id: str, owner: str, *, refresh: float = 5.0) -> AsyncIterator[Event]:
        raise NotImplementedError

    def submit_batch(
        self,
        requests: Sequence[GenerationRequest],
        *,
        owner: str,
        api_key: str | SecretStr | None = None,
        probed: Probed | None = None,
        visitor: str | None = None,
        profile: ProviderProfile | None = None,
        group: str | None = None,
        kind: str = KIND_VARIATION,
        parallel: int | None = None,
    ) -> list[TaskRecord]:
        """Several generations of one click at once (issue 20: variations, `batch.variation_requests`;
        a film's shots, `kind=batch.KIND_SHOT`), on the same references (`probed`), key and
        provider as `submit`. Every record is reserved in ONE transaction: the owner's pause, the
        credit limits for their sum, and one free slot of the visitor's generations in flight;
        a batch that does not fit raises `budget.SpendRefused` whole, before anything is stored,
        uploaded or created. The records share `group_id` (`group`, else a new one), with
        `group_kind` and `group_position` (1-based) of `group_size`. Each runs as its own job (a
        failed one fails no other), at most the visitor's free slots (and `parallel`) at once;
        the others wait their turn. Returns the records in order, at once."""
        return self.submitter.submit_batch(
            requests,
            owner=owner,
            api_key=api_key,
            probed=probed,
            visitor=visitor,
            profile=profile,
            group=group,
            kind=kind,
            parallel=parallel,
        )

    def retry_record(
        self,
        record_id: str,
        request: GenerationRequest,
        *,
        owner: str,
        api_key: str | SecretStr | None = None,
        probed: Probed | None = None,
        visitor: str | None = None,
        profile: ProviderProfile | None = None,
    ) -> TaskRecord | None:
        """Generate one failed member of a batch again, alone (a film's shot): a new record in its
        group at its position, reserving its own estimate only (`SpendRefused` when that does not
        fit). `request`: the member's request (the record keeps no file paths). None when the
        record is not the owner's, not in a batch, not failed, or already retried."""
        failed = self.get(record_id, owner)
        if failed is None or failed.group_id is None:
            return None
        current = current_at(self.store.group_records(failed.group_id, owner), failed.group_position)
        return self.submitter.retry(
            failed,
            current,
            request,
            owner=owner,
            api_key=api_key,
            probed=probed,
            visitor=visitor,
            profile=profile,
        )

    def group(self, group_id: str, owner: str) -> list[TaskRecord]:
        """The batch's current records (a retried position's latest), by position."""
        return current_members(self.store.group_records(group_id, owner)) if owner and group_id else []

    def keep(self, record_id: str, owner: str) -> TaskRecord | None:
        """Mark the owner's completed variation as the one kept (its siblings no longer are)."""
        return keep_member(self.store, self.get(record_id, owner), self.following.record_changed)

    def follow_group(
        self, group_id: str, owner: str, *, refresh: float = 5.0
    ) -> AsyncIterator[tuple[str, Event]]:
        """(record id, event) for every current record of the batch, from any loop, merged as they
        come (each record's `follow`: its latest state first); ends when all are final."""
        members = [r.id for r in self.group(group_id, owner)]
        return follow_all(members, lambda rid: self.follow(rid, owner, refresh=refresh))

    def join_film(self, order: FilmOrder) -> concurrent.futures.Future[TaskRecord]:
        """Join a film's shots (`order.group_id`, submitted with `kind=KIND_SHOT`) once they have
        all ended, on the manager's loop, whoever still watches (`films.FilmJoiner`): the film's
        record once stored, completed with the joined video or failed naming the shots."""
        self.start()
        return asyncio.run_coroutine_threadsafe(self.films.run(order), self._thread.loop)

    def join_progress(self, group_id: str) -> AbstractContextManager[asyncio.Queue]:
        """A queue (in the caller's loop) of the film's `films.Joining` progress while it joins."""
        return self.following.events.following(group_id)
