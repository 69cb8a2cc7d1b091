# Set-up shared by run.sh and test.sh (sourced). Idempotent: each step is skipped when done.
# Usage: setup_python [extras]; setup_bun; setup_chromium
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

die() { echo "ERROR: $*" >&2; exit 1; }

setup_python() {
    local extras="${1:-}"
    local py="${PYTHON:-python3}"
    command -v "$py" >/dev/null || die "Python 3.11+ is needed: install it (Debian: apt-get install python3 python3-venv) and run this again."
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "Python 3.11+ is needed, found $("$py" --version). Set PYTHON=/path/to/python3.11 and run this again."
    if [ ! -x "$ROOT/.venv/bin/python" ]; then
        echo "==> Creating the virtualenv .venv"
        "$py" -m venv "$ROOT/.venv" || die "could not create a virtualenv (Debian: apt-get install python3-venv)."
    fi
    # Reinstall only when pyproject.toml changed since the last install.
    local stamp="$ROOT/.venv/.installed-$(sha1sum "$ROOT/pyproject.toml" | cut -c1-12)${extras:+-$extras}"
    if [ ! -f "$stamp" ]; then
        echo "==> Installing Python packages${extras:+ (with $extras)}"
        "$ROOT/.venv/bin/python" -m pip install -q --upgrade pip
        "$ROOT/.venv/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}"
        touch "$stamp"
    fi
}

setup_bun() {
    # Reflex downloads bun from the internet by default; the npm package ships the binary.
    if [ ! -x "$ROOT/.tools/node_modules/.bin/bun" ]; then
        command -v npm >/dev/null || die "npm is needed to install bun (Debian: apt-get install npm) and run this again."
        echo "==> Installing bun from npm into .tools/"
        npm install --silent --no-audit --no-fund --prefix "$ROOT/.tools" bun@1.4.4
    fi
    "$ROOT/.tools/node_modules/.bin/bun" --version >/dev/null || die "bun in .tools/ does not run; delete .tools and run this again."
}

setup_chromium() {
    if [ -x /usr/bin/chromium ]; then return; fi
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        echo "==> Installing Debian's Chromium (for the browser tests)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        die "the browser tests need Debian's Chromium at /usr/bin/chromium. Run: sudo apt-get install -y chromium chromium-driver, then run this again."
    fi
}
