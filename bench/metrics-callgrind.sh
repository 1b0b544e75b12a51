#!/usr/bin/env bash
# Instruction counts of bench/metrics.ts's measured rounds under callgrind (deterministic, unlike
# times on a shared machine): start-up and the warm-up round are not counted.
# Usage: bash bench/metrics-callgrind.sh off|hooks [rounds=2] [clients=200] [events=1000]
# RUNSTREAM_SRC=/path/to/src measures another checkout's source.
set -euo pipefail
mode=${1:?off or hooks}
rounds=${2:-2}
clients=${3:-200}
events=${4:-1000}
out=$(mktemp -d)
cd "$(dirname "$0")/.."
BENCH_WAIT_SIGNAL=1 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/cg" \
  node --single-threaded --import tsx bench/metrics.ts --mode "$mode" --rounds "$rounds" \
  --clients "$clients" --events "$events" >"$out/stdout" 2>"$out/stderr" &
pid=$!
until grep -qs '^warm' "$out/stdout"; do
  if ! kill -0 "$pid" 2>/dev/null; then cat "$out/stderr" >&2; exit 1; fi
  sleep 1
done
callgrind_control -i on "$pid" >/dev/null 2>&1
kill -USR2 "$pid"
wait "$pid"
echo "$mode rounds=$rounds clients=$clients events=$events $(grep -o 'Collected : [0-9]*' "$out/stderr") $(tail -1 "$out/stdout")"
rm -rf "$out"
