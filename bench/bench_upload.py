"""Upload benchmark: `WanClient.upload_file` against `curl -F file=@...`, same endpoint.

    python bench/bench_upload.py            # 100 MB, 3 rounds each
    python bench/bench_upload.py --mb 20 --rounds 1

Starts the simulator in a subprocess (so its buffers do not count as the client's memory),
writes a file of random bytes, then uploads it alternately with curl and with WanClient.
Prints throughput (median MB/s, ratio to curl; target >= 0.7x) and the client's memory
growth during an upload: the tracemalloc peak (Python allocations) and the RSS high-water
mark from /proc/self/status (VmHWM, reset before each upload; target < 32 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wanvideo.client import WanClient  # noqa: E402
from wanvideo.providers import get_profile  # noqa: E402
from wanvideo.settings import load_settings  # noqa: E402

MB = 1000 * 1000
KEY = "bench-key"


def start_simulator(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wanvideo.simulator",
            "--port",
            "0",
            "--task-seconds",
            "1",
            "--data-dir",
            str(data_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if found:
            return proc, found.group(0)
    proc.kill()
    raise SystemExit("the simulator did not start")


def write_random_file(path: Path, size: int) -> None:
    chunk = os.urandom(MB)  # one random MB, repeated with a varying prefix: fast and incompressible
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = (written.to_bytes(8, "big") + chunk)[: min(MB, size - written)]
            out.write(piece)
            written += len(piece)


def proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def curl_upload(url: str, path: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            f"Authorization: Bearer {KEY}",
            "-H",
            "Expect:",  # no 100-continue round trip (httpx does not wait for one either)
            "-F",
            f"file=@{path}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    if result.stdout.strip() != "200":
        raise SystemExit(f"curl upload failed: HTTP {result.stdout.strip()} {result.stderr}")
    return elapsed


async def client_upload(client: WanClient, path: Path, *, trace: bool) -> tuple[float, int, int, int]:
    """(seconds, tracemalloc peak bytes, RSS high-water growth kB, RSS growth kB)."""
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    reset_peak_rss()
    rss_before = proc_status_kb("VmRSS")
    started = time.perf_counter()
    await client.upload_file(path)
    elapsed = time.perf_counter() - started
    hwm_growth = max(0, proc_status_kb("VmHWM") - rss_before)
    rss_growth = proc_status_kb("VmRSS") - rss_before
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, peak, hwm_growth, rss_growth


async def run(size_mb: int, rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="wan-bench-"))
    proc = None
    try:
        proc, base_url = start_simulator(work / "sim")
        upload_url = base_url + "/api/v1/files/upload/stream"
        path = work / "upload.mp4"
        size = size_mb * MB
        write_random_file(path, size)
        print(f"file: {size_mb} MB ({size} bytes) -> {upload_url}")
        settings = load_settings({"WAN_PROVIDER": "demo", "WAN_DATA_DIR": str(work / "data")})
        profile = get_profile("demo").with_overrides(api_base_url=base_url, files_base_url=base_url)
        curl_times: list[float] = []
        client_times: list[float] = []
        async with WanClient(profile, KEY, settings) as client:
            await client.upload_file(path)  # warm up: imports, connection, page cache
            for n in range(rounds):
                curl_times.append(curl_upload(upload_url, path))
                seconds, _, hwm, rss = await client_upload(client, path, trace=False)
                client_times.append(seconds)
                print(
                    f"round {n + 1}: curl {size_mb / curl_times[-1]:7.1f} MB/s   "
                    f"WanClient {size_mb / seconds:7.1f} MB/s   "
                    f"RSS peak growth {hwm / 1024:5.1f} MB (after: {rss / 1024:+.1f} MB)"
                )
            seconds, peak, hwm, _ = await client_upload(client, path, trace=True)
        curl_rate = size_mb / statistics.median(curl_times)
        client_rate = size_mb / statistics.median(client_times)
        print(
            f"tracemalloc peak during one upload: {peak / MB:.2f} MB (traced run: {size_mb / seconds:.1f} MB/s)"
        )
        print(f"RSS high-water growth during that upload: {hwm / 1024:.1f} MB")
        print(
            f"median throughput: WanClient {client_rate:.1f} MB/s, curl {curl_rate:.1f} MB/s, "
            f"ratio {client_rate / curl_rate:.2f}x (target >= 0.7x)"
        )
        ok = client_rate / curl_rate >= 0.7 and peak < 32 * MB
        print("RESULT:", "PASS" if ok else "FAIL")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=100, help="file size in MB (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="uploads per tool (default 3)")
    args = parser.parse_args()
    asyncio.run(run(args.mb, args.rounds))


if __name__ == "__main__":
    main()
