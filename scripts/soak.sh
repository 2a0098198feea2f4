#!/usr/bin/env bash
# The desktop app for SOAK_MINUTES (default 30) minutes on the demo home, syncing from
# the demo mock every minute with a new message each minute and one hotkey lookup a
# minute: prints RSS and CPU per minute and fails on more than 10 % memory growth.
# CHIEF_DESKTOP_EXE=/usr/bin/chief-desktop soaks the installed package instead of the
# debug build. Not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
. scripts/env.sh
if [ -z "${DISPLAY:-}" ]; then
  Xvfb :96 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  trap 'kill $XVFB_PID 2>/dev/null || true' EXIT
  export DISPLAY=:96
  for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
fi
command -v sqlite3 >/dev/null || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq sqlite3 >/dev/null; }
export CHIEF_TEST_FIGURES="$CARGO_TARGET_DIR/soak-figures.txt"
rm -f "$CHIEF_TEST_FIGURES"
SOAK_MINUTES="${SOAK_MINUTES:-30}" NO_AT_BRIDGE=1 dbus-run-session --config-file="$PWD/scripts/session-bus.conf" -- \
  cargo test --locked -p chief-desktop --test soak -- --ignored --nocapture
cat "$CHIEF_TEST_FIGURES"
