"""App-level singletons handed to every panel: settings, the effective provider profile, the
providers a visitor may pick (`choice`), the TaskManager, the identity signer, the
prepared-clip cache, the per-visitor estimate limiter and, in demo mode, the simulators. Nothing per-user lives here
(per-user data is in gr.State/gr.BrowserState).

    picked = ctx.choice.pick(provider, model)     # the profile a form or API pick means
    profile = ctx.run_profile(picked.profile)     # demo: pointed at its dialect's simulator
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gradio.utils import get_upload_folder

from wanvideo.cast import Cast
from wanvideo.identity import Identity
from wanvideo.media.clips import PreparedClips, use_clips
from wanvideo.provider_choice import ProviderChoice
from wanvideo.providers import ProviderProfile, effective_profile
from wanvideo.service import Service
from wanvideo.settings import Settings
from wanvideo.watcher import TaskManager

if TYPE_CHECKING:
    from wanvideo.simulator.pool import SimulatorPool

PREPARED_FOLDER = "wan-prepared"


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    profile: ProviderProfile
    manager: TaskManager
    identity: Identity
    clips: PreparedClips
    choice: ProviderChoice
    service: Service  # what the page, the API and MCP call: estimate and generate
    simulators: SimulatorPool | None = None

    @classmethod
    def create(
        cls, settings: Settings, manager: TaskManager, simulators: SimulatorPool | None = None
    ) -> AppContext:
        # Prepared clips live in Gradio's upload folder: served for the card previews like the
        # uploads themselves, and cleaned with them (layout hands `clips.files` to delete_cache).
        clips = PreparedClips(Path(get_upload_folder()) / PREPARED_FOLDER)
        use_clips(clips)  # the task runner's jobs and "Delete local copy" use the same cache
        profile = effective_profile(settings)
        choice = ProviderChoice(configured=profile, demo=settings.is_demo)

        def run_profile(picked: ProviderProfile) -> ProviderProfile:
            """Demo mode: another provider's simulator (started now if it is not running yet)."""
            return picked if simulators is None else choice.for_run(picked, simulators.base_url)

        return cls(
            settings=settings,
            profile=profile,
            manager=manager,
            identity=Identity.for_settings(settings, shared=manager.store.shared_secret),
            clips=clips,
            choice=choice,
            service=Service(
                settings,
                choice,
                manager,
                run_profile=run_profile,
                cast=Cast(manager.store, manager.storage, settings),
            ),
            simulators=simulators,
        )

    @property
    def needs_user_key(self) -> bool:
        """Visitors must paste their own key (never in demo mode: the simulator needs none)."""
        return self.service.needs_user_key
