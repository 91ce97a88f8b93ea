#!/usr/bin/env bash
# The test command: sets up a fresh Debian machine (Chromium for the browser tests, the
# Python test dependencies), then runs the whole suite on four pytest-xdist workers: most tests
# wait on apps, simulators and Chromium rather than compute, so on this 2-core machine 4 workers
# took 455 s where 3 took 468 s and 2 about 600 s. Extra arguments go to pytest (`-n 0` runs
# in one process). `--dist loadfile` keeps each test file on one worker, so the apps, simulators
# and Chromium a module or package starts once are shared by its tests as in a serial run; every
# worker has its own ports, temp and data dirs. `--no-loadscope-reorder` hands the files out in
# collection order, which tests/conftest.py sorts slowest layer first (browser, replicas, app, ...,
# unit): xdist's own order (most tests first) left the few-test, minute-long browser files for
# last, one worker running them while the others had finished.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium is missing and cannot be installed (not root); browser tests will fail under CI=true" >&2
  fi
fi
# Chinese text in the browser tests' screenshots (boxes without a CJK font).
if ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null || true
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null || true
  fi
fi

# PostgreSQL for the tests of WAN_DATABASE_URL (tests/engines/postgres.py starts its own server
# with initdb + pg_ctl in a temporary folder; Debian puts them in /usr/lib/postgresql/<v>/bin).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing Debian's postgresql for the database tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "warning: PostgreSQL is missing and cannot be installed (not root); its tests will fail under CI=true" >&2
  fi
fi

python -m pip install -q -r requirements-dev.txt
python -m pytest -n 4 --dist loadfile --no-loadscope-reorder "$@"
