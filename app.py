"""Wan 2.6 Reference Video Studio: load .env, read settings, start the simulator in demo
mode (the other providers' simulators start when a visitor first picks them), build the UI,
launch.

    python app.py            # http://127.0.0.1:7860 (GRADIO_SERVER_PORT / _NAME to change)

`create(settings)` does the same without launching (tests and benchmarks launch it themselves).
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dotenv import load_dotenv

load_dotenv(override=False)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (after the environment is complete)

from components import layout  # noqa: E402
from components.context import AppContext  # noqa: E402
from wanvideo.fsutil import make_private  # noqa: E402
from wanvideo.settings import Settings, SettingsError, load_settings  # noqa: E402
from wanvideo.store import StoreError  # noqa: E402
from wanvideo.store.factory import open_store  # noqa: E402
from wanvideo.watcher import TaskManager  # noqa: E402

if TYPE_CHECKING:
    from wanvideo.simulator import Simulator
    from wanvideo.simulator.pool import SimulatorPool


@dataclass
class App:
    ctx: AppContext
    demo: gr.Blocks
    manager: TaskManager
    simulator: Simulator | None = None  # demo mode: the configured provider's
    simulators: SimulatorPool | None = None  # demo mode: it and those started for other providers

    def launch(self, **kwargs: Any) -> Any:
        return self.demo.launch(**{**layout.launch_kwargs(self.ctx), **kwargs})

    def close(self) -> None:
        self.demo.close()
        self.manager.stop()
        if self.simulators is not None:
            self.simulators.stop()


def create(settings: Settings) -> App:
    make_private(settings.data_dir)  # first: everything written under it is the app user's only
    simulator = simulators = None
    if settings.is_demo:  # the built-in simulator plays the provider; its state survives restarts
        from wanvideo.simulator import Simulator  # only in demo mode: ~0.15 s of imports
        from wanvideo.simulator.pool import SimulatorPool

        simulators = SimulatorPool(settings.demo_task_seconds, settings.data_dir / "simulators")
        simulator = simulators.adopt(
            Simulator(
                task_seconds=settings.demo_task_seconds,
                port=settings.demo_port,
                data_dir=settings.data_dir / "simulator",
            ).start()
        )
        settings = settings.model_copy(
            update={"api_base_url": simulator.base_url, "files_base_url": simulator.base_url}
        )
    settings.videos_dir.mkdir(parents=True, exist_ok=True)
    # In demo mode a task on another dialect resumes after a restart on that dialect's simulator.
    base_url_for = simulators.base_url if simulators is not None else None
    manager = TaskManager(settings, open_store(settings), base_url_for=base_url_for).start()
    ctx = AppContext.create(settings, manager, simulators=simulators)
    return App(ctx=ctx, demo=layout.build(ctx), manager=manager, simulator=simulator, simulators=simulators)


def stop_gracefully_on_sigterm() -> None:
    """A Space or `docker stop` ends the app with SIGTERM: shut down as on Ctrl+C, so Gradio
    empties its cache (uploads and prepared clips) and the task manager lets go of its
    leases. Without this, SIGTERM ends the process with neither."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def main() -> None:
    stop_gracefully_on_sigterm()
    try:
        settings = load_settings()
    except SettingsError as exc:  # one readable line naming the setting, no traceback
        raise SystemExit(f"Cannot start: {exc}") from None
    try:
        app = create(settings)
    except StoreError as exc:  # the database cannot be used: one line, no traceback
        raise SystemExit(f"Cannot start: {exc}") from None
    try:
        app.launch()
    finally:
        app.close()


if __name__ == "__main__":
    main()
