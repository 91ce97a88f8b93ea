"""`WanError`: the root of every error the domain raises to a caller (the page, the API, MCP).

It sits at the bottom of the layers (no imports) so the media sandbox, the fetcher, the store,
the settings and the limits can all derive from it; `wanvideo/errors.py` grows the client's
tree (HTTP status, uploads, downloads) from it. `message` is what a person reads (a catalogue
`Message` where the domain words it), `suggestion` what to do next.
"""

from __future__ import annotations


class WanError(Exception):
    """Base of every error the domain raises. `suggestion` says what to do next."""

    suggestion: str = ""

    def __init__(self, message: str = "", *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if suggestion is not None:
            self.suggestion = suggestion

    def __str__(self) -> str:
        return f"{self.message} {self.suggestion}".strip()
