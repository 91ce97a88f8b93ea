"""Run the simulator on its own: ``python -m wanvideo.simulator --port 8900``.

``--dialect dashscope [--region singapore|beijing|virginia]`` or ``--dialect fal`` plays those
providers' APIs instead of EvoLink's (``string``) or odkkk's (``integer``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging

from . import dashscope_rules
from .envelopes import ALL_DIALECTS
from .server import Simulator


def _routes(dialect: str, base_url: str) -> str:
    """What the announcement lists for `dialect`."""
    if dialect == "dashscope":
        return (
            f"  API:   POST {base_url}{dashscope_rules.CREATE_PATH} (X-DashScope-Async: enable),\n"
            f"         GET {base_url}/api/v1/tasks/<id>, POST {base_url}/api/v1/tasks/<id>/cancel\n"
            f"  files: GET {base_url}/api/v1/uploads?action=getPolicy&model=<model>, then the form POST\n"
            f"  use:   the DashScope base URL {base_url}"
        )
    if dialect == "fal":
        return (
            f"  API:   POST {base_url}/wan/v2.6/reference-to-video (Authorization: Key ...),\n"
            f"         then the status_url, response_url and cancel_url it returns\n"
            f"  files: POST {base_url}/storage/upload/initiate?storage_type=fal-cdn-v3, then PUT upload_url\n"
            f"  use:   the fal queue and REST base URL {base_url}"
        )
    return (
        f"  API:   POST {base_url}/v1/videos/generations, GET {base_url}/v1/tasks/<id>\n"
        f"  files: POST {base_url}/api/v1/files/upload/stream|base64|url\n"
        f"  use:   WAN_PROVIDER=demo WAN_API_BASE_URL={base_url} WAN_FILES_BASE_URL={base_url}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wanvideo.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900, help="0 picks a free port")
    parser.add_argument("--task-seconds", type=float, default=15.0, help="time from create to completed")
    parser.add_argument(
        "--dialect",
        choices=ALL_DIALECTS,
        default="string",
        help="string (EvoLink), integer (odkkk), dashscope (Alibaba Cloud) or fal",
    )
    parser.add_argument(
        "--region",
        choices=tuple(dashscope_rules.REGIONS),
        default=None,
        help="dashscope only (default: singapore)",
    )
    parser.add_argument("--data-dir", default=None, help="keep uploads and results here (default: temporary)")
    parser.add_argument(
        "--api-key", action="append", dest="api_keys", help="accept only this key (repeatable)"
    )
    parser.add_argument("--public-url", default=None, help="base of the file and result links it hands out")
    parser.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="fetch reference links on loopback/private addresses too (local testing only)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sim = Simulator(
        task_seconds=args.task_seconds,
        dialect=args.dialect,
        data_dir=args.data_dir,
        api_keys=args.api_keys,
        port=args.port,
        host=args.host,
        public_url=args.public_url,
        allow_private_urls=args.allow_private_urls,
        region=args.region,
    )

    def announce(base_url: str) -> None:
        where = f", {sim.region}" if sim.region else ""
        print(
            f"Wan simulator ({args.dialect} dialect{where}, tasks take {args.task_seconds:g} s) on {base_url}\n"
            + _routes(args.dialect, base_url),
            flush=True,
        )

    with contextlib.suppress(KeyboardInterrupt):
        sim.serve_forever(on_ready=announce)


if __name__ == "__main__":
    main()
