"""The settings one simulator's handlers share (`SimConfig`), fixed at construction except
`base_url`, which the server sets once its port is known."""

from __future__ import annotations

from dataclasses import dataclass

from .contract import Contract, contract

MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # the files host: 100 MiB, so a "100 MB" video always fits
FETCH_TIMEOUT = 15.0  # seconds for one link, all of it; a create fetches its links side by side


@dataclass
class SimConfig:
    dialect: str = "string"
    api_keys: frozenset[str] | None = None  # None: any non-empty Bearer key is accepted
    base_url: str = "http://127.0.0.1"
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    allow_private_urls: bool = False  # True only for tests whose links live on 127.0.0.1
    fetch_timeout: float = FETCH_TIMEOUT
    region: str | None = None  # dashscope: singapore (default), beijing or virginia
    concurrency: int | None = None  # queue dialects: an account's tasks running at once (0 holds)

    @property
    def rules(self) -> Contract:
        """The EvoLink contract's rules (the "string" and "integer" dialects only)."""
        return contract(self.dialect)
