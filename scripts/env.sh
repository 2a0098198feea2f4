# Sourced by the scripts: toolchain on PATH and a build cache outside the clone.
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/chief-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
