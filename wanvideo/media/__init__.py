"""Reference video probing and validation with PyAV, headers only.

    result = probe_file("clip.mp4")
    result.problems   # ("clip.mp4 lasts 1.2 s; references must be 2 to 30 s long: use a longer clip",)
    result.warnings   # ("clip.mp4 has no audio track: the voice cannot be copied",)

    result = await probe_local("clip.mp4")                      # the same, in a sandboxed worker
    result = await probe_url("https://example.com/clip.mp4")   # reads only the headers
    seconds = video_duration(path)                              # None when unreadable

Layers, one module each, so each can be tested alone:

- `sniff`: the container from a file's first bytes, never from its name;
- `rules`: pure functions turning probed facts into problems and warnings (limits from
  `wanvideo.providers`);
- `isobmff`: MP4/MOV box walking on raw bytes (truncation check);
- `local`: PyAV reading of a file in this process (`probe_file`, `video_duration`);
- `sandbox` + `worker`: a pool of warm worker processes (memory cap, wall-clock kill,
  bounded concurrency) where untrusted files are parsed (`probe_local`), and where clip
  preparation will run;
- `blocks`: parsing a remote file from the blocks fetched so far (in the worker);
- `prepare`: what a clip needs so the provider takes it (convert, rotate, trim, shrink): a
  pure plan from its probe, with the clip as it will be sent;
- `transcode`: the PyAV work of a plan, run in a sandboxed worker with progress;
- `clips`: prepared clips cached by content, start and settings (`PreparedClips`);
- `remote`: a link's headers fetched with HTTP Range requests through `wanvideo.netguard`,
  within a hard deadline, parsed in the sandbox (`probe_url`).

Nothing here raises for a bad file or link: every failure becomes a sentence in `problems`.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

# Names are loaded on first use (PEP 562), so a sandboxed worker that imports
# `wanvideo.media.local` does not also load httpx and the network side. The submodules are
# imported explicitly (`_submodule`), never by name, so the import graph shows every edge.
_EXPORTS = {
    "iso_missing_bytes": "isobmff",
    "MAX_SOURCE_BYTES": "prepare",
    "PrepPlan": "prepare",
    "PreparedClip": "prepare",
    "Step": "prepare",
    "plan_preparation": "prepare",
    "PrepareError": "clips",
    "PreparedClips": "clips",
    "default_clips": "clips",
    "use_clips": "clips",
    "probe_file": "local",
    "video_duration": "local",
    "probe_local": "probe",
    "probe_url": "remote",
    "ImplausibleHeader": "result",
    "ProbeResult": "result",
    "SandboxFailure": "result",
    "BROWSER_CODECS": "rules",
    "REFERENCE_CONTAINERS": "rules",
    "check_reference": "rules",
    "validate": "rules",
    "Sandbox": "sandbox",
    "SandboxError": "sandbox",
    "default_sandbox": "sandbox",
    "CONTAINER_LABELS": "sniff",
    "HEAD_BYTES": "sniff",
    "sniff_container": "sniff",
}

if TYPE_CHECKING:
    from .clips import PreparedClips, PrepareError, default_clips, use_clips
    from .isobmff import iso_missing_bytes
    from .local import probe_file, video_duration
    from .prepare import MAX_SOURCE_BYTES, PreparedClip, PrepPlan, Step, plan_preparation
    from .probe import probe_local
    from .remote import probe_url
    from .result import ImplausibleHeader, ProbeResult, SandboxFailure
    from .rules import BROWSER_CODECS, REFERENCE_CONTAINERS, check_reference, validate
    from .sandbox import Sandbox, SandboxError, default_sandbox
    from .sniff import CONTAINER_LABELS, HEAD_BYTES, sniff_container


def _submodule(module: str) -> ModuleType:
    if module == "clips":
        from . import clips as found
    elif module == "isobmff":
        from . import isobmff as found
    elif module == "local":
        from . import local as found
    elif module == "prepare":
        from . import prepare as found
    elif module == "probe":
        from . import probe as found
    elif module == "remote":
        from . import remote as found
    elif module == "result":
        from . import result as found
    elif module == "rules":
        from . import rules as found
    elif module == "sandbox":
        from . import sandbox as found
    elif module == "sniff":
        from . import sniff as found
    else:
        raise AttributeError(f"module {__name__!r} has no submodule {module!r}")
    return found


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_submodule(module), name)
    globals()[name] = value  # later lookups (and monkeypatching) see a plain attribute
    return value


__all__ = [
    "BROWSER_CODECS",
    "MAX_SOURCE_BYTES",
    "PrepPlan",
    "PrepareError",
    "PreparedClip",
    "PreparedClips",
    "Step",
    "default_clips",
    "plan_preparation",
    "use_clips",
    "CONTAINER_LABELS",
    "HEAD_BYTES",
    "REFERENCE_CONTAINERS",
    "ImplausibleHeader",
    "ProbeResult",
    "Sandbox",
    "SandboxError",
    "SandboxFailure",
    "check_reference",
    "default_sandbox",
    "iso_missing_bytes",
    "probe_file",
    "probe_local",
    "probe_url",
    "sniff_container",
    "validate",
    "video_duration",
]
