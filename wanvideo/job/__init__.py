"""One generation as an async generator of typed events (`wanvideo.events`).

    probed = await check_references(videos, urls, "720p", 5, profile, settings)   # cost, problems
    async for item in prepare_step(probed, sources, "720p", 5, profile, settings):
        ...   # Preparing*, then the re-priced Probed (or Failed): references fixed before upload

    async for event in run_generation(request, profile=profile, settings=settings, api_key=key):
        ...   # Probed, Preparing*, Uploading*, Submitted, Progress*, Downloading*, Completed | Failed

    async for event in resume_generation(task_id, profile=profile, settings=settings, api_key=key,
                                         started_at=submitted_at):
        ...   # Progress*, Downloading*, Completed | Failed   (after a restart)

The generator never raises a `WanError` (nor any other error) to its consumer: every
failure ends the stream with a `Failed` event that says what happened, what to do, whether
anything was charged and whether the task may still be running. It is lazy: nothing after
`Submitted` runs until the consumer asks for the next event, so a consumer that persists the
task id on `Submitted` has it stored before the first poll. Closing the generator early
(`aclose()`) stops watching and cancels a running upload or download (its temporary file
is removed); it never cancels the task at the provider. Nested generators are closed with
`contextlib.aclosing`, so closing the outer one closes them at once.
"""

from .references import check_references, prepare_step, price_probes
from .run import resume_generation, run_generation
from .shared_uploads import SharedUploads

__all__ = [
    "SharedUploads",
    "check_references",
    "prepare_step",
    "price_probes",
    "resume_generation",
    "run_generation",
]
