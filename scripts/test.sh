#!/usr/bin/env bash
# Sets up what is missing (virtualenv, packages, bun, Chromium) and runs every test.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/unit -x
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
setup_python test
setup_bun
setup_chromium
cd "$ROOT"
exec python -m pytest "${@:-tests}"
