"""`probe_local`: probing an untrusted local file (an upload) in the sandbox.

    result = await probe_local(path, "clip.mp4")   # never raises, never blocks the loop

The same `probe_file` as in-process, run in a sandboxed worker: a crafted file that
makes PyAV allocate gigabytes or spin costs that worker (killed, replaced), and the
visitor gets a problem sentence saying the file could not be read safely.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..limits import MAX_REFERENCE_BYTES
from .result import ProbeResult
from .rules import validate
from .sandbox import Sandbox, SandboxError, default_sandbox

logger = logging.getLogger(__name__)

LOCAL_PROBE_SECONDS = 10.0  # a header probe takes milliseconds; this is the kill deadline


async def probe_local(
    path: str | os.PathLike[str],
    name: str | None = None,
    *,
    sandbox: Sandbox | None = None,
    timeout: float = LOCAL_PROBE_SECONDS,
    max_bytes: int = MAX_REFERENCE_BYTES,
) -> ProbeResult:
    """Probe a local file in a sandboxed worker and validate it against the API rules.
    `max_bytes`: the largest file opened (larger ones are refused by size alone)."""
    name = name or Path(path).name
    try:
        return await (sandbox or default_sandbox()).run(
            "wanvideo.media.local:probe_file", str(path), name, max_bytes, timeout=timeout
        )
    except SandboxError as exc:
        logger.warning("sandboxed probe of %s failed: %s", name, exc)
        try:
            size: int | None = os.stat(path).st_size
        except OSError:
            size = None
        return validate(ProbeResult(name=name, source=str(path), size_bytes=size, reader_failure=exc.reason))
