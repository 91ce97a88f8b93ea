"""A local simulator of the Wan 2.6 reference video API (EvoLink contract, odkkk dialect too).

    from wanvideo.simulator import Simulator
    with Simulator(task_seconds=2.0) as sim:
        sim.base_url   # task API + files host on one local port

Modules: `server` (Simulator, the uvicorn thread), `app` (routes, fault layer), `state`
(tasks, files, idempotency, stats), `faults` (fault injection API), `render` (the result
MP4), `envelopes` (error bodies in both dialects). Never imports gradio.
"""

from .faults import KINDS as FAULT_KINDS
from .faults import ROUTES as FAULT_ROUTES
from .faults import Fault, Faults
from .server import Simulator
from .state import FileRecord, Stats, TaskRecord

__all__ = ["FAULT_KINDS", "FAULT_ROUTES", "Fault", "Faults", "FileRecord", "Simulator", "Stats", "TaskRecord"]
