#!/usr/bin/env bash
# Old-versus-new timing on a shared, noisy machine: runs the same command with a baseline build's
# binary and the current build's binary alternately (old, new, old, new, ...) so that both see
# the same load, and prints one line per run (wall, user, sys, task-clock CPU, max RSS, load
# average) and a per-side median.
#
# Usage: benches/scripts/ab_time.sh OLD_DIR NEW_DIR ROUNDS BIN [ARGS...]
#   OLD_DIR / NEW_DIR: directories holding the release binaries (e.g. a worktree of the old commit's
#   target/release and this tree's target/release). BIN is the binary name. In ARGS, the text
#   {side} is replaced by "old" or "new" (for separate output paths).
# Example:
#   benches/scripts/ab_time.sh ../baseline/target/release target/release 3 \
#     datagen analyze --input-file ../shared/data/traces/mooncake-fast25/conversation_trace.jsonl
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,14p' "$0"; exit 2; }
old_dir=$1 new_dir=$2 rounds=$3 bin=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-4s %7s %7s %7s %10s %9s  %s\n' side wall_s user_s sys_s cpu_ms rss_kb "load avg"
for i in $(seq "$rounds"); do
  for side in old new; do
    dir=$old_dir
    [ "$side" = new ] && dir=$new_dir
    args=()
    for a in "$@"; do args+=("${a//\{side\}/$side}"); done
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    cpu=""
    if command -v perf >/dev/null 2>&1; then
      perf stat -x, -e task-clock -o "$tmp/perf" -- /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" \
        "$dir/$bin" "${args[@]}" >"$tmp/out.$side.$i" 2>&1 || echo "($side run $i failed: see below)"
      cpu=$(awk -F, '/task-clock/ {printf "%.1f", $1}' "$tmp/perf")
    else
      /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$dir/$bin" "${args[@]}" >"$tmp/out.$side.$i" 2>&1 \
        || echo "($side run $i failed: see below)"
    fi
    read -r wall user sys rss < <(tail -1 "$tmp/time")
    printf '%-4s %7s %7s %7s %10s %9s  %s\n' "$side" "$wall" "$user" "$sys" "${cpu:--}" "$rss" "$load" | tee -a "$tmp/rows"
  done
done
echo "medians:"
for side in old new; do
  awk -v s="$side" '$1 == s' "$tmp/rows" | python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin]
col = lambda i: statistics.median(float(r[i]) for r in rows if r[i] != "-") if any(r[i] != "-" for r in rows) else float("nan")
print(f"{sys.argv[1]:<4} wall {col(1):.3f} s  user {col(2):.2f} s  sys {col(3):.2f} s  cpu {col(4):.1f} ms  rss {col(5):.0f} KB")
' "$side"
done
