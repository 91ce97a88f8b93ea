"""App-level singletons handed to every panel: settings, the effective provider profile, the
TaskManager and the identity signer. Nothing per-user lives here (per-user data is in
gr.State/gr.BrowserState).
"""

from __future__ import annotations

from dataclasses import dataclass

from wanvideo.identity import Identity
from wanvideo.providers import ProviderProfile, effective_profile
from wanvideo.settings import Settings
from wanvideo.watcher import TaskManager


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    profile: ProviderProfile
    manager: TaskManager
    identity: Identity

    @classmethod
    def create(cls, settings: Settings, manager: TaskManager) -> AppContext:
        return cls(
            settings=settings,
            profile=effective_profile(settings),
            manager=manager,
            identity=Identity.for_settings(settings),
        )

    @property
    def has_server_key(self) -> bool:
        return self.settings.api_key is not None and bool(self.settings.api_key.get_secret_value())

    @property
    def needs_user_key(self) -> bool:
        """Visitors must paste their own key (never in demo mode: the simulator needs none)."""
        if self.settings.is_demo:
            return False
        return self.settings.require_user_key or not self.has_server_key
