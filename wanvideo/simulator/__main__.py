"""Run the simulator on its own: ``python -m wanvideo.simulator --port 8900``."""

from __future__ import annotations

import argparse
import contextlib
import logging

from .server import Simulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wanvideo.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900, help="0 picks a free port")
    parser.add_argument("--task-seconds", type=float, default=15.0, help="time from create to completed")
    parser.add_argument("--dialect", choices=("string", "integer"), default="string")
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
    )

    def announce(base_url: str) -> None:
        print(
            f"Wan simulator ({args.dialect} dialect, tasks take {args.task_seconds:g} s) on {base_url}\n"
            f"  API:   POST {base_url}/v1/videos/generations, GET {base_url}/v1/tasks/<id>\n"
            f"  files: POST {base_url}/api/v1/files/upload/stream|base64|url\n"
            f"  use:   WAN_PROVIDER=demo WAN_API_BASE_URL={base_url} WAN_FILES_BASE_URL={base_url}",
            flush=True,
        )

    with contextlib.suppress(KeyboardInterrupt):
        sim.serve_forever(on_ready=announce)


if __name__ == "__main__":
    main()
