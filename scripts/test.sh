#!/usr/bin/env bash
# Sets up what is missing (virtualenv, packages, bun, Chromium) and runs every test.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/unit -x
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
setup_python test
setup_bun
setup_chromium
cd "$ROOT"
# The browser tests go last: Playwright's sync API keeps an event loop running in the main
# thread until the session ends, and the asyncio-based tests cannot run after it starts.
if [ $# -eq 0 ] || [[ "$1" == -* ]]; then
    exec python -m pytest "$@" tests/unit tests/integration tests/e2e
fi
exec python -m pytest "$@"
