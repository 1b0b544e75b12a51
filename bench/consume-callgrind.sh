#!/usr/bin/env bash
# Instruction counts of one contender of bench/consume.ts on one shape under callgrind
# (deterministic, unlike times on a shared machine): start-up and the warm-up rounds are not
# counted. Usage: bash bench/consume-callgrind.sh <contender> [shape=3] [events=20000] [rounds=1] [warm=4]
# (shapes: 0 envelope ~250 B, 1 envelope ~4 KB, 2 token delta, 3 payload ~250 B, 4 payload
# token delta). CALLGRIND_KEEP=dir keeps the profile for callgrind_annotate.
set -euo pipefail
contender=${1:?bare, runstream, runstream-on, …}
shape=${2:-3}
events=${3:-20000}
rounds=${4:-1}
warm=${5:-4}
out=${CALLGRIND_KEEP:-$(mktemp -d)}
mkdir -p "$out"
cd "$(dirname "$0")/.."
BENCH_WAIT_SIGNAL=1 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/cg.$contender.$shape" \
  node --single-threaded --interpreted-frames-native-stack --perf-basic-prof ${NODE_FLAGS:---no-memory-reducer} --import tsx bench/consume.ts --only "$contender" \
  --shape "$shape" --events "$events" --rounds "$rounds" --warm "$warm" >"$out/stdout.$contender.$shape" 2>"$out/stderr.$contender.$shape" &
pid=$!
until grep -qs "^warm" "$out/stdout.$contender.$shape"; do
  if ! kill -0 "$pid" 2>/dev/null; then cat "$out/stderr.$contender.$shape" >&2; exit 1; fi
  sleep 1
done
callgrind_control -i on "$pid" >/dev/null 2>&1
kill -USR2 "$pid"
wait "$pid"
collected=$(grep -o 'Collected : [0-9]*' "$out/stderr.$contender.$shape" | grep -o '[0-9]*$')
echo "$contender shape=$shape events=$events rounds=$rounds instructions=$collected per-event=$((collected / (events * rounds)))"
if [ -n "${CALLGRIND_KEEP:-}" ]; then cp "/tmp/perf-$pid.map" "$out/perf.$contender.$shape.map"; else rm -rf "$out"; fi
rm -f "/tmp/perf-$pid.map"
# The mutator's share (all but the compiler and the GC, whose runs land in the window or not):
if [ -n "${CALLGRIND_KEEP:-}" ]; then
  python3 bench/lib/callgrind-jit.py "$out/cg.$contender.$shape" "$out/perf.$contender.$shape.map" 0
fi
