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

import pytest

# A real PostgreSQL started on first use (`postgres`, `pg_url`) and the store on each backend
# (`store`, `open_store`).
pytest_plugins = ["tests.engines.postgres", "tests.engines.s3", "tests.engines.stores"]

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

if _WORKER or "GRADIO_TEMP_DIR" not in os.environ:
    _gradio_temp = tempfile.mkdtemp(prefix=f"wan-tests-gradio-{_WORKER or 'main'}-")
    os.environ["GRADIO_TEMP_DIR"] = _gradio_temp
    atexit.register(shutil.rmtree, _gradio_temp, ignore_errors=True)


# The slowest layers first. Under `--dist loadfile` (scripts/test.sh) a worker takes the next file
# when it runs dry, and the run ends when the last file does: a browser or replica file (a minute
# of apps and Chromium, few tests) handed out last kept one worker busy while the others idled.
# xdist's default order (most tests first) put exactly those files last, so scripts/test.sh
# passes `--no-loadscope-reorder` and this collection order decides: slow layers first, the many
# quick unit files last to fill the gaps. The sort is stable, so each file keeps its test order.
_LAYER_ORDER = ("browser", "replicas", "app", "conformance", "client", "engines", "unit")


def _layer_rank(item: pytest.Item) -> int:
    parts = item.nodeid.split("/")
    layer = parts[1] if len(parts) > 2 and parts[0] == "tests" else ""
    return _LAYER_ORDER.index(layer) if layer in _LAYER_ORDER else len(_LAYER_ORDER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_layer_rank)
