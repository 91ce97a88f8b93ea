"""The sandbox: crafted files cost a worker, never the app; workers stay few and warm."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.videos import declare_samples
from wanvideo.media import Sandbox, SandboxError, SandboxFailure, probe_local
from wanvideo.media.isobmff import MAX_DECLARED_SAMPLES

CRAFTED_SAMPLES = 60_000_000


def rss_mb() -> float:
    """This process's resident memory, in MB."""
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(workers=2)
    yield box
    box.close()


@pytest.fixture(scope="module")
def crafted(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small MP4 whose video track declares 60 million samples (stsz and stts rewritten)."""
    path = tmp_path_factory.mktemp("crafted") / "crafted.mp4"
    declare_samples(files["good.mp4"], path, CRAFTED_SAMPLES)
    assert path.stat().st_size < 100_000
    return path


async def test_declared_sample_count_is_refused_before_parsing(
    sandbox: Sandbox, crafted: Path, files: dict[str, Path]
) -> None:
    await probe_local(files["good.mp4"], sandbox=sandbox)  # warm: imports are not the file's cost
    before = rss_mb()
    r = await probe_local(crafted, sandbox=sandbox)
    assert r.implausible is not None
    assert (r.implausible.what, r.implausible.limit) == ("samples", MAX_DECLARED_SAMPLES)
    assert r.implausible.declared >= CRAFTED_SAMPLES
    assert r.problems == (
        f"crafted.mp4 declares {r.implausible.declared:,.0f} samples (no real video has more than "
        f"{MAX_DECLARED_SAMPLES:,}), so it was not opened; export the video again as MP4 or MOV",
    )
    assert rss_mb() - before < 150
    after = await probe_local(files["good.mp4"], sandbox=sandbox)
    assert after.ok and after.duration == pytest.approx(3.0, abs=0.05)


@pytest.fixture
def hanging(tmp_path: Path) -> Path:
    """A named pipe with no writer: opening it to read blocks forever (as a file on a hung
    network share would). The reader itself, not the file's size, takes the time."""
    path = tmp_path / "hanging.mp4"
    os.mkfifo(path)
    return path


async def test_a_read_past_its_deadline_costs_the_worker(hanging: Path, files: dict[str, Path]) -> None:
    box = Sandbox(workers=1)
    try:
        await box.run("wanvideo.media.worker:ping", timeout=30)
        [first_pid] = box.worker_pids()
        before = rss_mb()
        with pytest.raises(SandboxError) as caught:
            await box.run("wanvideo.media.local:read_streams", str(hanging), timeout=0.5)
        assert caught.value.reason is SandboxFailure.TIMED_OUT
        assert box.restarts == 1
        assert rss_mb() - before < 150
        with pytest.raises(ProcessLookupError):
            os.kill(first_pid, 0)  # the stuck worker is gone
        r = await probe_local(files["good.mp4"], sandbox=box)
        assert r.ok
        assert box.worker_pids() != [first_pid]
    finally:
        box.close()


async def test_a_worker_killed_by_the_system_is_replaced(
    sandbox: Sandbox, hanging: Path, files: dict[str, Path]
) -> None:
    await sandbox.run("wanvideo.media.worker:ping", timeout=30)
    job = asyncio.ensure_future(sandbox.run("wanvideo.media.local:read_streams", str(hanging), timeout=30))
    writer = None
    while writer is None:  # a writer can open the pipe once the worker has it open to read
        try:
            writer = os.open(hanging, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            await asyncio.sleep(0.02)
    try:
        for pid in sandbox.worker_pids():  # the job is in the worker, waiting for bytes
            os.kill(pid, signal.SIGKILL)  # as the system's OOM killer would
        with pytest.raises(SandboxError) as caught:
            await job
    finally:
        os.close(writer)
    assert caught.value.reason is SandboxFailure.CRASHED
    r = await probe_local(files["good.mp4"], sandbox=sandbox)
    assert r.ok


async def test_a_worker_killed_while_idle_never_fails_the_next_job(
    sandbox: Sandbox, files: dict[str, Path]
) -> None:
    sandbox.warm_up()
    killed = sandbox.worker_pids()
    assert len(killed) == 2
    for pid in killed:
        os.kill(pid, signal.SIGKILL)  # no waiting: the next jobs may find them dying
    results = [await probe_local(files["good.mp4"], sandbox=sandbox) for _ in range(4)]
    assert all(r.ok for r in results)
    assert sandbox.restarts == 2
    assert set(sandbox.worker_pids()).isdisjoint(killed)


class _FailingSandbox(Sandbox):
    def __init__(self, reason: SandboxFailure) -> None:  # no workers at all
        self.reason = reason

    async def run(self, name, *args, timeout, on_report=None, **kwargs):
        raise SandboxError(self.reason, "test")


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        (SandboxFailure.TIMED_OUT, "reading its headers took too long"),
        (SandboxFailure.OUT_OF_MEMORY, "reading its headers needed too much memory"),
        (SandboxFailure.CRASHED, "reading its headers crashed the reader"),
    ],
)
async def test_a_lost_worker_becomes_a_plain_problem(
    files: dict[str, Path], reason: SandboxFailure, why: str
) -> None:
    r = await probe_local(files["good.mp4"], sandbox=_FailingSandbox(reason))
    assert r.reader_failure is reason
    assert r.size_bytes == files["good.mp4"].stat().st_size
    assert r.problems == (f"good.mp4 could not be read safely ({why}); export the video again as MP4 or MOV",)


async def test_concurrency_is_bounded_by_the_pool(sandbox: Sandbox, files: dict[str, Path]) -> None:
    results = await asyncio.gather(*(probe_local(files["good.mp4"], sandbox=sandbox) for _ in range(8)))
    assert all(r.ok for r in results)
    assert len(sandbox.worker_pids()) == 2


async def test_only_the_apps_own_functions_run(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError) as caught:
        await sandbox.run("os:system", "true", timeout=30)
    assert caught.value.reason is SandboxFailure.FAILED
    assert "not a media job" in caught.value.detail


def test_sync_callers_can_wait(sandbox: Sandbox, files: dict[str, Path]) -> None:
    r = sandbox.run_blocking(
        "wanvideo.media.local:probe_file", str(files["good.mp4"]), "good.mp4", timeout=30
    )
    assert r.ok and r.name == "good.mp4"
