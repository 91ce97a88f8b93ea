"""Each task's provider profile: the one given at submit or resume, else rebuilt from the
record's provider (with its region) and model after a restart; and pacing, the
generation time its polls are paced by, learned from recent completed tasks."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..client import expected_generation_time
from ..provider_choice import ProviderChoice
from ..providers import ProviderProfile
from ..settings import Settings
from ..store import KEY_VISITOR, TaskRecord, TaskStoreBase

log = logging.getLogger("wanvideo.watcher")


class Profiles:
    """Record id -> the profile a task runs on while this process has it."""

    def __init__(
        self,
        settings: Settings,
        store: TaskStoreBase,
        configured: ProviderProfile,
        base_url_for: Callable[[str, str | None], str] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.configured = configured
        self.choice = ProviderChoice(configured=configured, demo=settings.is_demo)
        self.base_url_for = base_url_for
        self._kept: dict[str, ProviderProfile] = {}

    def keep(self, record_id: str, profile: ProviderProfile) -> None:
        self._kept[record_id] = profile

    def forget(self, record_id: str) -> None:
        self._kept.pop(record_id, None)

    def for_record(self, record: TaskRecord) -> ProviderProfile:
        """The profile a task runs on: the one it was submitted or resumed with, else rebuilt
        from the record's provider and model (after a restart). Where it cannot run here (a
        provider not offered now, or another provider on the server's key) the configured
        one, which `triage` reports as not watchable here."""
        kept = self._kept.get(record.id)
        if kept is not None:
            return kept
        rebuilt = self._rebuilt(record)
        if rebuilt is None:
            return self.configured
        self._kept[record.id] = rebuilt
        return rebuilt

    def _rebuilt(self, record: TaskRecord) -> ProviderProfile | None:
        """The profile of a stored task: in demo mode another provider is pointed at its
        dialect's simulator (never a real host); with a public address, a provider without an
        upload takes the references the app serves (as at submit)."""
        own_key = record.key_source == KEY_VISITOR
        profile = self.choice.stored(record.provider, record.model, own_key=own_key)
        if profile is None or not self.choice.is_other(profile):
            return profile
        if self.settings.is_demo:
            if self.base_url_for is None:
                return None
            try:
                profile = self.choice.for_run(profile, self.base_url_for)
            except Exception:  # no simulator: the task waits as it would without its profile
                log.exception("could not start the simulator for %s (%s)", record.id, record.provider)
                return None
        return profile.with_overrides(public_url=self.settings.public_base_url)

    def paced(self, profile: ProviderProfile, model: str | None) -> ProviderProfile:
        """`profile` with the generation time its polls are paced by learned from this app's
        recent completed tasks of that provider and model (its prior until there are enough)."""
        same = (None, profile.model) if model in (None, profile.model) else (model,)  # None: the default
        runs = self.store.recent_run_seconds(profile.name, same)
        learned = expected_generation_time(runs, profile.generation_time)
        return (
            profile
            if learned == profile.generation_time
            else profile.model_copy(update={"generation_time": learned})
        )
