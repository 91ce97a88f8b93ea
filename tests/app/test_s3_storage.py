"""The real app (`python app.py`, demo mode) with WAN_STORAGE_URL on a real S3 server on
127.0.0.1 and the standard AWS variables: a generation through gradio_client is saved in the
bucket (not in the data folder), and its signed link serves it from there with Range."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.apprunner import RunningApp
from tests.engines.s3 import S3Server

from .test_api import generate


def test_a_generation_is_saved_in_the_bucket_and_served_from_it_with_range(
    s3_demo_app: tuple[RunningApp, str],  # noqa: F811
    s3_server: S3Server,  # noqa: F811
    videos: dict[str, Path],
) -> None:
    app, bucket = s3_demo_app
    _, (_status, player, record) = generate(app, videos["a3"], duration=2)
    assert record["status"] == "completed", record
    objects = s3_server.keys(bucket)
    name = record["video_path"]  # the file name, as before
    assert {f"wan/videos/{name}", f"wan/videos/{Path(name).stem}.jpg"} <= set(objects), objects
    stored = s3_server.client().get_object(Bucket=bucket, Key=f"wan/videos/{name}")["Body"].read()
    assert stored[4:8] == b"ftyp" and len(stored) == objects[f"wan/videos/{name}"]
    provider_side = app.data_dir / "simulator"  # the demo provider's own files (its result links)
    kept = [
        p
        for p in app.data_dir.rglob("*")
        if p.is_file() and p.suffix in (".mp4", ".jpg", ".part") and provider_side not in p.parents
    ]
    assert kept == [], kept  # not in the data folder's videos/, not left in the download spool

    link = record["video_url"]
    parts = urlsplit(link)
    assert f'src="{parts.path.lstrip("/")}"' in player  # the page's player: the owner-only route
    whole = httpx.get(link, timeout=30)
    assert whole.status_code == 200 and whole.content == stored
    ranged = httpx.get(link, headers={"Range": "bytes=100-1099"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == stored[100:1100]
    assert ranged.headers["content-range"] == f"bytes 100-1099/{len(stored)}"
    past = httpx.get(link, headers={"Range": f"bytes={len(stored)}-"}, timeout=30)
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(stored)}"
    assert (
        httpx.get(f"{parts.scheme}://{parts.netloc}{parts.path}", timeout=30).status_code == 404
    )  # no cookie
    assert httpx.get(link.replace("sig=", "sig=0"), timeout=30).status_code == 404
