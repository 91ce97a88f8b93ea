"""Shared by the client tests: settings with tiny poll intervals, so waits take milliseconds."""

from __future__ import annotations

from pathlib import Path

from wanvideo.settings import Settings, load_settings


def fast_settings(tmp_path: Path, **extra: str) -> Settings:
    env = {
        "WAN_PROVIDER": "demo",
        "WAN_DATA_DIR": str(tmp_path / "data"),
        "WAN_POLL_MIN_INTERVAL": "0.01",
        "WAN_POLL_MAX_INTERVAL": "0.05",
        "WAN_POLL_DEADLINE": "30",
        "WAN_READ_TIMEOUT": "5",
        **extra,
    }
    return load_settings(env)
