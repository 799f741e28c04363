#!/usr/bin/env bash
# Side-by-side fidelity of servebench's mocker against NVIDIA Dynamo 1.6.1's mocker: the same
# loadgen workloads against each engine, one after the other in one run, printed as one table
# (workload, metric, Dynamo, ours at its defaults, ours with --nagle off). Not for CI: it needs
# Dynamo installed by ../shared/peers/dynamo/install.sh (PEERS defaults to $HOME/peers) and
# takes about 15 minutes.
#
# Usage: benches/scripts/fidelity.sh [OUT_DIR]
#   LOADGEN / MOCKER: the binaries (default target/release/{loadgen,mocker}; build them with
#   `cargo build --release -p servebench-loadgen -p servebench-mocker-bin`).
#   QUICK=1 runs fewer requests (a smoke check of the script, not a measurement).
#   ROWS=cached runs only the cached-prompt rows (one worker each; about 2 minutes); the table
#   then shows the other rows as missing.
#
# Workloads (speed-up 1, block size 16, Qwen3 tokenizer, 16384 KV blocks per worker):
#   cached-ISL: one prompt sent 12 times at concurrency 1 on one keep-alive connection; "cold" is
#     request 1, "cached" the median of requests 2-12 (issue 13 sent 6; a median of 5 moved by
#     10 % with one slow request of ~2 ms on either engine). Also over a fresh connection per request
#     (--connection-reuse-strategy never), which removes the delayed-ACK wait (see below).
#   c32: ISL 1000, OSL 200, concurrency 32 (TTFT p50/p90, ITL avg, output throughput), run C32_RUNS
#     times (2; QUICK=1: 1) of 640 requests after 64 warm-up ones, reported as the median of the
#     runs. With 320 requests after 32 warm-up ones its TTFT p50 fell at ~275 or ~331 ms from run
#     to run on either engine (the end of the start-up transient; docs/performance.md).
#   prefix-r: 2 workers, KV routing, ISL 2000 of which a share r is one of 5 shared prefixes,
#     OSL 50, concurrency 4 (TTFT p50), 480 requests: with 120 its p50 moved by up to 35 % between
#     runs on either engine (TTFTs fall in two modes ~8 ms apart and the p50 sits between them).
# Why "--nagle off": Dynamo's HTTP frontend leaves Nagle's algorithm on. On a keep-alive
# connection the first bytes of a response then wait for the client's delayed ACK of the previous
# response (up to ~40 ms on Linux), so back-to-back requests see TTFT >= ~45 ms whatever the
# engine does. `mocker` does the same by default with its simulated engine; the third column
# shows ours with TCP_NODELAY (`--nagle off`), the engine's timing without that floor.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
LOADGEN=${LOADGEN:-$here/target/release/loadgen}
MOCKER=${MOCKER:-$here/target/release/mocker}
PEERS=${PEERS:-$HOME/peers}
export PEERS
DYN=$here/../shared/peers/dynamo
MODEL_DIR=${MODEL_DIR:-$PEERS/dynamo/model}
for f in "$LOADGEN" "$MOCKER" "$DYN/start.sh" "$MODEL_DIR/tokenizer.json"; do
  [ -e "$f" ] || { echo "fidelity.sh: missing $f (see the header of this script)" >&2; exit 2; }
