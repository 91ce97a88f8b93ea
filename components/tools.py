"""What an agent reads about `/estimate` and `/generate`: their API and MCP tool descriptions.

    tools.describe(demo, ctx)     # after every panel is wired

Gradio builds an MCP tool (WAN_MCP_SERVER) and the API page from an endpoint function's
docstring: a description, then `Args:` lines `name: text`, then `Returns:`. The text is
written here once, from the facts' own constants (limits, billing caps, the provider's price
table), and set on the endpoint functions by their api_name, so a changed limit or price
changes what agents read.
"""

from __future__ import annotations

from decimal import Decimal

import gradio as gr

from wanvideo.limits import (
    MAX_CALLBACK_URL_CHARS,
    MAX_FILM_SHOTS,
    MAX_PROMPT_CHARS,
    MAX_REFERENCE_BYTES,
    MAX_REFERENCE_SECONDS,
    MAX_REFERENCES,
    MAX_VARIATIONS,
    MIN_REFERENCE_SECONDS,
)
from wanvideo.pricing import CAP_BY_COUNT, format_credits
from wanvideo.providers import (
    ASPECT_RATIOS,
    FLASH,
    NEGATIVE_PROMPT_MAX,
    PROFILES,
    QUALITIES,
    SEED_MAX,
    SHOT_TYPES,
    STANDARD,
    WAN27,
    ProviderProfile,
)
from wanvideo.web.routes import LINK_TTL

from .context import AppContext

ESTIMATE, GENERATE, CANCEL, FILM, FILM_RETRY = "estimate", "generate", "cancel", "film", "film_retry"


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def cost_rule(profile: ProviderProfile) -> str:
    """The billing rule in one paragraph, from the price table."""
    p = profile.prices
    caps = ", ".join(f"{n} reference{'s' * (n > 1)}: {_plain(cap)} s each" for n, cap in CAP_BY_COUNT.items())
    rates = "; ".join(f"{q}: {_plain(p.credits_per_second(q))} credits per second" for q in QUALITIES)
    return (
        f"Cost rule ({profile.label}, prices as of {p.as_of}): billed seconds = each reference's "
        f"duration up to a cap ({caps}) + the output duration; credits = billed seconds x the rate "
        f"({rates}), at least {format_credits(p.minimum_credits)}; {_plain(p.credits_per_usd)} "
        "credits = $1. Charged only when the video is made. Example: two 3 s references and a 5 s "
        f"video at {QUALITIES[0]} bill 2.5 + 2.5 + 5 = 10 s."
    )


def _references() -> str:
    return (
        f"1 to {MAX_REFERENCES} references in total (files first, then links), each an mp4 or mov "
        f"of {MIN_REFERENCE_SECONDS:g} to {MAX_REFERENCE_SECONDS:g} s and at most "
        f"{MAX_REFERENCE_BYTES // 1_000_000} MB, one person each; their order is character1, "
        "character2, character3"
    )


def _durations(profile: ProviderProfile) -> str:
    return (
        f"output length in seconds, {profile.duration_rule()}, written as text "
        f'(e.g. "{profile.default_duration}", the default)'
    )


def _character_and_control_args() -> str:
    """The Args lines of the parameters `/estimate` and `/generate` both take after the
    provider and model: photos, voices, the generation controls, variations."""
    return f"""    images: reference photos of characters (JPEG, PNG, WEBP, BMP or HEIC; fixed where they can be: turned upright, flattened, scaled, re-encoded), after the videos in character order; only where the model takes photos ({_takers("max_images")}). Over MCP use image_urls.
    image_urls: public http(s) links to reference photos, one per line, after the photo files.
    voices: audio files (or clips whose sound is used), 1 to 10 s, the i-th for the i-th character (videos first, then photos); only where the model binds a voice to a character ({_voice_takers()}).
    seed: a whole number from 0 to {SEED_MAX}: the same seed with the same request gives a similar video ({_takers("seed")}).
    negative_prompt: what the video should not show, at most {NEGATIVE_PROMPT_MAX} characters ({_takers("negative_prompt")}).
    prompt_extend: true to let the provider rewrite the prompt with more detail ({_takers("prompt_extend")}).
    audio: false for a silent video at the cheaper silent price ({_takers("audio")}); empty: with sound.
    watermark: true to add the provider's watermark ({_takers("watermark")}).
    variations: 1 to {MAX_VARIATIONS} generations of this request with different seeds (the given seed and the next ones where the model takes a seed), priced and reserved together: the amounts are for all of them."""


