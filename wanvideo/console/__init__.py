"""The owner's console (issue 19): what a public Space spends, on whom, and a pause switch.

    access.py     OwnerAccess: the token (constant-time) or a signed-in Hugging Face user
    pseudonym.py  a visitor as a short keyed-hash pseudonym, never an address
    report.py     the figures, pure functions over task records (days, providers, visitors,
                  tasks, differences, limits), and their JSON
    export.py     the tasks as CSV
    alert.py      SpendAlert: the log's warning when today's spend crosses the threshold
    service.py    OwnerConsole: the report and the controls over the store

The controls themselves (`wanvideo/controls.py`) live in the store (`store/owner.py`); the
pause refusal is raised where a generation is accepted (`watcher/spend_guard.py`).
"""

from __future__ import annotations

from .access import OwnerAccess
from .alert import SpendAlert, alert_threshold
from .export import tasks_csv
from .pseudonym import pseudonym
from .report import OwnerReport, build_report
from .service import OwnerConsole

__all__ = [
    "OwnerAccess",
    "OwnerConsole",
    "OwnerReport",
    "SpendAlert",
    "alert_threshold",
    "build_report",
    "pseudonym",
    "tasks_csv",
]
