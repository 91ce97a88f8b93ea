"""App-level singletons handed to every panel: settings, the effective provider profile, the
TaskManager, the identity signer and the prepared-clip cache. Nothing per-user lives here
(per-user data is in gr.State/gr.BrowserState).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradio.utils import get_upload_folder

from wanvideo.identity import Identity
from wanvideo.media.clips import PreparedClips, use_clips
from wanvideo.providers import ProviderProfile, effective_profile
from wanvideo.settings import Settings
from wanvideo.watcher import TaskManager

PREPARED_FOLDER = "wan-prepared"


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    profile: ProviderProfile
    manager: TaskManager
    identity: Identity
    clips: PreparedClips

    @classmethod
    def create(cls, settings: Settings, manager: TaskManager) -> AppContext:
        # Prepared clips live in Gradio's upload folder: served for the card previews like the
        # uploads themselves, and cleaned with them (layout hands `clips.files` to delete_cache).
        clips = PreparedClips(Path(get_upload_folder()) / PREPARED_FOLDER)
        use_clips(clips)  # the task runner's jobs and "Delete local copy" use the same cache
        return cls(
            settings=settings,
            profile=effective_profile(settings),
            manager=manager,
            identity=Identity.for_settings(settings),
            clips=clips,
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
