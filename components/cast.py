"""Your cast (issue 20): saved characters (a clip or a photo, with an optional voice), shown as
cards; `/cast_add` and `/cast_list` for the API and MCP. A character is put into a generation
by name in the form's Characters box (`FormValues.characters`), before the uploaded
references of its kind.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from typing import Any

import gradio as gr

from wanvideo.cast import IMAGE, VIDEO, CastError, Character
from wanvideo.escape import for_html
from wanvideo.messages import EN, Message
from wanvideo.service.inputs import character_names

from . import identity
from .context import AppContext
from .lang import lang_of, static, t


@dataclass
class CastPanel:
    cards: gr.HTML
    name: gr.Textbox
    video: gr.File
    image: gr.File
    voice: gr.File
    add: gr.Button
    added: gr.JSON  # hidden: /cast_add's answer
    list_trigger: gr.Button  # hidden: carries /cast_list
    listed: gr.JSON


def cards_html(characters: list[Character], lang: str = EN) -> str:
    """The saved characters as small cards (name, clip or photo, voice), oldest first."""
    if not characters:
        return f'<div class="wan-refs-empty">{html.escape(t("cast.empty", lang))}</div>'
    cards = []
    for c in characters:
        kind = t("cast.kind_video" if c.kind == VIDEO else "cast.kind_image", lang)
        voice = f" · {html.escape(t('cast.has_voice', lang))}" if c.voice_key else ""
        cards.append(
            f'<div class="wan-ref wan-cast" data-character="{html.escape(c.id)}">'
            f"<b>{html.escape(c.name)}</b><br><span>{html.escape(kind)}{voice}</span><br>"
            f'<button type="button" class="wan-act" data-use="{html.escape(c.name)}">'
            f"{html.escape(t('cast.use', lang))}</button></div>"
        )
    return f'<div class="wan-refs">{"".join(cards)}</div>'


def character_json(c: Character) -> dict[str, Any]:
    return {
        "character_id": c.id,
        "name": c.name,
        "kind": c.kind,
        "has_voice": c.voice_key is not None,
        "created_at": c.created_at,
    }


# A card's Use: the character's name to the server (`use_character`), which adds it to the form.
USE_JS = """
element.addEventListener("click", (event) => {
  const button = event.target.closest("[data-use]");
  if (button && element.contains(button)) trigger("use_character", { name: button.dataset.use });
});
"""


def with_character(names: str | None, name: str) -> str:
    """The Characters box with `name` added at the end (once: a name already there stays where
    it is). Names are separated by commas or lines, as `FormValues.characters` reads them."""
    given = character_names(names)
    if name.casefold() not in {n.casefold() for n in given}:
        given.append(name)
    return ", ".join(given)


def render() -> CastPanel:
    with gr.Accordion(static("cast.title"), open=False, elem_id="cast"):
        cards = gr.HTML(
            f'<div class="wan-refs-empty">{static("cast.empty")}</div>',
            elem_id="cast-cards",
            js_on_load=USE_JS,
        )
        with gr.Row(equal_height=False):
            name = gr.Textbox(label=static("cast.name"), max_lines=1, elem_id="cast-name", min_width=160)
            video = gr.File(
                label=static("cast.video"),
                file_types=["video"],
                type="filepath",
                height=90,
                elem_id="cast-video",
            )
            image = gr.File(
                label=static("cast.image"), file_types=["image", ".heic", ".heif"], type="filepath", height=90
            )
            voice = gr.File(
                label=static("form.voice_label"), file_types=["audio", "video"], type="filepath", height=90
            )
        add = gr.Button(static("cast.add"), elem_id="cast-add", size="sm")
    return CastPanel(
        cards=cards,
        name=name,
        video=video,
        image=image,
        voice=voice,
        add=add,
        added=gr.JSON(visible=False, label="Character"),
        list_trigger=gr.Button("Cast", visible=False),
        listed=gr.JSON(visible=False, label="Cast"),
    )


def listen(ctx: AppContext, panel: CastPanel, owner: gr.components.Component, characters: gr.Textbox) -> None:
    cast = ctx.service.cast
    assert cast is not None

    async def cast_add(
        name: str,
        video: Any = None,
        image: Any = None,
        voice: Any = None,
        owner_id: Any = None,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> tuple[dict[str, Any], str]:
        """Save a character to your cast: name, and a video or an image (optional voice)."""
        lang = lang_of(request)
        who = identity.owner_of(ctx, owner_id, request)
        if bool(video) == bool(image):
            raise gr.Error(for_html(Message("cast.one_reference"), lang), print_exception=False)
        try:
            character = await cast.add(
                who, name or "", video or image, VIDEO if video else IMAGE, voice or None, profile=ctx.profile
            )
        except CastError as exc:
            raise gr.Error(
                for_html(exc.message, lang), title=t("cast.title", lang), print_exception=False
            ) from None
        listed = await asyncio.to_thread(cast.list, who)
        return character_json(character), cards_html(listed, lang)

    async def cast_list(
        owner_id: Any = None,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Your saved characters, oldest first: character_id, name, kind, has_voice."""
        who = identity.owner_of(ctx, owner_id, request)
        return {"characters": [character_json(c) for c in await asyncio.to_thread(cast.list, who)]}

    async def shown(owner_id: Any, request: gr.Request) -> str:
        who = identity.resolve_owner(ctx, owner_id, request)
        return cards_html(await asyncio.to_thread(cast.list, who) if who else [], lang_of(request))

    panel.add.click(
        cast_add,
        inputs=[panel.name, panel.video, panel.image, panel.voice, owner],
        outputs=[panel.added, panel.cards],
        api_name="cast_add",
    )
    panel.list_trigger.click(cast_list, inputs=[owner], outputs=panel.listed, api_name="cast_list")
    owner.change(shown, inputs=[owner], outputs=panel.cards, api_visibility="private", show_progress="hidden")

    def use(names: str | None, evt: gr.EventData) -> str:
        """A card's Use: its character goes into the next generation, after those named."""
        name = str((getattr(evt, "_data", None) or {}).get("name", "")).strip()
        return with_character(names, name) if name else (names or "")

    panel.cards.use_character(  # type: ignore[attr-defined]  (a custom event of the cards' script)
        use, inputs=[characters], outputs=[characters], api_visibility="private", show_progress="hidden"
    )
