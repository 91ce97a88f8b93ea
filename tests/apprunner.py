"""Start `python app.py` in a subprocess and wait until it answers: the one helper the app
tests, the browser tests and the benchmarks share.

    app = start_app(tmp, {"WAN_PROVIDER": "demo"})      # a clean WAN_*/GRADIO_* environment
    app.client()                                          # gradio_client, downloads under tmp
    stop_app(app)
    proc, url, seconds = launch([sys.executable, "hello.py"], tmp)   # any server script
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(port: int, tmp: Path, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment without any WAN_/GRADIO_ setting, plus the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAN_", "GRADIO_"))}
    env.update(
        {
            "GRADIO_SERVER_PORT": str(port),
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "GRADIO_TEMP_DIR": str(tmp / "gradio"),
            "WAN_DATA_DIR": str(tmp / "data"),
            "PYTHONUNBUFFERED": "1",
            **(overrides or {}),
        }
    )
    return env


def launch(
    args: list[str],
    env: dict[str, str],
    *,
    output: IO[Any] | int = subprocess.DEVNULL,
    timeout: float = START_TIMEOUT,
    poll: float = 0.05,
) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start a server process; return it, its URL and the seconds to its first HTTP 200 on /."""
    url = f"http://127.0.0.1:{env['GRADIO_SERVER_PORT']}/"
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    with httpx.Client(timeout=2) as http:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args} exited with {proc.returncode}")
            try:
                if http.get(url).status_code == 200:
                    return proc, url, time.perf_counter() - started
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > timeout:
                stop(proc)
                raise RuntimeError(f"{args} did not answer within {timeout:.0f} s")
            time.sleep(poll)


def stop(proc: subprocess.Popen[bytes], sig: int | None = None) -> None:
    """Terminate (or send `sig`), then kill when it does not end within 15 s."""
    if sig is None:
        proc.terminate()
    else:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@dataclass
class RunningApp:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    downloads: Path
    data_dir: Path
    simulator: Any = None  # wanvideo.simulator.Simulator when the test runs one

    def client(self, **kwargs: Any) -> Any:
        from gradio_client import Client

        return Client(self.url, verbose=False, download_files=str(self.downloads), **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_app(
    tmp: Path, env_overrides: dict[str, str], *, simulator: Any = None, port: int | None = None
) -> RunningApp:
    """Run `python app.py` on a free port (or `port`) with a clean environment; wait for HTTP 200.
    The log accumulates in tmp/app.log (restarts append), shown when the start fails."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = clean_env(port or free_port(), tmp, env_overrides)
    log_path, downloads = tmp / "app.log", tmp / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        try:
            proc, url, _ = launch([sys.executable, "app.py"], env, output=log, poll=0.2)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{log_path.read_text(errors='replace')[-3000:]}") from None
    return RunningApp(
        url=url,
        process=proc,
        log_path=log_path,
        downloads=downloads,
        data_dir=Path(env["WAN_DATA_DIR"]),
        simulator=simulator,
    )


def stop_app(app: RunningApp, sig: int | None = None) -> None:
    stop(app.process, sig)
