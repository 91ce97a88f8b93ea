"""The store's backends as a pytest parameter (plugin, loaded by tests/conftest.py), so one
contract test runs on SQLite and on a real PostgreSQL:

    def test_x(store): ...                  # a fresh store, on each backend
    def test_y(open_store):                 # open_store() -> another store on the same database
        one, two = open_store(), open_store()   # (as two app processes or two replicas have)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wanvideo.store import TaskStore, TaskStoreBase

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], TaskStoreBase]]:
    opened: list[TaskStoreBase] = []
    if request.param == "postgres":
        from wanvideo.store.pg_store import PostgresTaskStore

        url = request.getfixturevalue("pg_url")

        def make() -> TaskStoreBase:
            opened.append(PostgresTaskStore(url, base_dir=tmp_path, pool_size=4))
            return opened[-1]
    else:

        def make() -> TaskStoreBase:
            opened.append(TaskStore(tmp_path / "tasks.sqlite3"))
            return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], TaskStoreBase]) -> TaskStoreBase:
    return open_store()
