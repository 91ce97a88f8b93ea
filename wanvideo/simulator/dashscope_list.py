"""The dashscope dialect's batch list of tasks [D5]: ``GET /api/v1/tasks`` (the SDK's
`VideoSynthesis.list` calls it without the trailing slash, PROVIDERS.md A1 writes it with one).

    GET /api/v1/tasks?start_time=20261204100000&end_time=...&status=SUCCEEDED&model_name=...
        &task_id=...&api_key_id=...&region=...&page_no=1&page_size=10

    {"request_id", "total", "total_page", "page_no", "page_size",
     "data": [{"api_key_id", "caller_parent_id", "caller_uid", "gmt_create", "start_time",
               "end_time", "model_name", "region", "request_id", "status", "task_id",
               "user_api_unique_key"}, ...]}        newest first; times in epoch milliseconds

The window is at most 24 h: no times means the last 24 h, only one of them the 24 h after
start_time or before end_time [D5]. Only the caller's own tasks are listed (D5 lists every task
of the main account; one key is one account here). Open point: the zone of
``YYYYMMDDhhmmss`` is not documented; China Standard Time is taken, as in `dashscope_time`.
Open point: D5 gives no largest page_size; any page_size >= 1 is taken.
"""

from __future__ import annotations

import calendar
import math
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import dashscope_rules as rules
from .config import SimConfig
from .dashscope_http import bearer_key, error
from .envelopes import new_request_id
from .state import SimState, SimTask, owner_id

LIST_PATHS = (rules.TASK_PREFIX.rstrip("/"), rules.TASK_PREFIX)
WINDOW_S = 24 * 3600  # [D5]
DEFAULT_PAGE_SIZE = 10  # [D5]
CST_OFFSET_S = 8 * 3600
STATUSES = (*rules.STATUSES.values(), "UNKNOWN")  # [D5]
# Our region names -> the region ids DashScope writes (the SDK's MAAS_REGIONS, env.py) [D8].
REGION_IDS = {"singapore": "ap-southeast-1", "beijing": "cn-beijing", "virginia": "us-east-1"}
TASK_GROUP = "aigc"  # the create path is /services/aigc/video-generation/video-synthesis [D1]


def parse_time(text: str) -> float | None:
    """``YYYYMMDDhhmmss`` (China Standard Time) as epoch seconds, None if it is not one."""
    if len(text) != 14 or not text.isdigit():
        return None
    try:
        parsed = time.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return calendar.timegm(parsed) - CST_OFFSET_S


def api_key_id(owner: str) -> str:
    """A stable number standing for the key (D5's `api_key_id`), never the key itself."""
    return str(int(owner[:8], 16) % 1_000_000)


def window(start: str | None, end: str | None, now: float) -> tuple[float, float] | str:
    """The [from, to] of the listing in epoch seconds, or what is wrong with the times."""
    begin = parse_time(start) if start else None
    finish = parse_time(end) if end else None
    if start and begin is None:
        return "start_time must be YYYYMMDDhhmmss"
    if end and finish is None:
        return "end_time must be YYYYMMDDhhmmss"
    if begin is None and finish is None:
        return now - WINDOW_S, now
    if begin is None:
        assert finish is not None
        return finish - WINDOW_S, finish
    if finish is None:
        return begin, begin + WINDOW_S
    if finish < begin:
        return "end_time must not be before start_time"
    if finish - begin > WINDOW_S:
        return "start_time and end_time must be at most 24 hours apart"
    return begin, finish


def whole(text: str | None, default: int) -> int | None:
    if text is None or text == "":
        return default
    return int(text) if text.isdigit() and int(text) >= 1 else None


class DashScopeTaskList:
    """The batch list handler of one dashscope simulator."""

    def __init__(self, state: SimState, config: SimConfig, region: rules.Region) -> None:
        self.state = state
        self.config = config
        self.region = region

    def entry(self, record: SimTask) -> dict[str, Any]:
        """One task as the list shows it [D5] (`end_time` once it ended)."""
        status = rules.STATUSES[record.status]
        model = str(record.extra.get("model"))
        uid = str(int(record.owner[8:20], 16))
        item: dict[str, Any] = {
            "api_key_id": api_key_id(record.owner),
            "caller_parent_id": uid,
            "caller_uid": uid,
            "gmt_create": int(record.created * 1000),
            "model_name": model,
            "region": REGION_IDS.get(str(record.extra.get("region")), "ap-southeast-1"),
            "request_id": record.extra.get("request_id") or str(uuid.uuid5(uuid.NAMESPACE_URL, record.id)),
            "status": status,
            "task_id": record.id,
            "user_api_unique_key": f"apikey:v1:{TASK_GROUP}:video-generation:video-synthesis:{model}",
        }
        if record.start_time <= time.time() and record.cancelled_at is None:
            item["start_time"] = int(record.start_time * 1000)
        ended = {"SUCCEEDED": record.end_time, "CANCELED": record.cancelled_at}
        if status == "FAILED":
            ended["FAILED"] = min(record.failure_due(), time.time())
        if ended.get(status) is not None:
            item["end_time"] = int(float(ended[status] or 0) * 1000)
        return item

    async def list_tasks(self, request: Request) -> Response:
        self.state.stats.task_gets += 1
        key = bearer_key(request, self.config.api_keys)
        if isinstance(key, Response):
            return key
        query = request.query_params
        now = time.time()
        span = window(query.get("start_time"), query.get("end_time"), now)
        if isinstance(span, str):
            return error(400, "InvalidParameter", span)
        page_no = whole(query.get("page_no"), 1)
        page_size = whole(query.get("page_size"), DEFAULT_PAGE_SIZE)
        if page_no is None or page_size is None:
            return error(400, "InvalidParameter", "page_no and page_size must be whole numbers from 1")
        status = query.get("status")
        if status and status not in STATUSES:
            return error(400, "InvalidParameter", f"status must be one of {', '.join(STATUSES)}")
        owner = owner_id(key)
        with self.state.lock:
            mine = [
                t
                for t in self.state.tasks.values()
                if t.dialect == "dashscope"
                and t.owner == owner
                and not t.expired
                and now - t.created <= rules.TASK_LIFETIME_S
                and span[0] <= t.created <= span[1]
            ]
        entries = [self.entry(t) for t in sorted(mine, key=lambda t: t.created, reverse=True)]
        filters = {name: query.get(name) for name in ("task_id", "model_name", "api_key_id", "region")}
        filters["status"] = status
        entries = [e for e in entries if all(not v or e[k] == v for k, v in filters.items())]
        first = (page_no - 1) * page_size
        return JSONResponse(
            {
                "request_id": new_request_id(),
                "total": len(entries),
                "data": entries[first : first + page_size],
                "total_page": math.ceil(len(entries) / page_size),
                "page_no": page_no,
                "page_size": page_size,
            }
        )
