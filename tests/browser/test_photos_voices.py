"""Characters from photos with a voice, in real Chromium, in English and Chinese (issue 17): drop a
photo, see its card and its character number, pick Wan 2.7 and see the price change, attach a
voice to the card, see the controls the pick does not take disabled with the reason, generate in
demo mode. Screenshots (desktop and a 390 px phone) go to tests/.artifacts."""

from __future__ import annotations

import math
import re
import struct
import wave
from pathlib import Path

import pytest
from PIL import Image

from wanvideo.messages import EN, ZH, Message, t

from .conftest import Studio
from .test_journey import WAIT, open_studio

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photo-voice")
    photo = Image.new("RGB", (640, 800), (40, 110, 190))
    photo.paste((240, 200, 160), (220, 200, 420, 460))  # a face-coloured block
    photo.save(folder / "mia.jpg", quality=90)
    rate = 16000
    with wave.open(str(folder / "mia.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(i / 9))) for i in range(3 * rate)))
    return {"photo": folder / "mia.jpg", "voice": folder / "mia.wav"}


def _pick_model(page, lang: str) -> None:  # noqa: ANN001
    model = page.get_by_role("combobox", name=t("field.model", lang))
    if not model.is_visible():
        page.locator("#advanced button.label-wrap").first.click()  # the accordion's header
    model.click()
    page.get_by_role("option", name=re.compile(re.escape(t("provider.variant.wan2.7", lang)))).click()


@pytest.mark.parametrize(("locale", "lang"), [("en-US", EN), ("zh-CN", ZH)])
def test_a_photo_with_a_voice_on_wan27_in_the_page(
    browser,  # noqa: ANN001
    studio: Studio,
    media: dict[str, Path],
    artifacts: Path,
    locale: str,
    lang: str,
) -> None:
    from playwright.sync_api import expect

    context, page = open_studio(browser, studio, locale=locale)
    try:
        cost = page.locator("#cost-estimate")
        page.locator("#reference-images input[type=file]").set_input_files([str(media["photo"])])
        card = page.locator("#reference-card-1")
        expect(card).to_contain_text("character1", timeout=WAIT)
        expect(card).to_contain_text("mia.jpg")
        expect(card).to_contain_text("640 × 800")
        # Wan 2.6 on the demo takes no photos: the panel says what to change.
        no_images_yet = Message("refs.no_images", provider=Message("provider.demo"), count=1).render(lang)
        expect(cost).to_contain_text(no_images_yet)
        assert cost.inner_text().count(no_images_yet) == 1, cost.inner_text()  # said once
        before = cost.inner_text()

        _pick_model(page, lang)
        expect(cost).to_contain_text("wan2.7-reference-video", timeout=WAIT)  # priced on Wan 2.7 now
        expect(cost).not_to_have_text(before)
        no_images = Message("refs.no_images", provider=Message("provider.demo"), count=1).render(lang)
        expect(cost).not_to_contain_text(no_images)  # Wan 2.7 takes the photo

        # The pick binds one voice to a single character: the card's voice is offered.
        voice = page.locator("#reference-voice-1")
        expect(voice).to_be_visible()
        voice.locator("input[type=file]").set_input_files([str(media["voice"])])
        expect(card).to_contain_text("mia.wav", timeout=WAIT)

        # Controls the pick does not take are disabled with the reason.
        page.locator("#controls button.label-wrap").first.click()  # the accordion's header
        seed = page.locator("#seed")
        expect(seed.locator("input, textarea").first).to_be_disabled()
        reason = t(
            "control.not_taken", lang, control=t("field.seed", lang), provider=t("provider.demo", lang)
        )
        expect(seed).to_contain_text(reason.split("：")[0].split(":")[0])
        expect(page.locator("#negative-prompt textarea, #negative-prompt input").first).to_be_enabled()

        page.locator("#prompt textarea").fill("character1 waves and says hello")
        page.screenshot(path=str(artifacts / f"photo-voice-{locale}.png"), full_page=True)
        page.locator("#generate").click()
        expect(page.locator("#status-panel")).to_contain_text(t("view.done", lang), timeout=120_000)
        expect(page.locator("#result-video video")).to_be_visible(timeout=WAIT)
        page.set_viewport_size({"width": 390, "height": 900})
        page.screenshot(path=str(artifacts / f"photo-voice-{locale}-phone.png"), full_page=True)
    finally:
        context.close()


def test_same_seed_on_a_history_card_fills_the_seed_the_provider_used(
    browser,  # noqa: ANN001
    studio: Studio,
    clips: dict[str, Path],
) -> None:
    """fal reports the seed it used; the card offers Same seed, which puts it in the form."""
    from playwright.sync_api import expect

    from .test_providers import pick_provider

    context, page = open_studio(browser, studio)
    try:
        pick_provider(page, "fal (simulated)")
        page.get_by_label("Reference videos").set_input_files([str(clips["a3"])])
        expect(page.locator("#cost-estimate")).to_contain_text("Cost estimate: $", timeout=WAIT)
        page.locator("#prompt textarea").fill("character1 jumps over a puddle")
        page.locator("#generate").click()
        expect(page.locator("#status-panel")).to_contain_text(t("view.done", EN), timeout=120_000)
        card = page.locator("#history-list .wan-hist-card").first
        expect(card).to_contain_text("character1 jumps over a puddle", timeout=WAIT)
        card.get_by_role("button", name="Same seed").click()
        seed = page.locator("#seed input, #seed textarea").first
        expect(seed).to_have_value(re.compile(r"^\d+$"), timeout=WAIT)
        expect(seed).to_be_enabled()  # fal takes a seed
    finally:
        context.close()
