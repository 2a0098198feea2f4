#!/usr/bin/env bash
# The main job on the bundled demo workspace: build `chief`, load the demo into its own
# home, print your briefing, and search it. Pass a different home with CHIEF_HOME=...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
cargo build --locked -p chief-cli
CHIEF="$CARGO_TARGET_DIR/debug/chief"
export CHIEF_HOME="${CHIEF_HOME:-$PWD/.chief-demo-home}"
"$CHIEF" demo
echo
echo "\$ chief search --json PAY-142   (first result)"
"$CHIEF" search --json --limit 1 PAY-142
echo
echo "The demo home is $CHIEF_HOME; try: $CHIEF --home $CHIEF_HOME search <words>"
echo
# With a display, the desktop app runs on the same home (tray, hotkey, briefing window).
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${CHIEF_DEMO_DESKTOP:-1}" = 1 ]; then
  bash scripts/setup.sh --desktop
  cargo build --locked -p chief-desktop
  "$CARGO_TARGET_DIR/debug/chief-desktop" >"$CHIEF_HOME/desktop.log" 2>&1 &
  echo "Chief is running in the tray on the demo home (pid $!). Select text anywhere and press"
  echo "Ctrl+Shift+O (try PAY-142); the tray menu opens today's briefing and the settings, and"
  echo "Quit ends it (or: kill $!). Its log is $CHIEF_HOME/desktop.log."
else
  echo "On a machine with a display, the desktop app runs on this home with:"
  echo "  bash scripts/setup.sh --desktop && CHIEF_HOME=$CHIEF_HOME cargo run -p chief-desktop"
  echo "(set CHIEF_DEMO_DESKTOP=0 to skip launching it when a display is present)."
fi
