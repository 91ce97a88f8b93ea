"""App benchmark: cold start, /estimate latency, and 20 simultaneous generations.

    python bench/bench_app.py                      # defaults below
    python bench/bench_app.py --starts 3 --calls 40 --jobs 20

1. Cold start: `python app.py` (demo mode, simulator included) until the first HTTP 200 on
   `/`, against a bare `gr.Blocks` hello app started the same way (ratio; target <= 1.5x).
2. `/estimate` with three references (median, p95) against an echo endpoint taking the
   same inputs (three files, text, radio, dropdown) in a bare app (ratio; target <= 1.5x).
3. 20 simultaneous `/generate` calls against the simulator: all must finish; `/estimate`
   is timed meanwhile (its latency under load).
4. Peak memory (RSS of the server process and its children, sampled every 10 ms) while
   `/generate` receives three ~90 MB references, after a warm-up call, against a bare
   `gr.Blocks` echo app receiving the same files in the same run (target: at most 16 MB more).
   `--memory-mb 0` skips it.

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


GENERATE_ECHO_APP = """
import gradio as gr

async def echo(prompt, videos, video_urls, quality, aspect_ratio, duration, shot_type):
    return prompt, {"videos": [str(v) for v in (videos or [])], "duration": duration}

with gr.Blocks() as demo:
    prompt = gr.Textbox()
    videos = gr.File(file_count="multiple", file_types=["video"])
    urls = gr.Textbox()
    quality = gr.Radio(["720p", "1080p"], value="720p")
    aspect = gr.Radio(["16:9", "9:16"], value="16:9")
    duration = gr.Dropdown(list(range(2, 11)), value=5, allow_custom_value=True)
    shot = gr.Radio(["single", "multi"], value="single")
    out_text, out_json = gr.Markdown(), gr.JSON()
    gr.Button("Echo").click(echo, [prompt, videos, urls, quality, aspect, duration, shot],
                            [out_text, out_json], api_name="generate", concurrency_limit=None)
demo.launch(max_file_size=200 * 1000 * 1000)
"""


def padded_video(path: Path, megabytes: int, color: tuple[int, int, int]) -> Path:
    """A real 3 s clip grown to `megabytes` with a trailing MP4 `free` box (valid, probes as 3 s)."""
    make_video(path, 3, color=color)
    pad = megabytes * 1_000_000 - path.stat().st_size - 8
    with path.open("ab") as out:
        out.write((pad + 8).to_bytes(4, "big") + b"free")
        chunk = bytes(1 << 20)
        while pad > 0:
            out.write(chunk[: min(pad, len(chunk))])
            pad -= len(chunk)
    return path


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def peak_while(pid: int, work: threading.Thread, idle_seconds: float = 1.0) -> tuple[int, int]:
    """(idle RSS, peak RSS during `work`) of a process tree."""
    idle = []
    end = time.perf_counter() + idle_seconds
    while time.perf_counter() < end:
        idle.append(tree_rss(pid))
        time.sleep(0.05)
    peak = 0
    work.start()
    while work.is_alive():
        peak = max(peak, tree_rss(pid))
        time.sleep(0.01)
    return statistics.median(idle), max(peak, tree_rss(pid))


def mb(n: float) -> str:
    return f"{n / 1e6:7.1f} MB"


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=3, help="cold starts of each app (median)")
    parser.add_argument("--calls", type=int, default=30, help="/estimate calls per app")
    parser.add_argument("--jobs", type=int, default=20, help="simultaneous generations")
    parser.add_argument("--task-seconds", type=float, default=3.0, help="simulated task length")
    parser.add_argument("--memory-mb", type=int, default=90, help="size of each big reference (0: skip)")
    opts = parser.parse_args()

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

        # 1. Cold start -----------------------------------------------------------------
        app_starts, hello_starts = [], []
        for i in range(opts.starts):
            for args, bucket in ((["app.py"], app_starts), ([str(tmp / "hello.py")], hello_starts)):
                run = tmp / f"start-{i}-{len(bucket)}-{Path(args[0]).stem}"
                proc, _, seconds = launch(args, run)
                bucket.append(seconds)
                stop(proc)
        app_start, hello_start = statistics.median(app_starts), statistics.median(hello_starts)
        print(f"\n1. Cold start to first HTTP 200 (median of {opts.starts})")
        print(f"   bare gr.Blocks hello : {hello_start:6.2f} s   {[round(s, 2) for s in hello_starts]}")
        print(f"   app.py (demo mode)   : {app_start:6.2f} s   {[round(s, 2) for s in app_starts]}")
        print(f"   ratio                : {app_start / hello_start:6.2f}x   (target <= 1.5x)")

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
            answer = app_client.predict(
                [handle_file(str(p)) for p in refs], "", "720p", 5, api_name="/estimate"
            )
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
            print(
                f"\n3. {opts.jobs} simultaneous /generate (simulated task {opts.task_seconds:g} s, demo mode)"
            )
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

        # 4. Peak memory with three big references ---------------------------------------
        if opts.memory_mb:
            memory(tmp, refs, opts.memory_mb)


def memory(tmp: Path, refs: list[Path], megabytes: int) -> None:
    big = [padded_video(tmp / f"big{i}.mp4", megabytes, color=(60 * i, 90, 200 - 60 * i)) for i in range(3)]
    (tmp / "generate_echo.py").write_text(GENERATE_ECHO_APP)
    app_proc, app_url, _ = launch(["app.py"], tmp / "mem-app", {"WAN_DEMO_TASK_SECONDS": "1"})
    echo_proc, echo_url, _ = launch([str(tmp / "generate_echo.py")], tmp / "mem-echo")
    args = ("character1 dances", "", "720p", "16:9", 5, "single")
    try:
        results: dict[str, tuple[int, int]] = {}
        for name, proc, url in (
            ("app.py /generate", app_proc, app_url),
            ("echo /generate", echo_proc, echo_url),
        ):
            client = Client(url, verbose=False, download_files=False)
            client.predict(args[0], [handle_file(str(refs[0]))], *args[1:], api_name="/generate")  # warm-up
            files = [handle_file(str(p)) for p in big]
            call = threading.Thread(
                target=client.predict, args=(args[0], files, *args[1:]), kwargs={"api_name": "/generate"}
            )
            results[name] = peak_while(proc.pid, call)
            call.join()
        print(f"\n4. Peak memory while /generate receives 3 x {megabytes} MB (server process tree RSS)")
        for name, (idle, peak) in results.items():
            print(f"   {name:<20} : idle {mb(idle)}  peak {mb(peak)}  growth {mb(peak - idle)}")
        (a_idle, a_peak), (e_idle, e_peak) = results.values()
        print(
            f"   peak app - peak echo     : {mb(a_peak - e_peak)}   (the app imports more: PyAV, its simulator)"
        )
        print(
            f"   app growth - echo growth : {mb((a_peak - a_idle) - (e_peak - e_idle))}   (target <= 16 MB)"
        )
    finally:
        stop(app_proc)
        stop(echo_proc)


if __name__ == "__main__":
    main()
