#!/usr/bin/env python3
"""Summarises benches/scripts/fidelity_probes.sh's output directory, one line per probe and engine.

burst: the first-token times grouped by engine step (a gap of more than 20 ms starts a new
group), as "size@median ms"; cold: median TTFT of the 8 requests; c32_K and c32_fast: TTFT p50,
p90 and mean over the profiling requests, and the output token throughput.
"""
import json
import statistics
import sys
from pathlib import Path


def ttfts(run: Path):
    values = []
    with open(run / "profile_export.jsonl") as f:
        for line in f:
            record = json.loads(line)
            if record.get("metadata", {}).get("benchmark_phase", "profiling") != "profiling":
                continue
            ttft = record.get("metrics", {}).get("time_to_first_token")
            if ttft is not None:
                values.append(ttft["value"])
    return sorted(values)


def quantile(values, q):
    return values[min(len(values) - 1, int(q * len(values)))]


def groups(values):
    out = [[values[0]]] if values else []
    for v in values[1:]:
        if v - out[-1][-1] > 20.0:
            out.append([v])
        else:
            out[-1].append(v)
    return " ".join(f"{len(g)}@{statistics.median(g):.0f}" for g in out)


def main(out: Path):
    for engine in ("dynamo", "ours"):
        base = out / engine
        if not base.is_dir():
            continue
        print(f"{engine} burst (first tokens per step, size@ms): {groups(ttfts(base / 'burst'))}")
        for suffix in ("", "_fastdec"):
            cells = [f"ISL {isl} {statistics.median(ttfts(base / f'cold{suffix}_{isl}')):.1f} ms"
                     for isl in (1000, 4000)]
            label = "cold, decode speed-up 1000" if suffix else "cold"
            print(f"{engine} {label} (median TTFT): {', '.join(cells)}")
        runs = sorted(p for p in base.glob("c32_*") if p.is_dir())
        for run in runs:
            t = ttfts(run)
            summary = json.loads((run / "profile_export_aiperf.json").read_text())
            tput = summary["output_token_throughput"]["avg"]
            print(f"{engine} {run.name}: TTFT p50 {quantile(t, 0.5):.0f} p90 {quantile(t, 0.9):.0f} "
                  f"mean {statistics.mean(t):.0f} ms, {tput:.0f} output tokens/s")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
