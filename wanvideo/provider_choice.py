"""Which provider a visitor may pick for one request, and the profile that pick means.

The server's configured provider (`effective_profile(settings)`, with its host and price
overrides) is always offered; every other provider is offered too, but runs only on the
visitor's own key for it (the server's key belongs to the configured provider). In demo mode
every provider is offered with no key: each runs against a simulator of its own dialect
(`SimulatorPool`, started lazily on the first generation that needs it).

    choice = ProviderChoice(configured=ctx.profile, demo=settings.is_demo)
    choice.options()                                   # [(name, label), ...], configured first
    picked = choice.pick(name, "flash")                # Pick(profile, problems)
    picked.profile.prices, picked.problems             # [] or sentences naming what to change
    choice.key_problem(picked.profile, has_own_key=False)   # "<label> needs your own <label> key: ..."
    run_profile = choice.for_run(picked.profile, pool.base_url)  # demo: pointed at its simulator
    choice.stored(record.provider, record.model, own_key=False)  # a stored task's, or None

Pure except `for_run`'s call of `base_url_for` (which may start a simulator).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .messages import Message, echoed
from .providers import DEMO, PROFILES, REAL_PROVIDERS, ProviderProfile, compared_profiles, demo_profiles
from .schemas import field_problem

# The simulator dialect (and region) that plays each provider in demo mode: each catalogue
# entry's `dialect` (the demo first).
DEMO_DIALECTS: dict[str, tuple[str, str | None]] = demo_profiles()

# Visible text: the catalogue's choice.* messages (wanvideo.messages, both languages).


@dataclass(frozen=True)
class Pick:
    """The profile a (provider, model) pick means, with the chosen model selected; `problems`
    say what to change (then `profile` is the configured one, for pricing only)."""

    profile: ProviderProfile
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ProviderChoice:
    configured: ProviderProfile
    demo: bool = False

    def names(self) -> list[str]:
        """Profile names offered, the configured one first."""
        offered = list(DEMO_DIALECTS) if self.demo else list(REAL_PROVIDERS)
        return [self.configured.name, *(n for n in offered if n != self.configured.name)]

    def profile_of(self, name: str) -> ProviderProfile:
        return self.configured if name == self.configured.name else PROFILES[name]

    def label(self, name: str) -> Message | str:
        profile = self.profile_of(name)  # short labels: the choice must fit a phone's dropdown
        if self.demo:
            return profile.label if name == DEMO else Message("choice.simulated", label=profile.short)
        if name == self.configured.name:
            return Message("choice.this_app", label=profile.short)
        return Message("choice.own_key", label=profile.short)

    def options(self) -> list[tuple[str, Message | str]]:
        """(name, label) for every offered provider, the configured one first."""
        return [(name, self.label(name)) for name in self.names()]

    def pick(self, provider: str | None, model: str | None = None) -> Pick:
        """The profile for a pick (empty provider: the configured one; empty model: its default)."""
        name = (provider or "").strip() or self.configured.name
        model = (model or "").strip() or None
        if name not in self.names():
            unknown = Message("choice.unknown_provider", name=echoed(name), names=", ".join(self.names()))
            return Pick(self.configured, [field_problem("provider", unknown)])
        profile = self.profile_of(name)
        problem = profile.model_problem(model)
        if problem:
            return Pick(profile, [field_problem("model", problem)])
        return Pick(profile.with_model(model))

    def is_other(self, profile: ProviderProfile) -> bool:
        """Another provider than the configured one (it runs on the visitor's key)."""
        return profile.name != self.configured.name

    def key_problem(self, profile: ProviderProfile, *, has_own_key: bool) -> str | None:
        """Another provider needs the visitor's own key (never in demo mode)."""
        if self.demo or has_own_key or not self.is_other(profile):
            return None
        return Message("choice.needs_own_key", label=profile.label)

    def stored(self, name: str, model: str | None, *, own_key: bool) -> ProviderProfile | None:
        """The profile a stored task runs on (its provider name and model variant), or None
        where it cannot run here now: a provider not offered, or another provider than the
        configured one on the server's key (that key is the configured provider's; in demo mode
        every dialect runs without one). A model no longer sold falls back to the default."""
        picked = self.pick(name, model)
        if not picked.ok and picked.profile.name == name:  # the provider, without that model
            picked = self.pick(name)
        if not picked.ok or self.key_problem(picked.profile, has_own_key=own_key):
            return None
        return picked.profile

    def compared(self) -> list[ProviderProfile]:
        """The rows of "Compare providers": every real provider and model variant, the
        configured one with its price overrides (`WAN_PRICES_JSON`)."""
        return [
            self.configured.with_model(p.model) if p.name == self.configured.name else p
            for p in compared_profiles()
        ]

    def key_note(self, profile: ProviderProfile) -> str | None:
        """What the cost panel says about the key a pick needs (it cannot see the key)."""
        if self.demo or not self.is_other(profile):
            return None
        return Message("choice.runs_on_own_key", label=profile.label)

    def for_run(
        self, profile: ProviderProfile, base_url_for: Callable[[str, str | None], str]
    ) -> ProviderProfile:
        """The profile a job runs with: in demo mode, another provider is pointed at the
        simulator of its dialect (`base_url_for(dialect, region)`); else unchanged."""
        if not self.demo or not self.is_other(profile):
            return profile
        dialect, region = DEMO_DIALECTS[profile.name]
        url = base_url_for(dialect, region)
        return profile.model_copy(update={"api_base_url": url, "files_base_url": url})
