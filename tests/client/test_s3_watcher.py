"""WAN_STORAGE_URL=s3://...: a finished video downloaded from the simulator lands in the
bucket (a real S3 server on 127.0.0.1) in multipart parts, with its poster, and nothing stays
on local disk; Delete local copy and the retention sweep remove the objects."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.engines.s3 import MIN_PART, S3Server
from wanvideo.events import Completed
from wanvideo.storage.s3 import S3Storage

from .test_watcher import OWNER, _collect, _manager, _request, _settings, clip, sim  # noqa: F401


async def test_a_download_streams_into_the_bucket_and_is_deleted_from_it(
    sim,  # noqa: F811
    clip,  # noqa: F811
    s3_server: S3Server,  # noqa: F811
    tmp_path: Path,
) -> None:
    client = s3_server.client()
    parts: list[int] = []
    client.meta.events.register(
        "before-call.s3.UploadPart", lambda params, **kw: parts.append(len(params["body"].getbuffer()))
    )
    bucket = s3_server.new_bucket()
    storage = S3Storage(bucket, "wan", client=client, part_size=MIN_PART)
    data = tmp_path / "data"
    manager = _manager(_settings(sim, data, WAN_KEEP_DAYS="1"), storage=storage).start()
    try:
        first = manager.submit(_request(clip), owner=OWNER)
        second = manager.submit(_request(clip), owner=OWNER)
        done = await asyncio.gather(_collect(manager, first.id), _collect(manager, second.id))
        assert all(isinstance(events[-1], Completed) for events in done), done
        saved = [manager.get(r.id, OWNER) for r in (first, second)]
        objects = s3_server.keys(bucket)
        for record in saved:
            assert record is not None and record.has_video and record.video_path is None
            assert record.video_key == f"videos/{record.video_token}.mp4"
            video = client.get_object(Bucket=bucket, Key=f"wan/{record.video_key}")["Body"].read()
            assert video[4:8] == b"ftyp" and len(video) == objects[f"wan/{record.video_key}"]
            assert objects[f"wan/videos/{record.video_token}.jpg"] > 0  # the poster went with it
        # Uploaded in parts no bigger than a part and a chunk: never the whole video at once.
        biggest = max(objects[f"wan/{r.video_key}"] for r in saved if r is not None)
        assert biggest > 2 * MIN_PART and len(parts) >= 4, (biggest, parts)
        assert max(parts) <= MIN_PART, parts
        # Nothing of it on local disk: not in the videos folder, not left in the spool.
        local = [p for p in data.rglob("*") if p.is_file() and p.suffix in (".mp4", ".jpg", ".part")]
        assert local == [], local

        assert manager.delete_video(first.id, OWNER)
        after = manager.get(first.id, OWNER)
        assert after is not None and after.video_key is None and not after.has_video
        assert manager.sweep_saved(now=time.time() + 2 * 86400) == 1  # WAN_KEEP_DAYS=1: the second
        assert s3_server.keys(bucket) == {}
    finally:
        manager.stop()
