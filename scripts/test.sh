#!/usr/bin/env bash
# Every test: formatting and lints, the architecture check, unit, integration (real
# SQLite + tantivy), CLI end to end, doctests, the UI pages in Chromium and the
# desktop app in a real window. The Rust tests build the whole workspace once (one
# `cargo test --workspace`, so every crate compiles with one feature set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
. scripts/env.sh
start=$(date +%s)

cargo fmt --all --check || { echo "cargo fmt --check failed: run cargo fmt --all" >&2; exit 1; }

# The architecture: the engine composes the product's crates and knows nothing of
# Tauri or the mock HTTP server; the surfaces talk to the engine only.
arch_fail() { echo "architecture check failed: $*" >&2; exit 1; }
tree() { cargo tree --locked -e normal --prefix none "$@"; }
tree -p chief-engine | grep -Eq '^(tauri|axum) ' && arch_fail "chief-engine depends on tauri or axum"
tree -p chief-desktop | grep -Eq '^axum ' && arch_fail "the desktop app links axum (a mock server)"
surface_deps() { tree -p "$1" --depth 1 | tail -n +2 | grep -E '^chief-' | cut -d' ' -f1 | sort -u | tr '\n' ' '; }
desktop_deps=$(surface_deps chief-desktop)
[ "$desktop_deps" = "chief-core chief-engine " ] || arch_fail "chief-desktop may depend only on chief-engine and chief-core, not: $desktop_deps"
cli_deps=$(surface_deps chief-cli)
[ "$cli_deps" = "chief-bench chief-core chief-engine " ] || arch_fail "chief-cli may depend only on chief-engine, chief-core and chief-bench, not: $cli_deps"
tree -p chief-search | grep -Eq '^chief-(engine|sources|llm) ' && arch_fail "chief-search depends on a crate above it"
brain_above=$(surface_deps chief-brain | tr ' ' '\n' | grep -Ev '^(chief-core|chief-store|chief-search|chief-llm|)$' || true)
[ -z "$brain_above" ] || arch_fail "chief-brain may depend only on chief-core, chief-store, chief-search and chief-llm, not: $brain_above"

cargo clippy --locked --workspace --all-targets -- -D warnings

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
# The desktop's real-window tests append their figures (latency, idle memory,
# screenshot paths) to this file; it is printed after the run.
export CHIEF_TEST_FIGURES="$CARGO_TARGET_DIR/desktop-figures.txt"
rm -f "$CHIEF_TEST_FIGURES"
# The tests' session bus starts no services on demand: a Secret Service activated by a
# keychain call would wait for a password prompt. Tests that need a keychain start
# their own (crates/chief-cli/tests/secrets_sweep.rs).
bus_config="$PWD/scripts/session-bus.conf"
NO_AT_BRIDGE=1 dbus-run-session --config-file="$bus_config" -- cargo test --locked --workspace --no-fail-fast || status=$?
[ -f "$CHIEF_TEST_FIGURES" ] && cat "$CHIEF_TEST_FIGURES"
[ "$status" -eq 0 ] || { echo "cargo tests failed" >&2; exit "$status"; }
[ "$ui_status" -eq 0 ] || { echo "UI tests failed" >&2; exit "$ui_status"; }
echo "tests finished in $(( $(date +%s) - start ))s"
