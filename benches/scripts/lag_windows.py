#!/usr/bin/env python3
"""Send lag of a fixed-schedule Mooncake replay per window of replay time, from loadgen's exports.

Usage: benches/scripts/lag_windows.py TRACE.jsonl SPEEDUP PROFILE_EXPORT.jsonl [WINDOW_S]

Request k of the schedule (metadata.session_num, entries in timestamp order as loadgen's fixed
schedule keeps them) is due at timestamp_k / SPEEDUP after the start. Lags are anchored at the
least-late request, as AIPerf's replay_sched_lag_* are: "timer" from credit_issued_ns (release by
the timer thread), "send" from request_start_ns (the write). Prints p50/p99/max in ms per window.
"""
import json
import sys


def pct(values, q):
    values = sorted(values)
    rank = max(1, -(-q * len(values) // 100))
    return values[min(len(values), int(rank)) - 1]


def main():
    trace, speedup, export = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    window = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
    stamps = [json.loads(line)["timestamp"] for line in open(trace)]
    order = sorted(range(len(stamps)), key=lambda i: stamps[i])
    offsets = [stamps[i] / speedup * 1e6 for i in order]  # ms timestamps -> ns
    rows = []
    for line in open(export):
        m = json.loads(line)["metadata"]
        if m.get("benchmark_phase") != "profiling":
            continue
        off = offsets[m["session_num"]]
        rows.append((off, m["credit_issued_ns"] - off, m["request_start_ns"] - off))
    base_t = min(r[1] for r in rows)
    base_s = min(r[2] for r in rows)
    buckets = {}
    for off, t, s in rows:
        buckets.setdefault(int(off // (window * 1e9)), []).append(((t - base_t) / 1e6, (s - base_s) / 1e6))
    print(f"{len(rows)} requests")
    for k in sorted(buckets):
        v = buckets[k]
        timer = [x[0] for x in v]
        send = [x[1] for x in v]
        print(f"{k * window:>6.0f}-{(k + 1) * window:<6.0f}s n {len(v):>5}  timer p50 {pct(timer, 50):7.3f} "
              f"p99 {pct(timer, 99):7.3f} max {max(timer):7.3f}  send p50 {pct(send, 50):7.3f} "
              f"p99 {pct(send, 99):7.3f} max {max(send):7.3f}")


if __name__ == "__main__":
    main()
