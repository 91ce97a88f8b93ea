"""Set-up shared by every test layer.

Gradio keeps uploads and example files in GRADIO_TEMP_DIR (default /tmp/gradio), addressed by
content (`<hash>/ruby.mp4`), and an app that shuts down empties what it created there. The
apps this run starts in its own process (tests/browser, the unit views) would then share
their example files with any other Gradio app on the machine, and that app's restart would
delete them under this run. So this run gets a folder of its own, set before gradio is
imported (gradio reads the variable at import). Apps started as subprocesses get their own
folder from tests/apprunner.py.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

if "GRADIO_TEMP_DIR" not in os.environ:
    _gradio_temp = tempfile.mkdtemp(prefix="wan-tests-gradio-")
    os.environ["GRADIO_TEMP_DIR"] = _gradio_temp
    atexit.register(shutil.rmtree, _gradio_temp, ignore_errors=True)