def estimate_doc(ctx: AppContext) -> str:
    profile = ctx.profile
    return f"""Price a Wan 2.6 reference video-to-video generation before paying. Spends nothing and sends nothing to the provider. {cost_rule(profile)}

Args:
    videos: reference video files ({_references()}). Over MCP leave it empty and give public links in video_urls (Gradio's MCP server does not take a list of files).
    video_urls: public http(s) links to reference videos, one per line; they come after the files.
    quality: {" or ".join(QUALITIES)} (default {QUALITIES[0]}).
    duration: {_durations(profile)}.
    fix_references: true to let the app convert, trim, rotate or shrink a clip that can be fixed; the price is for the clip as it will be sent.
    reference_starts: where each reference's used part starts, in seconds, in the references' order.
    provider: {_providers(ctx)}
    model: {_models()}
{_character_and_control_args()}

Returns:
    JSON: per reference its duration and billed seconds, billed input and output seconds, total billed seconds, credits, usd, problems (what to change before generating; empty when it can go), budget (what this app's key may still spend today, when limits apply), and providers (the same job on every provider and model: provider, model, quality, billed_seconds, usd, confirmed)."""


def generate_doc(ctx: AppContext) -> str:
    profile = ctx.profile
    key_rule = (
        "required: this app runs on the caller's own key"
        if ctx.needs_user_key
        else "optional: empty uses this app's key, within its daily spending limits"
    )
    if ctx.settings.is_demo:
        key_rule = "not needed: this app runs in demo mode and nothing is charged"
    return f"""Generate a video with Wan 2.6 from 1 to {MAX_REFERENCES} reference clips of characters and a prompt. THIS SPENDS MONEY (credits on the provider) unless the app runs in demo mode: call estimate first with the same references, quality and duration, and confirm the price. Every rule is checked before anything is sent; a refusal says what to change and nothing is charged. It waits until the video is saved (minutes). {cost_rule(profile)}

Args:
    prompt: what happens, naming the references character1, character2, character3; at most {MAX_PROMPT_CHARS} characters.
    videos: reference video files ({_references()}). Over MCP leave it empty and give public links in video_urls (Gradio's MCP server does not take a list of files).
    video_urls: public http(s) links to reference videos, one per line; they come after the files.
    quality: {" or ".join(QUALITIES)} (default {QUALITIES[0]}); 1080p costs more.
    aspect_ratio: one of {", ".join(ASPECT_RATIOS)} (default {ASPECT_RATIOS[0]}).
    duration: {_durations(profile)}.
    shot_type: {" or ".join(SHOT_TYPES)} (single: one continuous shot; multi: several cuts); it overrides the prompt.
    callback_url: optional public https URL (at most {MAX_CALLBACK_URL_CHARS} characters) the provider posts the finished task to.
    api_key: the caller's own provider API key, {key_rule}. Used for this request only, never stored or logged.
    fix_references: true to let the app convert, trim, rotate or shrink a clip that can be fixed.
    reference_starts: where each reference's used part starts, in seconds, in the references' order.
    provider: {_providers(ctx)} Another provider than this app's needs your own key for it in api_key{" (not in demo mode)" if ctx.settings.is_demo else ""}.
    model: {_models()}
{_character_and_control_args()}

Returns:
    The status text, the player, and the task record JSON: task_id, status, provider, video_path (file name), video_url (a signed link to download the video, valid {LINK_TTL // 60} minutes), estimate, error."""


def film_doc(ctx: AppContext) -> str:
    """`/film`: generate's arguments (the prompt aside: each shot has its own), then `shots`."""
    args = generate_doc(ctx).split("\nArgs:\n", 1)[1].split("\n\nReturns:", 1)[0]
    args = "\n".join(
        line for line in args.splitlines() if not line.strip().startswith(("prompt:", "duration:"))
    )
    return f"""Make a film: 1 to {MAX_FILM_SHOTS} shots with the same references, characters and settings, generated one after another and joined into one MP4 with its sound. THIS SPENDS MONEY like generate, once per shot: the shots are priced in total and reserved together before anything is sent (a film over a spending limit is refused whole, nothing created). It waits until the film is joined and saved (minutes).

Args:
{args}
    shots: a JSON list of the shots, e.g. [{{"prompt": "character1 walks in", "duration": 5}}, {{"prompt": "character1 waves", "duration": 5}}]; each duration is one the model sells ({_durations(ctx.profile)}).

Returns:
    The status text, the player, and the film's record JSON: record_id, status, video_url (a signed link, valid {LINK_TTL // 60} minutes), duration (seconds), error (which shots to retry), and shots (each shot's record_id, task_id, seed, status, video_url)."""


