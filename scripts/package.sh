#!/usr/bin/env bash
# Release packages of the desktop app, built by Tauri's bundler (the @tauri-apps/cli
# 2.11 binary from npm): a .deb holding chief-desktop (stripped), its resting process
# chief-desktop-rest, the `chief` CLI, the
# icons, a desktop entry and the embedding model with its ONNX Runtime library
# (/usr/lib/Chief/models, found by both binaries). Not part of scripts/test.sh: a
# release build takes 10-20 minutes on 2 cores.
#
#   bash scripts/package.sh                 # build target/release/bundle/deb/*.deb
#   bash scripts/package.sh --install-test  # then install it here and run the hotkey
#                                           # test against /usr/bin/chief-desktop
#   bash scripts/package.sh --test-only     # install and test the newest .deb built
#
# An AppImage is not built: Tauri's AppImage bundler downloads linuxdeploy from GitHub
# at build time, and nothing may be downloaded from outside the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
INSTALL_TEST=0
BUILD=1
case "${1:-}" in
  --install-test) INSTALL_TEST=1 ;;
  --test-only) INSTALL_TEST=1; BUILD=0 ;;
  "") ;;
  *) echo "usage: scripts/package.sh [--install-test | --test-only]" >&2; exit 2 ;;
esac
bash scripts/setup.sh --tests
. scripts/env.sh
start=$(date +%s)

if [ "$BUILD" = 1 ]; then  # (the build, unindented for its heredoc)

CLI_DIR="${CHIEF_TAURI_CLI_DIR:-/var/tmp/chief-tauri-cli}"
CLI_VERSION=2.11.5
TAURI="$CLI_DIR/node_modules/.bin/tauri"
if [ ! -x "$TAURI" ] || [ "$("$TAURI" --version 2>/dev/null)" != "tauri-cli $CLI_VERSION" ]; then
  echo "package: installing @tauri-apps/cli $CLI_VERSION into $CLI_DIR" >&2
  npm install --no-audit --no-fund --loglevel=error --prefix "$CLI_DIR" "@tauri-apps/cli@$CLI_VERSION"
fi

# Stripped release binaries, no debug info (the unstripped desktop binary is 237 MB).
export CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=symbols
# The CLI and the resting process go in beside the app (the bundler builds the app).
cargo build --locked --release -p chief-cli -p chief-desktop --bin chief --bin chief-desktop-rest

MODELS="$PWD/models"
ORT=$(cd "$MODELS" && ls libonnxruntime.so* | head -n 1)
CONF="$CARGO_TARGET_DIR/tauri.package.json"
cat >"$CONF" <<JSON
{
  "bundle": {
    "active": true,
    "targets": ["deb"],
    "category": "Productivity",
    "shortDescription": "Local-first assistant for engineering leaders",
    "longDescription": "Chief explains the text on your screen from your Slack, GitHub, Jira and Google Workspace (Ctrl+Shift+O), writes your daily briefing and tells you when something needs you. Everything is indexed on this machine.",
    "resources": {
      "$MODELS/model.onnx": "models/model.onnx",
      "$MODELS/tokenizer.json": "models/tokenizer.json",
      "$MODELS/MANIFEST.toml": "models/MANIFEST.toml",
      "$MODELS/$ORT": "models/$ORT"
    },
    "linux": {
      "deb": {
        "section": "utils",
        "files": {
          "/usr/bin/chief": "$CARGO_TARGET_DIR/release/chief",
          "/usr/bin/chief-desktop-rest": "$CARGO_TARGET_DIR/release/chief-desktop-rest"
        }
      }
    }
  }
}
JSON
( cd src-tauri && "$TAURI" build --ci --bundles deb --config "$CONF" )

fi

DEB=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb 2>/dev/null | head -n 1 || true)
[ -n "$DEB" ] || { echo "package: no .deb built yet; run scripts/package.sh first" >&2; exit 1; }
echo "package: $DEB ($(du -h "$DEB" | cut -f1)) in $(( $(date +%s) - start )) s"
dpkg-deb --info "$DEB" | sed -n '/Package:/,$p'
dpkg-deb --contents "$DEB" | awk '{print $3, $6}' | grep -v '/$'

if [ "$INSTALL_TEST" = 1 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --reinstall "$DEB" >/dev/null
  echo "package: installed; $(command -v chief-desktop) $(du -h /usr/bin/chief-desktop | cut -f1), $(command -v chief) $(du -h /usr/bin/chief | cut -f1)"
  # The installed CLI finds the packaged model: semantic search works out of the box.
  home=$(mktemp -d)
  trap 'rm -rf "$home"' EXIT
  /usr/bin/chief --home "$home" doctor --json | python3 -c '
import json, sys
found = [f for f in json.load(sys.stdin) if f["check"] == "embeddings"]
assert found and all(f["level"] == "ok" for f in found), found
print("package: the installed chief finds its model:", found[0]["message"])'
  # The installed app under a virtual display: the real hotkey shows the popup.
  if [ -z "${DISPLAY:-}" ]; then
    Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    XVFB_PID=$!
    trap 'kill $XVFB_PID 2>/dev/null || true; rm -rf "$home"' EXIT
    export DISPLAY=:97
    for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  export CHIEF_TEST_FIGURES="$CARGO_TARGET_DIR/package-figures.txt"
  rm -f "$CHIEF_TEST_FIGURES"
  CHIEF_DESKTOP_EXE=/usr/bin/chief-desktop NO_AT_BRIDGE=1 dbus-run-session --config-file="$PWD/scripts/session-bus.conf" -- \
    cargo test --locked -p chief-desktop --test e2e --test rest -- --test-threads=1 --nocapture
  echo "package: the installed app passed the hotkey and resting tests"
  cat "$CHIEF_TEST_FIGURES" 2>/dev/null || true
fi
