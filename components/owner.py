"""The owner's console (issue 19): an Owner tab that exists for the owner only.

    panel = owner.render(ctx)              # the token box and the tab, both hidden
    owner.listen(ctx, panel, demo)         # who is the owner; the report; the controls; the API

Who: a visitor who opens the page as `/?owner` gets a small password box (nothing else on the
page mentions it) and sees the tab once the box holds `WAN_OWNER_TOKEN`; on a Space, a signed-in
Hugging Face user named in `WAN_OWNER_USERS` (default: the Space's author) sees it at once.
Whether this session is the owner's is kept server-side in a gr.State that only those two checks
set; every owner handler checks it first, so calling the page's (private) events by hand gives
nothing. A wrong token gives no sign at all: the box empties, as it does for the right one.

API (undocumented: not in the API page or the MCP tools, callable with gradio_client; and not
there at all without WAN_OWNER_TOKEN): `/owner_report` (token) -> the report's JSON;
`/owner_pause` (token, paused) -> {"paused": bool}. A wrong or missing token answers `null`,
the same for every wrong token, with nothing changed.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from wanvideo.console import OwnerConsole

from . import identity, owner_view
from .context import AppContext
from .lang import lang_of, static, t

QUERY_FLAG = "owner"  # /?owner shows the token box
REPORT_API, PAUSE_API = "owner_report", "owner_pause"
CSV_FOLDER = "wan-owner-csv"


@dataclass
class OwnerPanel:
    gate: gr.Row
    token: gr.Textbox
    open: gr.Button
    tabs: gr.Tabs
    ok: gr.State
    alert: gr.Markdown
    pause_md: gr.Markdown
    pause: gr.Checkbox
    summary: gr.Markdown
    chart: gr.BarPlot
    limits: gr.Dataframe
    providers: gr.Dataframe
    visitors: gr.Dataframe
    tasks: gr.Dataframe
    differences: gr.Dataframe
    inputs: list[gr.Number]
    save: gr.Button
    saved: gr.Markdown
    refresh: gr.Button
    csv: gr.DownloadButton


def sign_in_offered() -> bool:
    """gr.LoginButton only where Gradio can sign in: a Space with `hf_oauth: true` (which sets
    OAUTH_CLIENT_ID) and Gradio's OAuth extra (authlib) installed. Elsewhere the button would
    stop the app at start (Gradio attaches its OAuth routes for it)."""
    return bool(os.environ.get("OAUTH_CLIENT_ID")) and importlib.util.find_spec("authlib") is not None


def console_of(ctx: AppContext) -> OwnerConsole:
    return OwnerConsole(ctx.settings, ctx.manager.store, key=ctx.identity.pseudonym_key)


def _df(label: str, elem_id: str) -> gr.Dataframe:
    return gr.Dataframe(label=static(label), elem_id=elem_id, interactive=False, wrap=True)


def render(ctx: AppContext) -> OwnerPanel | None:
    """The token box and the tab, both hidden; nothing at all when no owner is configured."""
    if not console_of(ctx).access.enabled:
        return None
    with gr.Row(visible=False, elem_id="owner-gate") as gate:
        token = gr.Textbox(
            label=static("owner.token"), type="password", max_lines=1, scale=4, elem_id="owner-token"
        )
        open_button = gr.Button(static("owner.open"), scale=1, elem_id="owner-open")
        if sign_in_offered():
            gr.LoginButton(scale=1)
    with (
        gr.Tabs(visible=False, elem_id="owner-tabs") as tabs,
        gr.Tab(static("owner.tab"), elem_id="owner-tab"),
    ):
        alert = gr.Markdown(visible=False, elem_id="owner-alert")
        with gr.Row():
            pause_md = gr.Markdown(elem_id="owner-paused")
            pause = gr.Checkbox(label=static("owner.pause"), elem_id="owner-pause")
            refresh = gr.Button(static("owner.refresh"), size="sm", elem_id="owner-refresh")
            csv = gr.DownloadButton(static("owner.csv"), size="sm", elem_id="owner-csv")
        summary = gr.Markdown(elem_id="owner-summary")
        chart = gr.BarPlot(
            x="day",
            y="credits",
            color="kind",
            label=static("owner.chart"),
            x_label_angle=-45,
            height=260,
            elem_id="owner-chart",
        )
        limits = _df("owner.limits", "owner-limits")
        with gr.Accordion(static("owner.settings_title"), open=False):
            gr.Markdown(static("owner.limits_note"), elem_classes="wan-hint")
            with gr.Row():
                inputs = [
                    gr.Number(label=static(label), minimum=0, elem_id=elem_id)
                    for label, elem_id in (
                        ("owner.in_daily", "owner-daily"),
                        ("owner.in_visitor", "owner-visitor-daily"),
                        ("owner.in_active", "owner-active"),
                        ("owner.in_alert", "owner-alert-credits"),
                    )
                ]
            save = gr.Button(static("owner.save"), size="sm", elem_id="owner-save")
            saved = gr.Markdown(elem_id="owner-saved")
        providers = _df("owner.providers", "owner-providers")
        visitors = _df("owner.visitors", "owner-visitors")
        tasks = _df("owner.tasks", "owner-tasks")
        differences = _df("owner.differences", "owner-differences")
    return OwnerPanel(
        gate, token, open_button, tabs, gr.State(False), alert, pause_md, pause, summary, chart, limits,
        providers, visitors, tasks, differences, inputs, save, saved, refresh, csv,
    )  # fmt: skip


def _csv_file(console: OwnerConsole) -> str:
    """The tasks' CSV in one private folder, one file a day replaced at each refresh (Gradio
    serves its own copy of it, so nothing piles up here)."""
    folder = Path(tempfile.gettempdir()) / CSV_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"tasks-{time.strftime('%Y-%m-%d', time.gmtime())}.csv"
    with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".part", delete=False, encoding="utf-8") as part:
        part.write(console.tasks_csv())
    os.replace(part.name, path)  # whole, even with two owners refreshing at once
    return str(path)


def _report_outputs(panel: OwnerPanel) -> list[Any]:
    return [
        panel.alert, panel.pause_md, panel.pause, panel.summary, panel.chart, panel.limits,
        panel.providers, panel.visitors, panel.tasks, panel.differences, *panel.inputs, panel.csv,
    ]  # fmt: skip


def _report_values(console: OwnerConsole, lang: str) -> list[Any]:
    report = console.report()
    tables = owner_view.tables(report, lang)
    banner = owner_view.alert_md(report, lang)
    return [
        gr.update(value=banner or "", visible=banner is not None),
        owner_view.pause_md(report.paused, lang),
        report.paused,
        owner_view.summary_md(report, lang),
        gr.update(  # a plot's axis titles take no gr.I18n: set in the visitor's language
            value=pd.DataFrame(owner_view.chart_rows(report, lang)),
            x_title=t("owner.col_day", lang),
            y_title=t("owner.col_credits", lang),
            color_title=t("owner.col_kind", lang),
        ),
        tables["limits"],
        tables["providers"],
        tables["visitors"],
        tables["tasks"],
        tables["differences"],
        *owner_view.override_values(console.controls()),
        _csv_file(console),
    ]


def listen(ctx: AppContext, panel: OwnerPanel | None, demo: gr.Blocks) -> None:
    console = console_of(ctx)
    if panel is None:
        return  # no owner configured: no console, no API
    private: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
    report_outputs = _report_outputs(panel)
    skip_report = [gr.skip() for _ in report_outputs]

    def opened(lang: str) -> list[Any]:
        return [gr.update(visible=False), "", gr.update(visible=True), True, *_report_values(console, lang)]

    def on_load(request: gr.Request) -> list[Any]:
        if console.access.user_ok(identity.signed_in_user(request)):
            return opened(lang_of(request))
        asked = QUERY_FLAG in (getattr(request, "query_params", None) or {})
        return [gr.update(visible=asked), gr.skip(), gr.skip(), gr.skip(), *skip_report]

    def on_token(token: str, request: gr.Request) -> list[Any]:
        if console.access.token_ok(token):
            return opened(lang_of(request))
        return [gr.skip(), "", gr.skip(), gr.skip(), *skip_report]  # no sign of a wrong token

    gate_outputs = [panel.gate, panel.token, panel.tabs, panel.ok, *report_outputs]
    demo.load(on_load, outputs=gate_outputs, queue=False, **private)
    panel.token.submit(on_token, inputs=panel.token, outputs=gate_outputs, **private)
    panel.open.click(on_token, inputs=panel.token, outputs=gate_outputs, **private)

    def refresh(ok: bool, request: gr.Request) -> list[Any]:
        return _report_values(console, lang_of(request)) if ok is True else skip_report

    def set_pause(ok: bool, paused: bool, request: gr.Request) -> list[Any]:
        if ok is not True:
            return skip_report
        console.set_paused(bool(paused))
        return _report_values(console, lang_of(request))

    def save_limits(
        ok: bool, daily: Any, visitor: Any, active: Any, alert: Any, request: gr.Request
    ) -> list[Any]:
        if ok is not True:
            return [gr.skip(), *skip_report]
        lang = lang_of(request)
        overrides = owner_view.parse_overrides([daily, visitor, active, alert])
        if overrides is None:
            return [t("owner.bad_limit", lang), *skip_report]
        console.set_limits(**overrides)
        return [t("owner.saved", lang), *_report_values(console, lang)]

    panel.refresh.click(refresh, inputs=panel.ok, outputs=report_outputs, **private)
    panel.pause.input(set_pause, inputs=[panel.ok, panel.pause], outputs=report_outputs, **private)
    panel.save.click(
        save_limits, inputs=[panel.ok, *panel.inputs], outputs=[panel.saved, *report_outputs], **private
    )
    api(console)


def api(console: OwnerConsole) -> None:
    """`/owner_report` and `/owner_pause`, only when WAN_OWNER_TOKEN is set."""
    if console.access.token_digest is None:
        return

    def owner_report(token: str) -> dict[str, Any] | None:
        """The owner's report as JSON (days, providers, visitors, tasks, limits, paused); null
        without the right token."""
        if not console.access.token_ok(token):
            return None
        return console.report().to_json()

    def owner_pause(token: str, paused: bool) -> dict[str, Any] | None:
        """Pause (true) or resume (false) new generations; null without the right token."""
        if not console.access.token_ok(token):
            return None
        return {"paused": console.set_paused(bool(paused)).paused}

    gr.api(owner_report, api_name=REPORT_API, api_visibility="undocumented", queue=False)
    gr.api(owner_pause, api_name=PAUSE_API, api_visibility="undocumented", queue=False)
