"""The top banner: which provider answers and whose key pays (demo mode says results are simulated)."""

from __future__ import annotations

import gradio as gr

from wanvideo.messages import Message

from .context import AppContext
from .lang import static_text


def banner_message(ctx: AppContext) -> Message:
    if ctx.settings.is_demo:
        return Message("banner.demo")
    if ctx.needs_user_key:
        return Message("banner.own_key", provider=ctx.profile.label)
    return Message("banner.server_key", provider=ctx.profile.label)


def banner_text(ctx: AppContext) -> str:
    return str(banner_message(ctx))


def render(ctx: AppContext) -> gr.Markdown:
    classes = ["wan-banner", "wan-banner-demo" if ctx.settings.is_demo else "wan-banner-live"]
    msg = banner_message(ctx)
    return gr.Markdown(static_text(msg), elem_id="mode-banner", elem_classes=classes)


def listen(*_args: object) -> None:
    """The banner is static."""
