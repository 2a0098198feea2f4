#!/usr/bin/env bash
# Memory of the desktop app as a user runs it: the demo home with the embedding model
# on, the popup created and hidden, no other window. Prints RSS, PSS (shared pages
# divided among the processes that map them) and USS (pages of that process alone) of
# the app and each WebKit process, with the model loaded, then after the app unloaded
# it ([embed] unload_after_secs, shortened to UNLOAD seconds here), and the latency of
# free-text hotkey lookups: the first after the unload (it loads the model again) and
# the ones after it. The popup is closed after POPUP_UNLOAD (30) seconds hidden
# ([desktop] popup_unload_after_secs; POPUP_UNLOAD= keeps it) and measured closed too;
# then the app rests ([desktop] rest_when_idle; REST=0 keeps it up) and the resting
# process is measured, with its CPU over a minute.
# Not part of scripts/test.sh (a release build).
#
#   bash scripts/memory.sh                                  # builds the release app
#   CHIEF_DESKTOP_EXE=/usr/bin/chief-desktop bash scripts/memory.sh   # the installed one
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
. scripts/env.sh
UNLOAD="${UNLOAD:-20}"
POPUP_UNLOAD="${POPUP_UNLOAD-30}"
# REST=0: the app stays up when idle ([desktop] rest_when_idle = false).
REST="${REST:-1}"
if [ -z "${CHIEF_DESKTOP_EXE:-}" ]; then
  cargo build --locked --release -p chief-cli -p chief-desktop
  EXE="$CARGO_TARGET_DIR/release/chief-desktop"
  CLI="$CARGO_TARGET_DIR/release/chief"
else
  EXE="$CHIEF_DESKTOP_EXE"
  CLI="$(dirname "$EXE")/chief"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$CLI" demo --home "$WORK/home" -q
printf '\n[embed]\nunload_after_secs = %s\n' "$UNLOAD" >>"$WORK/home/chief.toml"
if [ -n "${POPUP_UNLOAD:-}" ]; then
  printf '\n[desktop]\npopup_unload_after_secs = %s\nrest_when_idle = %s\n' "$POPUP_UNLOAD" "$([ "$REST" = 1 ] && echo true || echo false)" >>"$WORK/home/chief.toml"
fi
echo "who is looking into the slow checkout deploys" >"$WORK/selection.txt"

if [ -z "${DISPLAY:-}" ]; then
  Xvfb :95 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 </dev/null &
  XVFB_PID=$!
  trap 'kill $XVFB_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
  export DISPLAY=:95
  for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
fi

cat >"$WORK/inside.sh" <<'INSIDE'
set -euo pipefail
CHIEF_HOME="$WORK/home" CHIEF_DESKTOP_IDENTIFIER=dev.chief.desktop.memory CHIEF_LOG=info \
  CHIEF_DESKTOP_REPORT="$WORK/report.jsonl" WEBKIT_DISABLE_COMPOSITING_MODE=1 \
  "$EXE" >/dev/null 2>"$WORK/app.log" </dev/null &
APP=$!
table() {
  echo "$1:"
  local tr=0 tp=0
  for p in $APP $(pgrep -P $APP); do
    read -r name rss pss uss < <(awk -v n="$(cat /proc/$p/comm)" '/^Rss:/{r=$2}/^Pss:/{s=$2}/^Private_Clean:/{c=$2}/^Private_Dirty:/{d=$2} END{print n, int(r/1024), int(s/1024), int((c+d)/1024)}' /proc/$p/smaps_rollup)
    printf '  %-18s RSS %4d MiB  PSS %4d MiB  USS %4d MiB\n' "$name" "$rss" "$pss" "$uss"
    tr=$((tr + rss)); tp=$((tp + pss))
  done
  printf '  %-18s RSS %4d MiB  PSS %4d MiB\n' "all together" "$tr" "$tp"
}
lookup() {
  xclip -selection primary -loops 1 -quiet "$WORK/selection.txt" >/dev/null 2>&1 &
  sleep 0.3
  local before; before=$(cat "$WORK/report.jsonl" 2>/dev/null | wc -l)
  xdotool mousemove 400 200 key ctrl+shift+o
  for _ in $(seq 100); do
    [ "$(cat "$WORK/report.jsonl" 2>/dev/null | wc -l)" -gt "$before" ] && break
    sleep 0.1
  done
  xdotool key Escape
  sleep 1
  tail -1 "$WORK/report.jsonl" | grep -o '"latency_ms":[0-9]*' | cut -d: -f2
}
for _ in $(seq 100); do grep -q "vector index loaded" "$WORK/app.log" 2>/dev/null && break; sleep 0.2; done
sleep 5
warm_first=$(lookup)
table "model loaded, popup hidden (after one lookup: ${warm_first} ms)"
for _ in $(seq $((UNLOAD * 3 + 30))); do grep -q "model unloaded" "$WORK/app.log" && break; sleep 1; done
grep -q "model unloaded" "$WORK/app.log" || { echo "the model was not unloaded after ${UNLOAD} s idle" >&2; exit 1; }
sleep 3
table "idle ${UNLOAD} s, model unloaded, popup hidden"
if [ -n "${POPUP_UNLOAD:-}" ]; then
  for _ in $(seq $((POPUP_UNLOAD * 3 + 30))); do grep -q "popup closed" "$WORK/app.log" && break; sleep 1; done
  sleep 3
  table "idle, model unloaded, popup closed after ${POPUP_UNLOAD} s hidden"
  if [ "$REST" = 1 ]; then
    for _ in $(seq $((POPUP_UNLOAD * 3 + 30))); do grep -q "resting: the tray" "$WORK/app.log" && break; sleep 1; done
    grep -q "resting: the tray" "$WORK/app.log" || { echo "the app did not rest" >&2; exit 1; }
    sleep 5
    table "resting (chief-desktop-rest: no window, no WebKit)"
    cpu0=$(awk '{print $14+$15}' /proc/$APP/stat); sleep 60; cpu1=$(awk '{print $14+$15}' /proc/$APP/stat)
    echo "resting CPU over 60 s: $(( cpu1 - cpu0 )) ticks of 100 per second = $(awk -v t=$(( cpu1 - cpu0 )) 'BEGIN{printf "%.2f", t/60}') %"
  fi
fi
cold=$(lookup)
warm=""
for _ in 1 2 3 4 5; do warm="$warm $(lookup)"; done
woke=""; [ -n "${POPUP_UNLOAD:-}" ] && [ "$REST" = 1 ] && woke=", waking the app from rest"
echo "free-text hotkey lookups: ${cold} ms the first after the unload (loads the model${POPUP_UNLOAD:+ and makes the popup again}${woke}), then${warm} ms"
kill $APP
wait $APP || true
INSIDE
WORK="$WORK" EXE="$EXE" UNLOAD="$UNLOAD" POPUP_UNLOAD="$POPUP_UNLOAD" REST="$REST" NO_AT_BRIDGE=1 dbus-run-session --config-file="$PWD/scripts/session-bus.conf" -- bash "$WORK/inside.sh"
