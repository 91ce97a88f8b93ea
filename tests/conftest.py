"""Set-up shared by every test layer.

Gradio keeps uploads and example files in GRADIO_TEMP_DIR (default /tmp/gradio), addressed by
content (`<hash>/ruby.mp4`), and an app that shuts down empties what it created there. The
apps this run starts in its own process (tests/browser, the unit views) would then share
their example files with any other Gradio app on the machine, and that app's restart would
delete them under this run. So this run gets a folder of its own, set before gradio is
imported (gradio reads the variable at import). Apps started as subprocesses get their own
folder from tests/apprunner.py.

Under pytest-xdist (`-n 2`, scripts/test.sh) every worker is a process that inherits the
controller's environment, the folder this file made there included; so a worker always makes
its own (PYTEST_XDIST_WORKER is set before this file is imported), or one worker's app
shutting down would delete the other's files.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# A real PostgreSQL started on first use (`postgres`, `pg_url`) and the store on each backend
# (`store`, `open_store`).
pytest_plugins = ["tests.engines.postgres", "tests.engines.s3", "tests.engines.stores"]

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

if _WORKER or "GRADIO_TEMP_DIR" not in os.environ:
    _gradio_temp = tempfile.mkdtemp(prefix=f"wan-tests-gradio-{_WORKER or 'main'}-")
    os.environ["GRADIO_TEMP_DIR"] = _gradio_temp
    atexit.register(shutil.rmtree, _gradio_temp, ignore_errors=True)
