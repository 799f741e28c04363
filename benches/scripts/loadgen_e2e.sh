#!/usr/bin/env bash
# End-to-end client benchmark: the real `loadgen` binary against the `mocker` binary in another
# process, serving with fixed timing (a known TTFT, then tokens as fast as it can or at a fixed
# gap). Prints, per configuration, streamed tokens/s, TTFT p50/p99 against the configured TTFT,
# loadgen's own CPU per streamed chunk (from /proc, the whole loadgen process) and its
# client-saturation verdict. "Δ TTFT" is, per request, the client's TTFT minus the server's own
# (arrival to first token handed to HTTP, reported in each response): the client's measurement
# error plus loopback transfer.
#
# Usage: benches/scripts/loadgen_e2e.sh ["TTFT_MS ITL_MS CONCURRENCY OSL REQUESTS" ...]
# With BIN_DIR=<dir> set, runs the `loadgen` and `mocker` found there instead of building this
# tree's (e.g. a baseline build, to compare old and new side by side); PORT_BASE=<n> moves the
# ports used (default 18181).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -n "${BIN_DIR:-}" ]; then
  M=$BIN_DIR/mocker
  L=$BIN_DIR/loadgen
else
  cargo build --release -q -p servebench-loadgen -p servebench-mocker-bin
  M=target/release/mocker
  L=target/release/loadgen
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then
  configs=("10 0 12 256 2400" "10 0 16 512 1600" "20 5 16 100 320" "10 1 64 200 640")
fi
printf '%-22s %10s %9s %9s %10s %10s %8s %9s %9s %9s\n' "ttft itl conc osl reqs" "tokens/s" "TTFT p50" "TTFT p99" "ΔTTFT p50" "ΔTTFT p99" "ITL avg" "µs/chunk" "coalesced" "saturated"
port=${PORT_BASE:-18181}
for c in "${configs[@]}"; do
  read -r ttft itl conc osl reqs <<<"$c"
  port=$((port + 1))
  $M --port $port --timing-model fixed --fixed-ttft-ms "$ttft" --fixed-itl-ms "$itl" >"$OUT/mocker.log" 2>&1 &
  mp=$!
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  dir="$OUT/run_$port"
  $L --url "http://127.0.0.1:$port" --streaming --concurrency "$conc" --request-count "$reqs" \
    --osl "$osl" --ignore-eos --ui none --allow-client-saturation --artifact-dir "$dir" >"$OUT/lg.log" 2>&1 || true
  kill $mp 2>/dev/null; wait $mp 2>/dev/null || true
  python3 - "$dir/profile_export_aiperf.json" "$c" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1])); h = d["client_health"]
deltas = []
for line in open(os.path.join(os.path.dirname(sys.argv[1]), "profile_export.jsonl")):
    r = json.loads(line)
    c = r["metrics"].get("time_to_first_token", {}).get("value")
    s = r["metadata"].get("server_timing", {}).get("ttft_ms")
    if c is not None and s is not None and r["metadata"]["benchmark_phase"] == "profiling":
        deltas.append(c - s)
deltas.sort()
def pct(q):  # numpy-linear percentile
    if not deltas: return float("nan")
    k = q / 100 * (len(deltas) - 1); f = int(k); c = min(f + 1, len(deltas) - 1)
    return deltas[f] + (deltas[c] - deltas[f]) * (k - f)
print(f'{sys.argv[2]:<22} {d["output_token_throughput"]["avg"]:>10.0f} {d["time_to_first_token"]["p50"]:>9.3f} '
      f'{d["time_to_first_token"]["p99"]:>9.3f} {pct(50):>10.3f} {pct(99):>10.3f} {d["inter_token_latency"]["avg"]:>8.4f} '
      f'{h["process_cpu_us_per_content_chunk"]:>9.2f} {h["coalesced_read_fraction"]:>9.2f} {str(h["saturated"]):>9}')
PY
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
