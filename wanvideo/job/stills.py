"""Image references and voices of a generation: probed in the sandbox, checked, and (images with
`fix`; voices always, cut only with `fix`) prepared at once: each is a second's work, cached by
content, so the estimate and Generate share it.

    stills = await check_stills(images, image_urls, voices, video_count, settings, fix=True)
    probed = stills.attach(probed)          # image_probes, prepared_images, voice_probes, ...
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .. import media
from ..events import Probed
from ..media.image import (
    ImageFixError,
    ImagePlan,
    ImageProbe,
    PreparedImage,
    plan_image,
    prepare_image,
    probe_image_local,
)
from ..media.image_links import download_image, probe_image_url
from ..media.voice import (
    PreparedVoice,
    VoiceFixError,
    VoiceProbe,
    plan_voice,
    prepare_voice,
    probe_voice_local,
)
from ..messages import Message
from ..netguard import FetchError
from ..settings import Settings

log = logging.getLogger("wanvideo.job")

IMAGE_DOWNLOAD_SECONDS = 60.0  # a linked image that needs fixing is downloaded within this
LINK_MEMORY_SECONDS = 3600.0  # a link fixed this recently is not downloaded again (as clips.py)


@dataclass(frozen=True)
class Stills:
    """What `check_stills` found: the `Probed` fields for images and voices."""

    image_probes: tuple[ImageProbe, ...] = ()
    image_plans: tuple[ImagePlan, ...] = ()
    prepared_images: tuple[PreparedImage | None, ...] = ()
    voice_probes: tuple[VoiceProbe | None, ...] = ()
    prepared_voices: tuple[PreparedVoice | None, ...] = ()
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def attach(self, probed: Probed) -> Probed:
        return replace(
            probed,
            image_probes=self.image_probes,
            image_plans=self.image_plans,
            prepared_images=self.prepared_images,
            voice_probes=self.voice_probes,
            prepared_voices=self.prepared_voices,
        )


@dataclass(frozen=True)
class _Image:
    probe: ImageProbe
    plan: ImagePlan
    made: PreparedImage | None = None


# (url, job key) -> (when, what was found): fixed links, so each estimate does not download again
_LINKS: dict[tuple[str, str], tuple[float, _Image]] = {}


def _root() -> Path:
    return media.default_clips().root


def _made(path: Path) -> None:
    """Files made here are cleaned with the prepared clips (Gradio's cache cleaner)."""
    media.default_clips().files.add(str(path))


async def _fixed(source: Path, probe: ImageProbe, plan: ImagePlan) -> _Image:
    try:
        made = await prepare_image(source, probe, plan, root=_root())
    except ImageFixError as exc:
        return _Image(probe, replace(plan, problems=(exc.message,)))
    _made(made.path)
    return _Image(probe, plan, made)


async def _image_file(path: str, fix: bool) -> _Image:
    probe = await probe_image_local(path, Path(path).name)
    plan = plan_image(probe, fix=fix)
    if plan.job is None:
        return _Image(probe, plan)
    return await _fixed(Path(path), probe, plan)


async def _image_link(url: str, settings: Settings, fix: bool) -> _Image:
    allow = settings.allow_private_urls
    probe = await probe_image_url(url, allow_private=allow, timeout=settings.probe_timeout)
    plan = plan_image(probe, fix=fix)
    if plan.job is None:
        return _Image(probe, plan)
    seen = _LINKS.get((url, plan.job.key()))
    fresh = seen is not None and time.monotonic() - seen[0] < LINK_MEMORY_SECONDS
    if seen is not None and fresh and seen[1].made is not None and seen[1].made.path.exists():
        return seen[1]  # fixed in the last hour: the estimate's refreshes do not download it again
    found = await _download_and_fix(url, probe, settings, fix)
    if found.made is not None:
        now = time.monotonic()
        for key in [k for k, (when, _) in _LINKS.items() if now - when >= LINK_MEMORY_SECONDS]:
            _LINKS.pop(key, None)  # forgotten after an hour: the memory stays small
        _LINKS[(url, plan.job.key())] = (now, found)
    return found


async def _download_and_fix(url: str, probe: ImageProbe, settings: Settings, fix: bool) -> _Image:
    allow = settings.allow_private_urls
    plan = plan_image(probe, fix=fix)
    folder = Path(tempfile.mkdtemp(prefix="link-", dir=_root()))
    try:
        try:
            source = await download_image(url, folder, allow_private=allow, timeout=IMAGE_DOWNLOAD_SECONDS)
        except FetchError as exc:
            failed = Message("prep.download_failed", name=probe.name, reason=exc.message)
            return _Image(probe, replace(plan, problems=(failed,)))
        # The bytes downloaded are what is fixed: read their header again (the server could
        # have sent something else than on the first look).
        fresh = await probe_image_local(source, probe.name)
        plan = plan_image(fresh, fix=fix)
        if plan.job is None:
            return _Image(replace(fresh, source=url, is_remote=True), plan)
        return await _fixed(source, replace(fresh, source=url, is_remote=True), plan)
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


async def _voice(
    path: str | None, fix: bool
) -> tuple[VoiceProbe | None, PreparedVoice | None, tuple[str, ...]]:
    if not path:
        return None, None, ()
    probe = await probe_voice_local(path, Path(path).name)
    plan = plan_voice(probe, fix=fix)
    if plan.problems:
        return probe, None, plan.problems
    try:
        voice = await prepare_voice(path, probe, plan, root=_root())
    except VoiceFixError as exc:
        return probe, None, (exc.message,)
    if voice.path != Path(path):
        _made(voice.path)
    return probe, voice, ()


async def _safe(work: asyncio.Future[_Image] | asyncio.Task[_Image], source: str) -> _Image:
    try:
        return await work
    except Exception as exc:  # one image must never take the check down
        log.warning("checking an image failed: %s", type(exc).__name__)
        name = Path(source).name
        probe = ImageProbe(name=name, source=source)
        return _Image(
            probe, ImagePlan(problems=(Message("job.not_checked", name=name, kind=type(exc).__name__),))
        )


async def check_stills(
    images: Sequence[str],
    image_urls: Sequence[str],
    voices: Sequence[str | None],
    video_count: int,
    settings: Settings,
    *,
    fix: bool,
) -> Stills:
    """Probe, check and prepare the images (files, then links) and the voices (by reference
    index over videos then images). Never raises for a bad file or link."""
    image_work = [_safe(_image_file(p, fix), p) for p in images]
    image_work += [_safe(_image_link(u, settings, fix), u) for u in image_urls]
    voice_work = [_voice(v, fix) for v in voices]
    tasks = [asyncio.ensure_future(w) for w in (*image_work, *voice_work)]
    try:
        done = await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    found: list[_Image] = list(done[: len(image_work)])
    heard = done[len(image_work) :]
    problems = [p for item in found for p in item.plan.problems]
    warnings = [w for item in found for w in item.plan.warnings]
    problems += [p for _, _, voice_problems in heard for p in voice_problems]
    references = video_count + len(found)
    return Stills(
        image_probes=tuple(item.probe for item in found),
        image_plans=tuple(item.plan for item in found),
        prepared_images=tuple(item.made for item in found),
        voice_probes=tuple(probe for probe, _, _ in heard) + (None,) * (references - len(heard)),
        prepared_voices=tuple(voice for _, voice, _ in heard) + (None,) * (references - len(heard)),
        problems=tuple(problems),
        warnings=tuple(warnings),
    )
