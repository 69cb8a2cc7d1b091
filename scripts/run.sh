#!/usr/bin/env bash
# Sets up what is missing and runs Marketu Tracker in prod mode with demo data.
# Embedded SQLite (.data/marketu.db) unless REFLEX_DB_URL is set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
setup_python
setup_bun
cd "$ROOT"

PORT="${PORT:-8000}"
SIM_PORT="${MARKETU_SIMULATOR_PORT:-8701}"
export MARKETU_DEMO="${MARKETU_DEMO:-1}"
export MARKETU_OPERATOR_TOKEN="${MARKETU_OPERATOR_TOKEN:-demo-operator-token}"

mkdir -p "$ROOT/.data"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# In demo mode EMS tracking comes from the local Kazpost-format simulator (served by Granian, which
# Reflex brings: no test extras needed); each demo parcel's EMS history follows its own dates.
if [ "$MARKETU_DEMO" = "1" ] && [ -z "${MARKETU_EMS_API_URL:-}" ] && python -c "import marketu_app.ems.simulator" 2>/dev/null; then
    python -m marketu_app.ems.simulator --port "$SIM_PORT" --demo-stories >"$ROOT/.data/simulator.log" 2>&1 &
    pids+=($!)
    export MARKETU_EMS_API_URL="http://127.0.0.1:$SIM_PORT/api/v2"
fi

# Notifications in the demo: Telegram goes to a local Bot-API stand-in whose page shows what the
# demo customer's chat receives; quiet hours off, so that the demo speaks at any hour.
BOT_PORT="${MARKETU_TELEGRAM_STANDIN_PORT:-8702}"
if [ "$MARKETU_DEMO" = "1" ] && [ -z "${MARKETU_TELEGRAM_BOT_TOKEN:-}" ]; then
    python -m marketu_app.notify.standin --port "$BOT_PORT" --token demo-token >"$ROOT/.data/telegram-standin.log" 2>&1 &
    pids+=($!)
    export MARKETU_TELEGRAM_BOT_TOKEN=demo-token MARKETU_TELEGRAM_BOT_NAME=marketu_demo_bot
    export MARKETU_TELEGRAM_API_URL="http://127.0.0.1:$BOT_PORT"
    export MARKETU_QUIET_HOURS="${MARKETU_QUIET_HOURS:-off}"
    export MARKETU_PUBLIC_URL="${MARKETU_PUBLIC_URL:-http://127.0.0.1:$PORT}"
fi

cat <<MSG

  Marketu Tracker starts at  http://127.0.0.1:$PORT/   (first build takes about a minute)
  Demo sign-in:              +7 701 123 45 67  (or demo@marketu.kz), password: marketu-demo
  Second demo customer:      +7 777 123 45 67, password: marketu-demo2
  Operator API:              http://127.0.0.1:$PORT/api/v1/docs  (Bearer $MARKETU_OPERATOR_TOKEN)
  Demo customer's Telegram:  http://127.0.0.1:$BOT_PORT/  (messages as the parcels move; local stand-in)

MSG
reflex run --env prod --backend-port "$PORT" &
pids+=($!)
wait "${pids[-1]}"