def film_retry_doc(ctx: AppContext) -> str:
    """`/film_retry`: film's arguments, with the film's record_id in place of the shots."""
    args = film_doc(ctx).split("\nArgs:\n", 1)[1].split("\n    shots:", 1)[0]
    return f"""Retry a film's failed shots, alone, then join the film again into the same record. THIS SPENDS MONEY once per failed shot (each reserves its own estimate). Give the same references, characters and settings as the film (the app keeps no copy of them).

Args:
{args}
    film_id: the record_id of your film whose shots failed (film's answer).

Returns:
    The same as film: the status text, the player and the film's record."""


def _providers(ctx: AppContext) -> str:
    names = ctx.choice.names()
    return f"who makes the video: one of {', '.join(names)} (empty: {names[0]}, this app's provider)."


def _models() -> str:
    return (
        f"the provider's model: {STANDARD} (Wan 2.6), {FLASH} (its faster, cheaper variant) or {WAN27} "
        f"(Wan 2.7: characters from photos and videos, a voice each), where the provider sells it "
        f"(empty: {STANDARD})."
    )


def _takers(rule: str) -> str:
    """Which provider and model pairs take a control or photos, from the catalogue."""
    pairs = sorted(
        {f"{p.provider} {v.id}" for p in PROFILES.values() for v in p.variants if getattr(v.reference, rule)}
    )
    return ", ".join(pairs) if pairs else "none"


def _voice_takers() -> str:
    pairs = sorted(
        {
            f"{p.provider} {v.id}"
            for p in PROFILES.values()
            for v in p.variants
            if v.reference.voices != "none"
        }
    )
    return ", ".join(pairs) if pairs else "none"


def _cancel_rules() -> tuple[str, str]:
    """Who can cancel and when ("<brand> while ..."), and the original contracts with no
    cancel, from the catalogue (`brand`, `cancel_words`; one brand per provider key)."""
    can, cannot = {}, {}
    for profile in PROFILES.values():
        brand = profile.brand or profile.provider
        if profile.cancel_words:
            can.setdefault(brand, f"{brand} {profile.cancel_words}")
        elif profile.adapter == profile.provider:  # a look-alike shares its original's rule
            cannot.setdefault(brand, brand)
    return ", ".join(can.values()), " and ".join(cannot.values())


def cancel_doc() -> str:
    can, cannot = _cancel_rules()
    return f"""Cancel one of your own tasks at the provider, where the provider can: {can}. Nothing is charged for a cancelled task. {cannot} tasks, and tasks already running, cannot be cancelled: they go on and are charged if the video is made. Only the caller who started the task can cancel it.

Args:
    task_id: the task_id (or record_id) from generate's task record.
    api_key: the key the task was started with, when it was your own and the app restarted since (optional).

Returns:
    JSON: task_id, record_id, outcome (cancelled, too_late, not_supported, not_found, not_submitted), cancelled, charged (false when cancelled; null: charged only if the video is made), message."""


def describe(demo: gr.Blocks, ctx: AppContext) -> None:
    """Set the descriptions on the endpoint functions (by api_name), and name each function
    after its endpoint (Gradio names an MCP tool after the function); a missing one raises."""
    docs = {
        ESTIMATE: estimate_doc(ctx),
        GENERATE: generate_doc(ctx),
        CANCEL: cancel_doc(),
        FILM: film_doc(ctx),
        FILM_RETRY: film_retry_doc(ctx),
    }
    found = set()
    for block_fn in demo.fns.values():
        if block_fn.api_name in docs and block_fn.fn is not None:
            block_fn.fn.__doc__ = docs[block_fn.api_name]
            block_fn.fn.__name__ = block_fn.api_name
            found.add(block_fn.api_name)
    missing = set(docs) - found
    if missing:
        raise RuntimeError(f"no endpoint named {', '.join(sorted(missing))} to describe")
