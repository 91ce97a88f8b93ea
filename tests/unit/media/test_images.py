"""Reference images: every format people upload, checked from their bytes in the sandbox and
fixed (converted, flattened, turned upright, scaled, re-encoded) into what every provider takes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.images import BLUE, RED, make_bomb_png, make_photo, pad_jpeg
from wanvideo.limits import MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, MIN_IMAGE_SIDE
from wanvideo.media import Sandbox
from wanvideo.media.image import (
    ImagePlan,
    ImageProbe,
    PreparedImage,
    plan_image,
    prepare_image,
    probe_image_local,
)
from wanvideo.media.sniff import sniff_container


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("photos")
    out = {
        f"photo.{ext}": make_photo(d / f"photo.{ext}", (800, 600))
        for ext in ("jpg", "png", "webp", "bmp", "heic")
    }
    out["clear.png"] = make_photo(d / "clear.png", (800, 600), alpha=True)
    out["turned.jpg"] = make_photo(d / "turned.jpg", (800, 400), orientation=6)
    out["huge.jpg"] = make_photo(d / "huge.jpg", (12000, 9000))
    out["padded.jpg"] = pad_jpeg(out["photo.jpg"], d / "padded.jpg", MAX_IMAGE_BYTES + 1_000_000)
    out["bomb.png"] = make_bomb_png(d / "bomb.png", 100_000, 100_000)
    (d / "notes.png").write_text("These are my notes, not a picture.\n" * 20)
    out["notes.png"] = d / "notes.png"
    return out


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox(workers=1, memory_mb=1024)
    yield sandbox
    sandbox.close()


def probe(path: Path, box: Sandbox) -> ImageProbe:
    return asyncio.run(probe_image_local(path, path.name, sandbox=box))


def fixed(path: Path, box: Sandbox, root: Path) -> tuple[ImageProbe, ImagePlan, PreparedImage]:
    found = probe(path, box)
    plan = plan_image(found, fix=True)
    assert plan.job is not None and not plan.problems, (plan.problems, found.problems)
    made = asyncio.run(prepare_image(path, found, plan, root=root, sandbox=box))
    data = made.path.read_bytes()
    assert sniff_container(data[:512]) == "jpeg" and len(data) == made.bytes <= MAX_IMAGE_BYTES
    with Image.open(made.path) as image:
        assert image.size == (made.width, made.height) and image.mode == "RGB"
    return found, plan, made


def ids(messages: tuple[str, ...]) -> list[str]:
    return [getattr(m, "id", m) for m in messages]


def color_at(path: Path, x: float, y: float) -> tuple[int, int, int]:
    with Image.open(path) as image:
        return image.convert("RGB").getpixel((int(x * (image.width - 1)), int(y * (image.height - 1))))


def near(color: tuple[int, ...], want: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(color, want, strict=True))


@pytest.mark.parametrize("name", ["photo.jpg", "photo.png", "photo.webp", "photo.bmp"])
def test_each_format_providers_take_is_sent_as_it_is(
    name: str, photos: dict[str, Path], box: Sandbox
) -> None:
    found = probe(photos[name], box)
    assert (found.width, found.height, found.problems) == (800, 600, ())
    assert found.format == {"jpg": "jpeg"}.get(name[6:], name[6:])
    plan = plan_image(found, fix=True)
    assert plan.job is None and plan.notes == () and plan.problems == ()


def test_a_heic_photo_is_converted_to_jpeg(photos: dict[str, Path], box: Sandbox, tmp_path: Path) -> None:
    found, plan, made = fixed(photos["photo.heic"], box, tmp_path)
    assert (found.format, found.format_name, found.width, found.height) == ("heif", "HEIC", 800, 600)
    assert ids(made.notes) == ["image.note_converted"] and (made.width, made.height) == (800, 600)
    assert near(color_at(made.path, 0.5, 0.9), RED) and near(color_at(made.path, 0.5, 0.05), BLUE)
    refused = plan_image(found, fix=False)
    assert ids(refused.problems) == ["image.format_off"] and "HEIC" in refused.problems[0]


def test_exif_orientation_6_comes_out_upright(photos: dict[str, Path], box: Sandbox, tmp_path: Path) -> None:
    found, _, made = fixed(photos["turned.jpg"], box, tmp_path)
    assert (found.width, found.height, found.rotated, found.orientation) == (400, 800, True, 6)
    assert (made.width, made.height) == (400, 800) and ids(made.notes) == ["image.note_upright"]
    # Stored with a blue top band; orientation 6 turns it 90 degrees clockwise: the band is on the right.
    assert near(color_at(made.path, 0.95, 0.5), BLUE) and near(color_at(made.path, 0.05, 0.5), RED)
    with Image.open(made.path) as image:
        assert image.getexif().get(0x0112, 1) == 1  # no tag left to turn it again


def test_a_png_with_transparency_is_flattened_onto_white(
    photos: dict[str, Path], box: Sandbox, tmp_path: Path
) -> None:
    found, _, made = fixed(photos["clear.png"], box, tmp_path)
    assert found.has_alpha and ids(made.notes) == ["image.note_flattened"]
    assert near(color_at(made.path, 0.25, 0.6), (255, 255, 255)) and near(color_at(made.path, 0.75, 0.6), RED)
    assert ids(plan_image(found, fix=False).problems) == ["image.alpha_off"]


def test_a_huge_photo_is_scaled_into_the_pixel_range(
    photos: dict[str, Path], box: Sandbox, tmp_path: Path
) -> None:
    started = time.monotonic()
    found, _, made = fixed(photos["huge.jpg"], box, tmp_path)
    assert (found.width, found.height) == (12000, 9000)
    assert (made.width, made.height) == (MAX_IMAGE_SIDE, 1500) and ids(made.notes) == ["image.note_scaled"]
    assert near(color_at(made.path, 0.5, 0.05), BLUE) and near(color_at(made.path, 0.5, 0.9), RED)
    assert time.monotonic() - started < 10  # decoded reduced (draft), not at 108 MP
    off = plan_image(found, fix=False).problems
    assert ids(off) == ["image.pixels_off"] and f"{MIN_IMAGE_SIDE}" in off[0]


def test_a_jpeg_over_the_byte_limit_is_re_encoded_under_it(
    photos: dict[str, Path], box: Sandbox, tmp_path: Path
) -> None:
    found, _, made = fixed(photos["padded.jpg"], box, tmp_path)
    assert found.bytes is not None and found.bytes > MAX_IMAGE_BYTES
    assert ids(made.notes) == ["image.note_reencoded"] and made.bytes < MAX_IMAGE_BYTES
    assert (made.width, made.height) == (800, 600)
    assert ids(plan_image(found, fix=False).problems) == ["image.bytes_off"]


def test_a_text_file_named_png_is_refused_saying_what_to_change(
    photos: dict[str, Path], box: Sandbox
) -> None:
    found = probe(photos["notes.png"], box)
    assert found.format == "text" and ids(found.problems) == ["image.not_image"]
    assert "notes.png is a text file, not an image" in found.problems[0]
    assert "upload a JPEG, PNG, WEBP, BMP or HEIC image" in found.problems[0]
    assert plan_image(found, fix=True).problems == found.problems


def test_a_bomb_header_is_refused_without_decoding(photos: dict[str, Path], box: Sandbox) -> None:
    before = box.restarts
    started = time.monotonic()
    found = probe(photos["bomb.png"], box)
    assert ids(found.problems) == ["image.too_many_pixels"] and (found.width, found.height) == (
        100_000,
        100_000,
    )
    assert "100000×100000" in found.problems[0]
    # Decoding would need 30 GB: under the worker's 1 GB cap it would have failed for memory
    # (and the worker been replaced). It was refused from its header, in milliseconds.
    assert box.restarts == before and time.monotonic() - started < 5


def test_a_source_over_the_app_limit_is_refused_by_its_size(tmp_path: Path, box: Sandbox) -> None:
    path = make_photo(tmp_path / "big.png", (400, 400))
    found = asyncio.run(probe_image_local(path, "big.png", sandbox=box, max_bytes=100))
    assert ids(found.problems) == ["image.source_too_big"]


def test_fixed_images_are_cached_by_content(photos: dict[str, Path], box: Sandbox, tmp_path: Path) -> None:
    _, plan, first = fixed(photos["clear.png"], box, tmp_path)
    stamp = first.path.stat().st_mtime_ns
    _, _, again = fixed(photos["clear.png"], box, tmp_path)
    assert again.path == first.path and again.path.stat().st_mtime_ns == stamp
