"""What a fal request says once it ran (pure, from its record): the result's error status and
body, the status body's (error, error_type), the runner's logs [F4], the model's output [F2,
B5] and the webhook's body and headers [F5]. `fal_api` routes answer with these."""

from __future__ import annotations

import json
import time
from typing import Any

from . import fal_rules as rules
from .envelopes import fal_body
from .render import FPS, OUTPUT_SIZES
from .state import SimTask


def failure(record: SimTask) -> tuple[int, dict[str, Any]] | None:
    """The result's error status and body when the request ended without a video."""
    status = record.status
    if status == "cancelled":
        return 499, fal_body(499, rules.CANCELLED, "client_cancelled")
    if status != "failed":
        return None
    if "error" in record.extra:
        return record.extra["error"]["status"], {"detail": record.extra["error"]["detail"]}
    failure = record.failure_now()
    assert failure is not None
    http, kind, message, field = rules.FAILURES.get(
        failure.code, (500, failure.code, failure.message or "The request failed.", None)
    )
    message = failure.message or message
    if http == 422:
        return http, {"detail": [rules.detail(field, message, kind)]}
    return http, fal_body(http, message, kind)


def error_words(record: SimTask) -> tuple[str, str] | None:
    """(error, error_type) for the status body of a request that ended without a video."""
    failed = failure(record)
    if failed is None:
        return None
    detail = failed[1].get("detail")
    if isinstance(detail, list):
        return detail[0]["msg"], detail[0]["type"]
    return str(detail), str(failed[1].get("error_type", "internal_error"))


def logs(record: SimTask) -> list[dict[str, Any]]:
    """Runner log entries {message, level, source, timestamp} [F4] so far."""
    if record.status == "pending":
        return []
    started = record.start_time

    def entry(message: str, level: str = "INFO", at: float = started) -> dict[str, Any]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"
        return {"message": message, "level": level, "source": "user", "timestamp": stamp}

    entries = [entry(f"Generating {record.duration} s at {record.quality} ({record.aspect_ratio})")]
    entries += [entry(w, "WARNING") for w in record.extra.get("warnings", [])]
    if record.status == "completed":
        entries.append(entry("Done", at=record.end_time))
    return entries


def output(record: SimTask, base_url: str) -> dict[str, Any]:
    """The model's output (`TextToVideoOutput` [F2, B5])."""
    assert record.render_path is not None
    width, height = OUTPUT_SIZES[record.quality][record.aspect_ratio]
    video = {
        "url": f"{base_url}/results/{record.id}.mp4",
        "content_type": "video/mp4",
        "file_name": f"{record.id}.mp4",
        "file_size": record.render_path.stat().st_size if record.render_path.exists() else None,
        "width": width,
        "height": height,
        "fps": FPS,
        "duration": float(record.duration),
        "num_frames": record.duration * FPS,
    }
    output: dict[str, Any] = {"video": video, "seed": record.extra["seed"]}
    if record.extra.get("prompt_expansion"):
        output["actual_prompt"] = record.prompt
    return output


def webhook(record: SimTask, base_url: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers fal POSTs to `fal_webhook` once the request is COMPLETED."""
    failed = failure(record)
    body: dict[str, Any] = {"request_id": record.id, "gateway_request_id": record.id}
    if failed is None:
        body.update(status="OK", payload=output(record, base_url))
    else:
        words = error_words(record)
        body.update(status="ERROR", payload=failed[1], error=words[0] if words else "Request failed")
    headers = {
        "X-Fal-Webhook-Request-Id": record.id,
        "X-Fal-Webhook-User-Id": record.owner,
        "X-Fal-Webhook-Timestamp": str(int(time.time())),
    }
    return json.dumps(body).encode(), headers
