#!/usr/bin/env bash
# Long fuzz runs of the proptest fuzz targets (the short versions run in CI).
#
#   benches/scripts/fuzz_long.sh SECONDS PACKAGE TEST_FILTER [TEST_FILTER ...]
#   benches/scripts/fuzz_long.sh 600 servebench-trace-formats fuzz::fuzz_mooncake fuzz::fuzz_azure
#
# Each target runs for at least SECONDS wall-clock seconds: the test binary (test profile, so
# overflow checks stay on) is run again and again with PROPTEST_CASES=$BATCH cases and a fresh
# random seed each time, until the time is up. One line per target: cases, batches, seconds,
# result. A failing batch stops that target and prints proptest's minimal failing input.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=$1
package=$2
shift 2
batch=${BATCH:-20000}

binary=$(cargo test -p "$package" --test it --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "it":
        print(m["executable"])')
echo "binary: $binary (load average: $(cut -d' ' -f1-3 /proc/loadavg))"

for filter in "$@"; do
    start=$(date +%s)
    cases=0
    batches=0
    result=pass
    while (($(date +%s) - start < seconds)); do
        seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
        if ! PROPTEST_CASES=$batch PROPTEST_RNG_SEED=$seed "$binary" "$filter" --exact --test-threads 1 \
            >"/tmp/fuzz_long_$$.log" 2>&1; then
            result="FAIL (seed $seed, log /tmp/fuzz_long_$$.log)"
            break
        fi
        if ! grep -q "1 passed" "/tmp/fuzz_long_$$.log"; then
            result="NO TEST matched $filter"
            break
        fi
        cases=$((cases + batch))
        batches=$((batches + 1))
    done
    echo "$filter: $cases cases in $batches batches, $(($(date +%s) - start)) s, $result"
done