done
N_C32=640; N_PREFIX=480; C32_RUNS=${C32_RUNS:-2}
if [ "${QUICK:-0}" = 1 ]; then N_C32=64; N_PREFIX=24; C32_RUNS=1; fi
PORT=8000
ours_pid=""
cleanup() {
  [ -n "$ours_pid" ] && kill "$ours_pid" 2>/dev/null || true
  "$DYN/stop.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

lg() { # lg NAME ARGS... : one loadgen run into $out/<engine>/NAME
  local name=$1; shift
  "$LOADGEN" --url "http://127.0.0.1:$PORT" --model qwen3-mock --tokenizer "$MODEL_DIR" \
    --endpoint-type chat --streaming --no-server-metrics --allow-client-saturation \
    --max-error-rate 100 --artifact-dir "$out/$engine/$name" "$@" >"$out/$engine/$name.log" 2>&1 \
    || { echo "fidelity.sh: loadgen $name against $engine failed; see $out/$engine/$name.log" >&2; exit 1; }
}

workloads_one_worker() {
  local seed=10
  for isl in 1000 2000 8000 16000; do
    seed=$((seed + 1))
    for reuse in pooled never; do
      lg "cached_${isl}_$reuse" --isl "$isl" --osl 20 --extra-inputs max_tokens:20 \
        --extra-inputs ignore_eos:true --num-dataset-entries 1 --request-count 12 --concurrency 1 \
        --random-seed "$((seed + ${#reuse}))" --connection-reuse-strategy "$reuse"
    done
  done
  [ "${ROWS:-all}" = cached ] && return 0
  for k in $(seq "$C32_RUNS"); do
    lg "c32_$k" --isl 1000 --osl 200 --extra-inputs max_tokens:200 --extra-inputs ignore_eos:true \
      --concurrency 32 --request-count "$N_C32" --num-dataset-entries "$N_C32" \
      --warmup-request-count 64 --random-seed 7
  done
}

workloads_two_workers() {
  for r in 0.1 0.9; do
    local prefix=$(python3 -c "print(int(2000*$r))") synth=$(python3 -c "print(int(2000*(1-$r)))")
    lg "prefix_$r" --isl "$synth" --isl-stddev 0 --prefix-prompt-length "$prefix" \
      --num-prefix-prompts 5 --osl 50 --extra-inputs max_tokens:50 --extra-inputs ignore_eos:true \
      --concurrency 4 --request-count "$N_PREFIX" --num-dataset-entries "$N_PREFIX" \
      --dataset-sampling-strategy shuffle --random-seed 3
  done
}

start_ours() { # start_ours WORKERS [EXTRA...]
  local workers=$1; shift
  "$MOCKER" --port "$PORT" --block-size 16 --speedup-ratio 1 --tokenizer "$MODEL_DIR" \
    --model-name qwen3-mock --num-workers "$workers" --router-mode kv "$@" \
    >"$out/$engine.mocker.log" 2>&1 &
  ours_pid=$!
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "fidelity.sh: our mocker did not come up; see $out/$engine.mocker.log" >&2
  exit 1
}
stop_ours() { kill "$ours_pid"; wait "$ours_pid" 2>/dev/null || true; ours_pid=""; }

echo "fidelity.sh: results in $out (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
engine=dynamo; mkdir -p "$out/$engine"
SPEEDUP=1 NUM_MOCKERS=1 BLOCK_SIZE=16 DYN_LOG=warn "$DYN/start.sh" kv >"$out/dynamo1.start.log" 2>&1
workloads_one_worker
"$DYN/stop.sh" >/dev/null 2>&1
if [ "${ROWS:-all}" != cached ]; then
  SPEEDUP=1 NUM_MOCKERS=2 BLOCK_SIZE=16 DYN_LOG=warn "$DYN/start.sh" kv >"$out/dynamo2.start.log" 2>&1
  workloads_two_workers
  "$DYN/stop.sh" >/dev/null 2>&1
fi

for engine in ours ours_nodelay; do
  mkdir -p "$out/$engine"
  extra=()
  [ "$engine" = ours_nodelay ] && extra=(--nagle off)
  start_ours 1 "${extra[@]}"; workloads_one_worker; stop_ours
  if [ "${ROWS:-all}" != cached ]; then
    start_ours 2 "${extra[@]}"; workloads_two_workers; stop_ours
  fi
done
echo "fidelity.sh: done (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
python3 "$here/benches/scripts/fidelity_table.py" "$out"
