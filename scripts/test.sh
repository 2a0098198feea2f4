#!/usr/bin/env bash
# Every test: unit, integration (real SQLite + tantivy), CLI end to end, doctests,
# plus the architecture check that the engine never depends on tauri.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
. scripts/env.sh
start=$(date +%s)

if cargo tree --locked -p chief-engine -e normal 2>/dev/null | grep -q '^.*tauri'; then
  echo "architecture check failed: chief-engine depends on tauri" >&2
  exit 1
fi

# The desktop tests drive a real window: a virtual X display and a session bus.
if [ -z "${DISPLAY:-}" ]; then
  Xvfb :99 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  trap 'kill $XVFB_PID 2>/dev/null || true' EXIT
  export DISPLAY=:99
  for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
fi

# The pages in headless Chromium against the mock backend.
ui_status=0
( cd ui && UI_SHOTS="$CARGO_TARGET_DIR/ui-shots" npm test --silent ) || ui_status=$?

status=0
dbus-run-session -- cargo test --locked --workspace --exclude chief-desktop --no-fail-fast || status=$?
# The desktop's real-window test prints its figures and screenshot path.
dbus-run-session -- cargo test --locked -p chief-desktop --no-fail-fast -- --nocapture || status=$?
[ "$status" -eq 0 ] || { echo "cargo tests failed" >&2; exit "$status"; }
[ "$ui_status" -eq 0 ] || { echo "UI tests failed" >&2; exit "$ui_status"; }
echo "tests finished in $(( $(date +%s) - start ))s"
