"""Streamed multipart parsing for the files hosts: the ``file`` part goes straight to disk.

    form = await receive_form(request, boundary, path, limit=max_bytes)
    # raises UploadTooLarge past `limit`, MalformedForm for a broken body (nothing left on disk)
    form.got_file, form.size, form.filename, form.content_type, form.fields
    form.before_file      # the fields sent before the file (an OSS form ignores the others)

Other (small) fields are kept as text, at most 4 KiB each.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request


class UploadTooLarge(Exception):
    """The upload passed the files host's size limit."""


class MalformedForm(Exception):
    """The body is not a readable multipart form."""


async def receive_form(request: Request, boundary: bytes, path: Path, limit: int) -> StreamingForm:
    """Stream the request's form to `path` (the file part) and memory (the small fields). On any
    failure the partial file is removed and UploadTooLarge or MalformedForm is raised."""
    form = StreamingForm(path, limit)
    parser = MultipartParser(boundary, form.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except UploadTooLarge:
        form.close()
        path.unlink(missing_ok=True)
        raise
    except Exception as exc:
        form.close()
        path.unlink(missing_ok=True)
        raise MalformedForm(str(exc)) from None
    finally:
        form.close()
    return form


class StreamingForm:
    """python-multipart callbacks writing the `file` part straight to disk."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.fields: dict[str, str] = {}
        self.before_file: dict[str, str] = {}
        self.filename: str | None = None
        self.content_type: str | None = None
        self.size = 0
        self.got_file = False
        self._file: Any = None
        self._headers: dict[str, str] = {}
        self._field = b""
        self._value = b""
        self._name: str | None = None
        self._buffer = bytearray()

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers, self._field, self._value, self._name = {}, b"", b"", None
        self._buffer = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._value.decode("utf-8", "replace")
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        if self._name == "file" and not self.got_file:
            self.got_file = True
            filename = params.get(b"filename")
            self.filename = filename.decode("utf-8", "replace") if filename else None
            self.content_type = self._headers.get("content-type")
            self._file = self.path.open("wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None and self._name == "file":
            self.size += end - start
            if self.size > self.limit:
                raise UploadTooLarge
            self._file.write(data[start:end])
        elif len(self._buffer) < 4096:
            self._buffer += data[start:end]

    def _part_end(self) -> None:
        if self._name == "file" and self._file is not None:
            self._file.close()
            self._file = None
            self._name = "file-done"
        elif self._name:
            self.fields[self._name] = self._buffer.decode("utf-8", "replace")
            if not self.got_file:
                self.before_file[self._name] = self.fields[self._name]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
