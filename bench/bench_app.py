"""App benchmark: cold start, /estimate latency, 20 simultaneous generations, first paint.

    python bench/bench_app.py                      # defaults below
    python bench/bench_app.py --starts 3 --calls 40 --jobs 20
    python bench/bench_app.py --parts start,paint  # only some parts

1. Cold start: `python app.py` (demo mode, simulator included) until the first HTTP 200 on
   `/`, against a bare `gr.Blocks` hello app started the same way (ratio; target <= 1.3x).
2. `/estimate` with three references (median, p95) against an echo endpoint taking the
   same inputs (three files, text, radio, dropdown) in a bare app (ratio; target <= 1.5x).
3. 20 simultaneous `/generate` calls against the simulator: all must finish; `/estimate`
   is timed meanwhile (its latency under load).
4. First paint in Chromium (/usr/bin/chromium, Playwright): from navigation to the cost panel
   (`#cost-estimate`) visible, in a fresh browser context each time (nothing cached), against
   a bare `gr.Blocks` page with the same inputs (the form's nine) and an element with that id
   (ratio; target <= 1.3x).
(Peak memory while `/generate` takes three ~90 MB references: `bench/bench_memory.py`.)

Everything runs on 127.0.0.1 in subprocesses with a temporary data folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gradio_client import Client, handle_file  # noqa: E402

from tests.apprunner import clean_env, free_port, stop  # noqa: E402
from tests.apprunner import launch as start_server  # noqa: E402
from tests.videos import make_video  # noqa: E402

HELLO_APP = """
import gradio as gr
with gr.Blocks() as demo:
    gr.Markdown("hello")
demo.launch()
"""

# A bare page with the form's inputs (same component types and count) and a `#cost-estimate`.
PAINT_APP = """
import gradio as gr
with gr.Blocks() as demo:
    gr.Markdown("# Bare page")
    with gr.Row():
        with gr.Column():
            gr.Textbox(label="Prompt", lines=4)
            gr.File(label="Reference videos", file_count="multiple", file_types=["video"])
            gr.Textbox(label="Reference video URLs", lines=2)
            gr.Radio(["720p", "1080p"], value="720p", label="Quality")
            gr.Dropdown([str(d) for d in range(2, 11)], value="5", label="Duration (s)")
            gr.Radio(["16:9", "9:16", "1:1", "4:3", "3:4"], value="16:9", label="Aspect ratio")
            gr.Radio(["single", "multi"], value="single", label="Shot type")
            gr.Textbox(label="Callback URL")
            gr.Textbox(label="API key", type="password")
        with gr.Column():
            gr.Markdown("Cost estimate: upload a clip", elem_id="cost-estimate")
            gr.Button("Generate", variant="primary")
demo.launch()
"""

PAINT_JS = "() => performance.now()"  # ms since the navigation started

ECHO_APP = """
import gradio as gr

async def echo(videos, video_urls, quality, duration):
    return {"videos": [str(v) for v in (videos or [])], "video_urls": video_urls,
            "quality": quality, "duration": duration}

with gr.Blocks() as demo:
    videos = gr.File(file_count="multiple", file_types=["video"])
    urls = gr.Textbox()
    quality = gr.Radio(["720p", "1080p"], value="720p")
    duration = gr.Dropdown(list(range(2, 11)), value=5, allow_custom_value=True)
    out = gr.JSON()
    gr.Button("Echo").click(echo, [videos, urls, quality, duration], out, api_name="estimate",
                            concurrency_limit=None)
demo.launch()
"""


def launch(
    args: list[str], tmp: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str, float]:
    """Start a server script with a clean environment; its process, URL and seconds to first 200."""
    env = clean_env(free_port(), tmp, extra_env)
    return start_server([sys.executable, *args], env, timeout=120, poll=0.02)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:7.1f} ms"


def time_estimates(client: Client, refs: list[Path], calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        client.predict([handle_file(str(p)) for p in refs], "", "720p", 5, api_name="/estimate")
        times.append(time.perf_counter() - started)
    return times


def first_paint(url: str, browser, runs: int) -> list[float]:  # noqa: ANN001
    """Seconds from navigation to `#cost-estimate` visible, each in a fresh context."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.goto(url, wait_until="commit", timeout=120_000)
            page.wait_for_selector("#cost-estimate", state="visible", timeout=120_000)
            times.append(page.evaluate(PAINT_JS) / 1000)
        finally:
            context.close()
    return times


