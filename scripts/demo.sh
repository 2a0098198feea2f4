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
