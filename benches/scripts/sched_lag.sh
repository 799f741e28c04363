#!/usr/bin/env bash
# Send-schedule lag of the real `loadgen` binary against the `mocker` binary in another process:
# an open loop at RATE req/s (Poisson) and a fixed-schedule replay of the real Mooncake trace
# compressed SPEEDUP times. Each workload runs under every priority in PRIOS ("plain", "nice" =
# nice -n -10, "chrt" = SCHED_FIFO), applied to both the loadgen and the mocker process (a
# real-time client next to a time-shared server starves the server on 2 cores); under chrt loadgen
# gets priority 60 and the mocker 50, so the mocker's work (tokenizing 12k-token prompts) never
# holds up a due send (equal FIFO priorities do not pre-empt each other).
#
# Printed per run (all in ms, from `client_health` and `replay_sched_lag_*` of
# profile_export_aiperf.json): the 1-minute load average before and after the run, how many
# requests were sent, and where the lag comes from:
#   timer    = release by the timer thread − due time (thread wake-up)
#   dispatch = request task starts on the client runtime − release (hand-off to the runtime)
#   connect  = request written − task start (connection checkout or dial, request preparation)
#   send     = request written − due time (the whole lag; p50/p90/p99/max)
#   aiperf99 = AIPerf's replay_sched_lag_p99 (send lag minus the run's smallest send lag)
#
# Usage: benches/scripts/sched_lag.sh [poisson|trace|all]
# Environment: TRACE (the Mooncake trace; default the shared one, relative to the repo root),
# RATE (5000), REQUESTS (25000), SPEEDUP (10), TRACE_END_S (trace seconds to replay,
# empty = the whole trace: ~354 s at 10x), PRIOS ("plain nice chrt"), BIN_DIR (use the loadgen
# and mocker found there instead of building this tree's), PORT (18281).
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
if [ -n "${BIN_DIR:-}" ]; then
  M=$BIN_DIR/mocker
  L=$BIN_DIR/loadgen
else
  cargo build --release -q -p servebench-loadgen -p servebench-mocker-bin
  M=target/release/mocker
  L=target/release/loadgen
fi
TRACE=${TRACE:-../shared/data/traces/mooncake-fast25/conversation_trace.jsonl}
RATE=${RATE:-5000}
REQUESTS=${REQUESTS:-25000}
SPEEDUP=${SPEEDUP:-10}
PRIOS=${PRIOS:-plain nice chrt}
port=${PORT:-18281}
OUT=$(mktemp -d)
mp=
trap '[ -n "$mp" ] && { kill "$mp" 2>/dev/null; wait "$mp" 2>/dev/null; }; rm -rf "$OUT"' EXIT

start_mocker() {
  [ -n "$mp" ] && { kill "$mp" 2>/dev/null; wait "$mp" 2>/dev/null || true; }
  port=$((port + 1))
  "$@" "$M" --port "$port" --timing-model fixed --fixed-ttft-ms 1 --fixed-itl-ms 0 >"$OUT/mocker.log" 2>&1 &
  mp=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "mocker did not start"; cat "$OUT/mocker.log"; exit 1
}

load1() { cut -d' ' -f1 /proc/loadavg; }

printf '%-28s %-5s %11s %7s %7s %7s %7s %7s %7s %7s %7s %7s %8s\n' workload prio "load b/a" sent \
  "timer99" "disp99" "conn99" "send50" "send90" "send99" "sendmax" "aiperf99" "wall s"
run() {
  local name=$1 prio=$2
  shift 2
  local pre=()
  case $prio in
    plain) ;;
    nice) pre=(nice -n -10) ;;
    chrt) pre=(chrt -f 60) ;;
  esac
  local dir="$OUT/$name-$prio" before after t0 t1
  before=$(load1)
  t0=$(date +%s.%N)
  "${pre[@]}" "$L" --url "http://127.0.0.1:$port" --ui none --allow-client-saturation \
    --artifact-dir "$dir" "$@" >"$OUT/lg.log" 2>&1 || { echo "loadgen failed:"; tail -5 "$OUT/lg.log"; return; }
  t1=$(date +%s.%N)
  after=$(load1)
  python3 - "$dir/profile_export_aiperf.json" "$name" "$prio" "$before/$after" "$t0" "$t1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d["client_health"]
def p(k, q):
    v = h.get(k) or {}
    x = v.get(q)
    return "-" if x is None else f"{x:.3f}"
a = d.get("replay_sched_lag_p99", {}).get("avg")
sent = (h.get("send_lag") or {}).get("count", 0)
print(f'{sys.argv[2]:<28} {sys.argv[3]:<5} {sys.argv[4]:>11} {sent:>7} {p("schedule_lag","p99"):>7} '
      f'{p("dispatch_lag","p99"):>7} {p("connect_lag","p99"):>7} {p("send_lag","p50"):>7} '
      f'{p("send_lag","p90"):>7} {p("send_lag","p99"):>7} {p("send_lag","max"):>7} '
      f'{"-" if a is None else f"{a:.3f}":>8} {float(sys.argv[6]) - float(sys.argv[5]):>8.1f}')
PY
}

for prio in $PRIOS; do
  case $prio in
    plain) start_mocker ;;
    nice) start_mocker nice -n -10 ;;
    chrt) start_mocker chrt -f 50 ;;
  esac
  if [ "$what" = poisson ] || [ "$what" = all ]; then
    run "poisson ${RATE}/s" "$prio" --request-rate "$RATE" --request-rate-mode poisson \
      --request-count "$REQUESTS" --isl 32 --osl 4 --random-seed 1
  fi
  if [ "$what" = trace ] || [ "$what" = all ]; then
    end=()
    [ -n "${TRACE_END_S:-}" ] && end=(--fixed-schedule-end-offset "$((TRACE_END_S * 1000))")
    run "mooncake x${SPEEDUP}${TRACE_END_S:+ (${TRACE_END_S}s)}" "$prio" --input-file "$TRACE" \
      --custom-dataset-type mooncake_trace --fixed-schedule-speedup "$SPEEDUP" \
      --fixed-schedule-auto-offset --random-seed 1 "${end[@]}"
  fi
done
