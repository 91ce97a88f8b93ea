"""A local simulator of the Wan 2.6 reference video API (EvoLink contract, odkkk dialect too),
and of DashScope's and fal's own APIs for the same model.

    from wanvideo.simulator import Simulator
    with Simulator(task_seconds=2.0) as sim:
        sim.base_url   # task API + files host on one local port
    Simulator(dialect="dashscope", region="singapore")   # Alibaba Cloud DashScope native
    Simulator(dialect="fal")                             # fal.ai's queue API

An independent implementation of the provider's contract: it reads the provider's own OpenAPI
document (`spec/`) and never imports the client's schemas or pricing. Never imports gradio.

Modules: `server` (Simulator, the uvicorn thread), `app` (the router), `middleware` (fault
layer), `tasks_api` (create, query, render), `files_api` (uploads, downloads), `multipart`
(streamed form parsing), `contract` (the spec's rules, read once), `validation` (create bodies
against the spec's schema), `references` (a create's videos made local and checked), `fetch`
(the one guarded fetch of a link), `billing` (the provider's charge), `state` (tasks, files,
idempotency, stats), `faults` (fault injection API), `render` (the result MP4), `envelopes`
(error bodies in every dialect), `config`/`auth` (shared settings, Bearer keys).

The queue dialects, written from ../shared/PROVIDERS.md: `dashscope_rules`/`dashscope_api`
(+ `dashscope_create`, `dashscope_uploads`, `dashscope_http`, `dashscope_sdk`, `dashscope_list`),
`fal_rules`/`fal_api` (+ `fal_submit`, `fal_results`, `fal_storage`, `fal_http`, `fal_run`) (each rule with its source key), `queue_base` (what they share),
`queueing` (an account's tasks running at once, FIFO), `notify` (completion callbacks:
EvoLink's `callback_url`, fal's `fal_webhook`, sent by `fetch.post_json`).
"""

from .faults import KINDS as FAULT_KINDS
from .faults import ROUTES as FAULT_ROUTES
from .faults import Fault, Faults
from .server import Simulator
from .state import FileRecord, SimTask, Stats

__all__ = ["FAULT_KINDS", "FAULT_ROUTES", "Fault", "Faults", "FileRecord", "SimTask", "Simulator", "Stats"]