def paint_part(tmp: Path, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    (tmp / "paint.py").write_text(PAINT_APP)
    app_proc, app_url, _ = launch(["app.py"], tmp / "paint-app")
    bare_proc, bare_url, _ = launch([str(tmp / "paint.py")], tmp / "paint-bare")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                first_paint(app_url, browser, 1)  # warm up the browser itself and both servers
                first_paint(bare_url, browser, 1)
                app_times, bare_times = [], []
                for _ in range(runs):  # interleaved, so both see the same machine load
                    app_times += first_paint(app_url, browser, 1)
                    bare_times += first_paint(bare_url, browser, 1)
            finally:
                browser.close()
    finally:
        stop(app_proc)
        stop(bare_proc)
    app_paint, bare_paint = statistics.median(app_times), statistics.median(bare_times)
    print(f"\n4. First paint in Chromium: navigation to #cost-estimate visible (median of {runs})")
    print(f"   bare gr.Blocks, 9 inputs : {bare_paint:6.2f} s   {[round(t, 2) for t in bare_times]}")
    print(f"   app.py (demo mode)       : {app_paint:6.2f} s   {[round(t, 2) for t in app_times]}")
    print(f"   ratio                    : {app_paint / bare_paint:6.2f}x   (target <= 1.3x)")


def journey_part(tmp: Path, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    from wanvideo.examples import EXAMPLE_SETS

    proc, url, _ = launch(["app.py"], tmp / "journey")  # the default settings, demo mode
    clicks, totals = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                for _ in range(runs):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    page.set_default_timeout(120_000)
                    page.goto(url)
                    page.get_by_role("button", name="Generate").wait_for()
                    started = time.perf_counter()
                    page.locator("#examples-slot").get_by_role("button", name=EXAMPLE_SETS[0].label).click()
                    page.locator("#cost-estimate").filter(has_text="Cost estimate:").wait_for()
                    clicks.append(time.perf_counter() - started)
                    page.get_by_role("button", name="Generate").click()
                    page.wait_for_function(
                        "() => { const v = document.querySelector('#result-video video');"
                        " return v && v.readyState >= 2; }"
                    )
                    totals.append(time.perf_counter() - started)
                    context.close()
            finally:
                browser.close()
    finally:
        stop(proc)
    print(
        f"\n5. Demo journey, default settings (median of {runs}): example click -> cost -> Generate -> video"
    )
    print(f"   example click to cost : {statistics.median(clicks):6.2f} s   {[round(t, 2) for t in clicks]}")
    print(f"   click to playable     : {statistics.median(totals):6.2f} s   {[round(t, 2) for t in totals]}")
    print("   target                : < 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=3, help="cold starts of each app (median)")
    parser.add_argument("--calls", type=int, default=30, help="/estimate calls per app")
    parser.add_argument("--jobs", type=int, default=20, help="simultaneous generations")
    parser.add_argument("--task-seconds", type=float, default=3.0, help="simulated task length")
    parser.add_argument("--paints", type=int, default=7, help="first paints of each page (median)")
    parser.add_argument(
        "--parts", default="start,estimate,load,paint,journey", help="which parts to run, comma-separated"
    )
    opts = parser.parse_args()
    parts = set(opts.parts.split(","))

    with tempfile.TemporaryDirectory(prefix="wan-bench-app-") as folder:
        tmp = Path(folder)
        (tmp / "hello.py").write_text(HELLO_APP)
        (tmp / "echo.py").write_text(ECHO_APP)
        refs = [
            make_video(tmp / "alice.mp4", 3),
            make_video(tmp / "bob.mp4", 4, color=(40, 90, 200)),
            make_video(tmp / "carol.mp4", 6, color=(40, 160, 60)),
        ]
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; references: 3 clips (3, 4, 6 s)")

        if "start" in parts:
            start_part(tmp, opts.starts)
        if "estimate" in parts or "load" in parts:
            estimate_and_load_part(tmp, refs, opts, parts)
        if "paint" in parts:
            paint_part(tmp, opts.paints)
        if "journey" in parts:
            journey_part(tmp, 3)


def start_part(tmp: Path, starts: int) -> None:
    """1. Cold start."""
    app_starts, hello_starts = [], []
    for i in range(starts):
        for args, bucket in ((["app.py"], app_starts), ([str(tmp / "hello.py")], hello_starts)):
            run = tmp / f"start-{i}-{len(bucket)}-{Path(args[0]).stem}"
            proc, _, seconds = launch(args, run)
            bucket.append(seconds)
            stop(proc)
    app_start, hello_start = statistics.median(app_starts), statistics.median(hello_starts)
    print(f"\n1. Cold start to first HTTP 200 (median of {starts})")
    print(f"   bare gr.Blocks hello : {hello_start:6.2f} s   {[round(s, 2) for s in hello_starts]}")
    print(f"   app.py (demo mode)   : {app_start:6.2f} s   {[round(s, 2) for s in app_starts]}")
    print(f"   ratio                : {app_start / hello_start:6.2f}x   (target <= 1.3x)")


def estimate_and_load_part(tmp: Path, refs: list[Path], opts: argparse.Namespace, parts: set[str]) -> None:
    """2. /estimate against an echo endpoint; 3. simultaneous generations."""
    # 2. /estimate vs echo -----------------------------------------------------------
    env = {"WAN_DEMO_TASK_SECONDS": str(opts.task_seconds)}
    app_proc, app_url, _ = launch(["app.py"], tmp / "app", env)
    echo_proc, echo_url, _ = launch([str(tmp / "echo.py")], tmp / "echo")
    try:
        app_client = Client(app_url, verbose=False)
        echo_client = Client(echo_url, verbose=False)
        time_estimates(app_client, refs, 3)  # warm up both
        time_estimates(echo_client, refs, 3)
        app_times, echo_times = [], []
        for _ in range(opts.calls // 5):  # interleaved, so both see the same machine load
            app_times += time_estimates(app_client, refs, 5)
            echo_times += time_estimates(echo_client, refs, 5)
        answer = app_client.predict([handle_file(str(p)) for p in refs], "", "720p", 5, api_name="/estimate")
        print(f"\n2. /estimate with three references ({len(app_times)} calls each, gradio_client)")
        print(
            f"   echo endpoint        : median {ms(statistics.median(echo_times))}  p95 {ms(pct(echo_times, 0.95))}"
        )
        print(
            f"   app /estimate        : median {ms(statistics.median(app_times))}  p95 {ms(pct(app_times, 0.95))}"
        )
        print(
            f"   ratio (median)       : {statistics.median(app_times) / statistics.median(echo_times):6.2f}x"
            "   (target <= 1.5x)"
        )
        print(
            f"   answer: {answer['total_billed_seconds']} s billed, {answer['credits']} credits, "
            f"problems={answer['problems']}"
        )
    finally:
        stop(echo_proc)

    # 3. Simultaneous generations -------------------------------------------------------
    if "load" not in parts:
        stop(app_proc)
        return
    try:
        gen_client = Client(app_url, verbose=False)
        probe_client = Client(app_url, verbose=False)
        started = time.perf_counter()
        jobs = [
            gen_client.submit(
                f"character1 dances, take {i}",
                [handle_file(str(refs[i % 3]))],
                "",
                "720p",
                "16:9",
                5,
                "single",
                api_name="/generate",
            )
            for i in range(opts.jobs)
        ]
        finished: dict[int, float] = {}
        results: dict[int, object] = {}

        def wait(i: int) -> None:
            try:
                results[i] = jobs[i].result(timeout=600)
            except Exception as exc:  # reported below
                results[i] = exc
            finished[i] = time.perf_counter() - started

        waiters = [threading.Thread(target=wait, args=(i,), daemon=True) for i in range(opts.jobs)]
        for t in waiters:
            t.start()
        under_load = []
        while len(finished) < opts.jobs and time.perf_counter() - started < 600:
            under_load += time_estimates(probe_client, refs, 1)
            time.sleep(0.1)
        for t in waiters:
            t.join(timeout=600)
        total = time.perf_counter() - started
        completed = sum(
            1
            for r in results.values()
            if isinstance(r, tuple) and isinstance(r[2], dict) and r[2].get("status") == "completed"
        )
        errors = [repr(r)[:200] for r in results.values() if not (isinstance(r, tuple))]
        print(f"\n3. {opts.jobs} simultaneous /generate (simulated task {opts.task_seconds:g} s, demo mode)")
        print(f"   completed            : {completed}/{opts.jobs} in {total:.1f} s")
        print(
            f"   per job              : fastest {min(finished.values()):.1f} s, "
            f"slowest {max(finished.values()):.1f} s"
        )
        print(
            f"   /estimate under load : {len(under_load)} calls, median {ms(statistics.median(under_load))}, "
            f"p95 {ms(pct(under_load, 0.95))}, max {ms(max(under_load))}"
        )
        for error in errors:
            print(f"   error: {error}")
    finally:
        stop(app_proc)


if __name__ == "__main__":
    main()
