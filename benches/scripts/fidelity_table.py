#!/usr/bin/env python3
"""Prints the markdown table of benches/scripts/fidelity.sh from its output directory.

Each row: workload, metric, Dynamo, ours at its defaults, ours with --nagle off (TCP_NODELAY),
each of ours as a difference from Dynamo in percent, and whether the defaults are within 10 %. Values come from the runs' own exports (profile_export.jsonl for the
per-request TTFTs of the cached-prompt rows, profile_export_aiperf.json for the others).
"""
import json
import statistics
import sys
from pathlib import Path

ENGINES = ["dynamo", "ours", "ours_nodelay"]


def per_request_ttft(run: Path):
    values = []
    with open(run / "profile_export.jsonl") as f:
        for line in f:
            record = json.loads(line)
            if record.get("metadata", {}).get("benchmark_phase", "profiling") != "profiling":
                continue
            ttft = record.get("metrics", {}).get("time_to_first_token")
            if ttft is not None:
                values.append(ttft["value"])
    return values


def summary(run: Path, metric: str, stat: str):
    data = json.loads((run / "profile_export_aiperf.json").read_text())
    return data[metric][stat]


def rows(out: Path):
    for isl in (1000, 2000, 8000, 16000):
        for reuse in ("pooled", "never"):
            name = f"cached_{isl}_{reuse}"
            sends = len(per_request_ttft(out / "dynamo" / name)) if (out / "dynamo" / name).is_dir() else 0
            connection = "keep-alive" if reuse == "pooled" else "new connection each"
            label = f"ISL {isl}, same prompt x{sends}, c=1, {connection}"

            def cold(e, name=name):
                return per_request_ttft(out / e / name)[0]

            def cached(e, name=name):
                return statistics.median(per_request_ttft(out / e / name)[1:])

            yield label, "TTFT cold (ms)", cold
            yield label, f"TTFT cached, median of {max(sends - 1, 0)} (ms)", cached
    # The c=32 workload runs several times (c32_1, c32_2, ...; a single "c32" in older outputs);
    # each metric is the median over the runs.
    def c32_median(e, metric, stat):
        runs = sorted(p for p in (out / e).glob("c32*") if p.is_dir())
        if not runs:
            raise OSError(f"no c32 run under {out / e}")
        return statistics.median(summary(run, metric, stat) for run in runs)

    runs = len([p for p in (out / "dynamo").glob("c32*") if p.is_dir()])
    c32 = "ISL 1000, OSL 200, c=32" + (f", median of {runs} runs" if runs > 1 else "")
    yield c32, "TTFT p50 (ms)", lambda e: c32_median(e, "time_to_first_token", "p50")
    yield c32, "TTFT p90 (ms)", lambda e: c32_median(e, "time_to_first_token", "p90")
    yield c32, "ITL avg (ms)", lambda e: c32_median(e, "inter_token_latency", "avg")
    yield c32, "output tokens/s", lambda e: c32_median(e, "output_token_throughput", "avg")
    for r in ("0.1", "0.9"):
        label = f"2 workers KV, ISL 2000, prefix ratio {r}, c=4"
        yield label, "TTFT p50 (ms)", lambda e, r=r: summary(out / e / f"prefix_{r}", "time_to_first_token", "p50")


def main():
    out = Path(sys.argv[1])
    print(
        "| workload | metric | Dynamo 1.6.1 | ours | ours --nagle off | ours vs Dynamo "
        "| --nagle off vs Dynamo | ours within 10 % |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, metric, get in rows(out):
        try:
            d, o, n = (get(e) for e in ENGINES)
        except (OSError, KeyError, IndexError, ValueError) as e:
            print(f"| {label} | {metric} | missing: {e} | | | | | |")
            continue
        print(
            f"| {label} | {metric} | {d:.1f} | {o:.1f} | {n:.1f} | "
            f"{100 * (o - d) / d:+.0f}% | {100 * (n - d) / d:+.0f}% | "
            f"{'yes' if abs(o - d) <= 0.1 * d else '**no**'} |"
        )


if __name__ == "__main__":
    main()
