"""The top banner: which provider answers and whose key pays (demo mode says results are simulated)."""

from __future__ import annotations

import gradio as gr

from .context import AppContext


def banner_text(ctx: AppContext) -> str:
    label = ctx.profile.label
    if ctx.settings.is_demo:
        return (
            "**Demo mode: results are simulated.** No API key is configured, so a built-in copy of the "
            "Wan 2.6 API answers every request and returns a sample video. Nothing is charged. "
            "Set `WAN_API_KEY` to use a real provider."
        )
    if ctx.needs_user_key:
        return (
            f"**Provider: {label}. Bring your own key:** open *Advanced* and paste your API key. "
            "It is used only for your own requests and is never stored or logged."
        )
    return (
        f"**Provider: {label}.** Generations are paid with this app's key unless you paste your own "
        "under *Advanced* (used only for your requests, never stored or logged). You are charged only "
        "for videos that succeed."
    )


def render(ctx: AppContext) -> gr.Markdown:
    classes = ["wan-banner", "wan-banner-demo" if ctx.settings.is_demo else "wan-banner-live"]
    return gr.Markdown(banner_text(ctx), elem_id="mode-banner", elem_classes=classes)


def listen(*_args: object) -> None:
    """The banner is static."""
