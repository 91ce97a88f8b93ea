"""Saved characters (the cast) put into a request: each character's file before the uploaded
references of its kind (videos, then photos, as everywhere), its voice at its place.

    values = with_characters(values, cast, owner)   # CastError: a name that is not in the cast
"""

from __future__ import annotations

from dataclasses import replace

from ..cast import VIDEO, Cast
from . import inputs
from .values import FormValues


def with_characters(values: FormValues, cast: Cast | None, owner: str) -> FormValues:
    """`values` with its `characters` resolved into files (None or none asked: unchanged)."""
    names = inputs.character_names(values.characters)
    if not names or cast is None:
        return values
    chosen = [cast.get(owner, name) for name in names]
    paths = cast.materialize(owner, [c.id for c in chosen])
    voices = cast.voices(owner, [c.id for c in chosen])
    cast_videos = [(str(p), v) for c, p, v in zip(chosen, paths, voices, strict=True) if c.kind == VIDEO]
    cast_images = [(str(p), v) for c, p, v in zip(chosen, paths, voices, strict=True) if c.kind != VIDEO]
    # The given voices belong to the given references, in their order (videos, links, photos...).
    given_voices = inputs.voice_paths(values.voices)
    given_videos = len(inputs.file_paths(values.videos)) + len(inputs.url_lines(values.video_urls))
    given_images = len(inputs.file_paths(values.images)) + len(inputs.url_lines(values.image_urls))
    padded = given_voices + [None] * (given_videos + given_images - len(given_voices))
    voices = [
        *(str(v) if v else None for _, v in cast_videos),
        *padded[:given_videos],
        *(str(v) if v else None for _, v in cast_images),
        *padded[given_videos:],
    ]
    return replace(
        values,
        characters=None,
        videos=[p for p, _ in cast_videos] + inputs.file_paths(values.videos),
        images=[p for p, _ in cast_images] + inputs.file_paths(values.images),
        voices=voices if any(voices) else None,
    )
