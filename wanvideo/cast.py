"""The cast (issue 20): a visitor's saved characters, each a reference (a clip or a photo) kept
as it will be sent, with an optional voice, so it is reused without uploading it again.

    cast = Cast(store, storage, settings)
    character = await cast.add(owner, "Anna", "anna.mov", VIDEO, profile=profile)
    cast.list(owner); cast.get(owner, "anna"); cast.delete(owner, character.id)
    paths = cast.materialize(owner, ["Anna", "ch_..."])   # local files, in order, for a generation

A reference is checked and fixed exactly as a generation checks it (`check_references` with
fix on for a clip, `check_stills` for a photo and a voice) and refused with the same words.
The files live where saved videos live (`wanvideo/storage`: the data folder or S3) under
`cast/<owner-hash>/<id>.<ext>`; the records in the store, every read scoped to its owner.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .error_base import WanError
from .events import Failed, Probed
from .job.references import check_references, prepare_step
from .job.stills import check_stills
from .limits import MAX_CAST_CHARACTERS, MAX_CHARACTER_NAME_CHARS
from .messages import Message, echoed
from .providers import ProviderProfile
from .settings import Settings
from .storage import Storage
from .store.cast import IMAGE, KINDS, VIDEO, Added, CastStore, Character, new_character_id

__all__ = ["IMAGE", "VIDEO", "Cast", "CastError", "Character"]

CAST_PREFIX = "cast"  # the storage keys' first part
CACHE_FOLDER = "cast-cache"  # under the data folder: characters read back from a remote store


class CastError(WanError):
    """A character could not be added, found or used; `message` says what to change."""


def owner_folder(owner: str) -> str:
    """The owner's folder in storage: a hash, so a key never shows the owner's id."""
    return hashlib.sha256(owner.encode()).hexdigest()[:24]


def check_name(name: str) -> str:
    """The name as kept (trimmed), or CastError saying how to fix it."""
    name = (name or "").strip()
    if not name:
        raise CastError(Message("cast.name_empty", max=MAX_CHARACTER_NAME_CHARS))
    if len(name) > MAX_CHARACTER_NAME_CHARS:
        raise CastError(Message("cast.name_too_long", count=len(name), max=MAX_CHARACTER_NAME_CHARS))
    return name


class Cast:
    def __init__(self, store: CastStore, storage: Storage, settings: Settings) -> None:
        self.store = store
        self.storage = storage
        self.settings = settings

    async def add(
        self,
        owner: str,
        name: str,
        reference_path: str | os.PathLike[str],
        kind: str,
        voice_path: str | os.PathLike[str] | None = None,
        *,
        profile: ProviderProfile,
    ) -> Character:
        """Check and fix the reference (and voice) as a generation would for `profile`, store the
        files, keep the character. CastError when refused (nothing is kept then)."""
        name = check_name(name)
        if kind not in KINDS:
            raise CastError(Message("cast.bad_kind", kind=echoed(kind)))
        self._check_room(owner, name)
        ref, voice = await _prepared(str(reference_path), kind, voice_path, profile, self.settings)
        character_id = new_character_id()
        base = f"{CAST_PREFIX}/{owner_folder(owner)}/{character_id}"
        key = f"{base}{ref.suffix.lower() or '.bin'}"
        voice_key = f"{base}.voice{voice.suffix.lower() or '.wav'}" if voice is not None else None
        self._put_copy(key, ref)
        if voice is not None and voice_key is not None:
            self._put_copy(voice_key, voice)
        character = Character.new(owner, name, kind, key, voice_key, character_id=character_id)
        added = self.store.add_character(character, MAX_CAST_CHARACTERS)
        if added is not Added.ADDED:
            self._remove_files(character)
            raise self._refusal(added, name)
        return character

    def list(self, owner: str) -> list[Character]:
        return self.store.characters(owner)

    def get(self, owner: str, id_or_name: str) -> Character:
        """The owner's character of that id or name (any case); CastError when there is none."""
        found = self.store.character(owner, (id_or_name or "").strip())
        if found is None:
            raise CastError(Message("cast.not_found", name=echoed(id_or_name)))
        return found

    def delete(self, owner: str, character_id: str) -> bool:
        """Remove the owner's character and its files; False when the owner has none of that id."""
        removed = self.store.delete_character(owner, character_id)
        if removed is None:
            return False
        self._remove_files(removed)
        return True

    def materialize(self, owner: str, ids_or_names: Sequence[str]) -> list[Path]:
        """The local files of the owner's characters, in order, to feed a generation: the file
        itself on local disk; from a remote store, a copy in a private cache (downloaded once)."""
        return [self.local_file(self.get(owner, item).key) for item in ids_or_names]

    def voices(self, owner: str, ids_or_names: Sequence[str]) -> list[Path | None]:
        """Each character's voice file (as `materialize`), None where it has none."""
        found = [self.get(owner, item) for item in ids_or_names]
        return [self.local_file(c.voice_key) if c.voice_key else None for c in found]

    def local_file(self, key: str) -> Path:
        path = self.storage.local_path(key)
        if path is not None:
            if not path.is_file():
                raise CastError(Message("cast.file_missing"))
            return path
        cache = Path(self.settings.data_dir) / CACHE_FOLDER
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = hashlib.sha256(key.encode()).hexdigest()[:32] + Path(key).suffix
        target = cache / name
        size = self.storage.size(key)
        if size is None:
            raise CastError(Message("cast.file_missing"))
        if target.is_file() and target.stat().st_size == size:
            return target
        fd, part = tempfile.mkstemp(dir=cache, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                for block in self.storage.open_range(key, 0, size - 1):
                    fh.write(block)
            os.replace(part, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(part)
        return target

    # ------------------------------------------------------------------ helpers
    def _check_room(self, owner: str, name: str) -> None:
        """Refuse early (before any media work); `add_character` checks again atomically."""
        if len(self.store.characters(owner)) >= MAX_CAST_CHARACTERS:
            raise self._refusal(Added.FULL, name)
        if self.store.character(owner, name) is not None:
            raise self._refusal(Added.NAME_TAKEN, name)

    @staticmethod
    def _refusal(added: Added, name: str) -> CastError:
        if added is Added.FULL:
            return CastError(Message("cast.full", max=MAX_CAST_CHARACTERS))
        return CastError(Message("cast.name_taken", name=echoed(name)))

    def _put_copy(self, key: str, path: Path) -> None:
        """Store a copy (`put_file` consumes its file; the prepared one stays in its cache)."""
        folder = Path(self.settings.data_dir) / CACHE_FOLDER
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, copy = tempfile.mkstemp(dir=folder, suffix=path.suffix)
        os.close(fd)
        try:
            shutil.copyfile(path, copy)
            self.storage.put_file(key, Path(copy))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(copy)

    def _remove_files(self, character: Character) -> None:
        for key in (character.key, character.voice_key):
            if key:
                self.storage.delete(key)
                cached = Path(self.settings.data_dir) / CACHE_FOLDER
                cached = cached / (hashlib.sha256(key.encode()).hexdigest()[:32] + Path(key).suffix)
                cached.unlink(missing_ok=True)


async def _prepared(
    reference: str,
    kind: str,
    voice: str | os.PathLike[str] | None,
    profile: ProviderProfile,
    settings: Settings,
) -> tuple[Path, Path | None]:
    """The reference and the voice as a generation would send them, or CastError with the
    generation's own words for the first problem."""
    voices = [str(voice)] if voice else []
    if kind == IMAGE:
        stills = await check_stills([reference], [], voices, 0, settings, fix=True)
        _refuse(stills.problems)
        image = stills.prepared_images[0] if stills.prepared_images else None
        sent = image.path if image is not None else Path(reference)
    else:
        probed = await check_references(
            [reference], [], "720p", profile.default_duration, profile, settings, fix=True
        )
        _refuse(probed.problems)
        sent = await _clip(probed, reference, profile, settings)
        stills = await check_stills([], [], voices, 1, settings, fix=True)
        _refuse(stills.problems)
    made = stills.prepared_voices[0] if stills.prepared_voices else None
    return sent, (made.path if made is not None else None)


async def _clip(probed: Probed, reference: str, profile: ProviderProfile, settings: Settings) -> Path:
    """The clip as it will be sent: prepared (converted, trimmed, shrunk) when it needs it."""
    if not probed.to_prepare:
        return Path(reference)
    async with contextlib.aclosing(
        prepare_step(probed, [reference], "720p", profile.default_duration, profile, settings)
    ) as steps:
        async for step in steps:
            if isinstance(step, Failed):
                raise CastError(step.message, suggestion=str(step.suggestion or ""))
            if isinstance(step, Probed):
                _refuse(step.problems)
                clip = step.clip(0)
                return clip.path if clip is not None else Path(reference)
    raise CastError(Message("cast.file_missing"))


def _refuse(problems: Sequence[str]) -> None:
    if problems:
        raise CastError(Message("cast.refused", problem=problems[0]))
