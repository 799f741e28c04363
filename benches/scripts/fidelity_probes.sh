#!/usr/bin/env bash
# Probes behind the c=32 TTFT-tail row of benches/scripts/fidelity.sh (issue 13 §4): small
# workloads that isolate one scheduling rule each, run against Dynamo 1.6.1's mocker and ours
# (1 worker, KV router, block 16, Qwen3 tokenizer), one engine after the other. Not for CI: it
# needs Dynamo installed (../shared/peers/dynamo/install.sh; PEERS defaults to $HOME/peers), the
# release loadgen and mocker, and takes about 6 minutes. Run it under the Dynamo lock
# (`flock /tmp/dynamo.lock benches/scripts/fidelity_probes.sh OUT`).
#
# Usage: benches/scripts/fidelity_probes.sh [OUT_DIR]   (LOADGEN / MOCKER / DYN as in fidelity.sh;
#   DYN defaults to <repo>/../shared/peers/dynamo; REPEAT=N runs the c=32 workload N times, 3)
#
# Probes (speed-up 1 unless said):
#   burst: 32 prompts of 1000 tokens (OSL 20) sent at once to an idle engine: the step sequence of
#     prefills (groups of first tokens per step) shows admission order, the token budget, chunking
#     and the step cost.
#   cold / cold_fastdec: 8 cold prompts at c=1 (ISL 1000 and 4000, OSL 2, a new connection each),
#     with and without --decode-speedup-ratio 1000: whether the first token also pays a decode pass.
#   c32_K: fidelity.sh's c=32 workload (ISL 1000, OSL 200, 320 requests), REPEAT times: the spread
#     of its TTFT p50/p90 from run to run.
#   c32_fast: the same at --speedup-ratio 100, where engine time is negligible: the serving path's
#     own latency and throughput under that load.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
LOADGEN=${LOADGEN:-$here/target/release/loadgen}
MOCKER=${MOCKER:-$here/target/release/mocker}
PEERS=${PEERS:-$HOME/peers}
export PEERS
DYN=${DYN:-$here/../shared/peers/dynamo}
MODEL_DIR=${MODEL_DIR:-$PEERS/dynamo/model}
REPEAT=${REPEAT:-3}
for f in "$LOADGEN" "$MOCKER" "$DYN/start.sh" "$MODEL_DIR/tokenizer.json"; do
  [ -e "$f" ] || { echo "fidelity_probes.sh: missing $f (see the header of this script)" >&2; exit 2; }
done
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
    --max-error-rate 100 --extra-inputs ignore_eos:true --artifact-dir "$out/$engine/$name" "$@" \
    >"$out/$engine/$name.log" 2>&1 \
    || { echo "fidelity_probes.sh: loadgen $name against $engine failed; see $out/$engine/$name.log" >&2; exit 1; }
}
C32=(--isl 1000 --osl 200 --extra-inputs max_tokens:200 --concurrency 32 --request-count 320
  --num-dataset-entries 320 --warmup-request-count 32 --random-seed 7)
cold() { # cold SUFFIX
  for isl in 1000 4000; do
    lg "cold${1}_$isl" --isl "$isl" --osl 2 --extra-inputs max_tokens:2 --concurrency 1 \
      --request-count 8 --num-dataset-entries 8 --random-seed "$((isl + 3))" \
      --connection-reuse-strategy never
  done
}
start() { # start SPEEDUP [MOCKER ARGS...]
  local speedup=$1; shift
  if [ "$engine" = dynamo ]; then
    EXTRA_MOCKER_ARGS="$*" SPEEDUP=$speedup NUM_MOCKERS=1 BLOCK_SIZE=16 DYN_LOG=warn \
      "$DYN/start.sh" kv >"$out/dynamo.start.log" 2>&1
    return
  fi
  "$MOCKER" --port "$PORT" --block-size 16 --speedup-ratio "$speedup" --tokenizer "$MODEL_DIR" \
    --model-name qwen3-mock --num-workers 1 --router-mode kv "$@" >"$out/ours.mocker.log" 2>&1 &
  ours_pid=$!
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "fidelity_probes.sh: our mocker did not come up; see $out/ours.mocker.log" >&2
  exit 1
}
stop() {
  if [ "$engine" = dynamo ]; then "$DYN/stop.sh" >/dev/null 2>&1; return; fi
  kill "$ours_pid"; wait "$ours_pid" 2>/dev/null || true; ours_pid=""
}

echo "fidelity_probes.sh: results in $out (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
for engine in dynamo ours; do
  mkdir -p "$out/$engine"
  start 1
  lg burst --isl 1000 --osl 20 --extra-inputs max_tokens:20 --concurrency 32 --request-count 32 \
    --num-dataset-entries 32 --random-seed 5
  cold ""
  for k in $(seq "$REPEAT"); do lg "c32_$k" "${C32[@]}"; done
  stop
  start 1 --decode-speedup-ratio 1000; cold _fastdec; stop
  start 100; lg c32_fast "${C32[@]}"; stop
  echo "fidelity_probes.sh: $engine done (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done
python3 "$here/benches/scripts/fidelity_probes.py" "$out"
