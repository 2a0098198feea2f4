#!/usr/bin/env bash
# Every test: unit, integration (real SQLite + tantivy), CLI end to end, doctests,
# plus the architecture check that the engine never depends on tauri.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
start=$(date +%s)

if cargo tree --locked -p chief-engine -e normal 2>/dev/null | grep -q '^.*tauri'; then
  echo "architecture check failed: chief-engine depends on tauri" >&2
  exit 1
fi

cargo test --locked --workspace --no-fail-fast
echo "tests finished in $(( $(date +%s) - start ))s"
