#!/usr/bin/env python3
"""TTFT modes of a run: split its requests into prefix-cache hits (more than half of the prompt
cached, from the server timings in profile_export.jsonl) and misses, and print the hit share,
each mode's TTFT p50, the client-over-server TTFT gap (time outside the server) and per worker
the queue and prefill medians. Used for docs/router-bench.md ("Why single runs went either way").

usage: ttft_modes.py RUN_DIR [RUN_DIR...]   (RUN_DIR holds profile_export.jsonl)
"""
import json
import statistics as st
import sys


def med(v):
    return st.median(v) if v else float("nan")


for d in sys.argv[1:]:
    rows = []
    with open(d + "/profile_export.jsonl") as f:
        for line in f:
            r = json.loads(line)
            if r["metadata"].get("benchmark_phase", "profiling") != "profiling":
                continue
            t = r["metadata"].get("server_timing", {})
            ttft = r["metrics"]["time_to_first_token"]["value"]
            isl = r["metrics"]["input_sequence_length"]["value"]
            rows.append((t.get("worker_id"), ttft, t.get("ttft_ms", 0.0), t.get("queue_ms", 0.0),
                         t.get("prefill_ms", 0.0), t.get("cached_tokens", 0) / max(isl, 1)))
    if not rows:
        print(f"{d}: no profiling records")
        continue
    hits = [r[1] for r in rows if r[5] > 0.5]
    misses = [r[1] for r in rows if r[5] <= 0.5]
    print(f"{d}: n={len(rows)} TTFT p50 {med([r[1] for r in rows]):.1f} ms | hit share "
          f"{len(hits) / len(rows):.2f}, TTFT p50 hits {med(hits):.1f} misses {med(misses):.1f} | "
          f"client-over-server p50 {med([r[1] - r[2] for r in rows]):.1f}")
    for w in sorted({r[0] for r in rows}, key=str):
        rw = [r for r in rows if r[0] == w]
        print(f"   worker {w}: n={len(rw)} TTFT p50 {med([r[1] for r in rw]):.1f} queue p50 "
              f"{med([r[3] for r in rw]):.1f} prefill p50 {med([r[4] for r in rw]):.1f} "
              f"cached share {st.mean([r[5] for r in rw]):.2f}")
