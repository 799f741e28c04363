"""Stdlib-only re-statement of Dynamo's benchmarks/burstgpt_loadgen/convert.py pipeline
(spec-dynamo-benchmarks.md section 5), used by the tests as an independent oracle.

It uses Python's own `random` module (so the hash-block draws are CPython's, not ours) and the
rolling hasher of prefix_data_generator/hasher.py (ids by first appearance of
hash((parent_hash, hash(block_tuple))), root parent 0). pandas is replaced by csv + json:
to_json(orient="records", lines=True) writes compact objects, one per line, each ending in "\n".

usage: reference_convert.py INPUT OUTPUT [--model M] [--log-type L] [--skip-num-prompt N]
       [--num-prompt N] [--speed-ratio R] [--block-size B] [--num-hash-blocks H]
"""
import argparse
import csv
import json
import math
import random


class RollingHasher:
    def __init__(self):
        self.ids = {}

    def __call__(self, blocks):
        parent = 0
        out = []
        for block in blocks:
            key = hash((parent, hash(tuple(block))))
            if key not in self.ids:
                self.ids[key] = len(self.ids)
            out.append(self.ids[key])
            parent = key
        return out


def number(text):
    # pandas parses an all-integer column as int64 and anything else as float64
    try:
        return int(text)
    except ValueError:
        return float(text)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--model")
    p.add_argument("--log-type")
    p.add_argument("--skip-num-prompt", type=int, default=0)
    p.add_argument("--num-prompt", type=int)
    p.add_argument("--speed-ratio", type=float, default=1.0)
    p.add_argument("--block-size", type=int, default=128)
    p.add_argument("--num-hash-blocks", type=int, default=10000)
    a = p.parse_args()

    with open(a.input, newline="") as f:
        rows = list(csv.DictReader(f))
    if a.model is not None:
        rows = [r for r in rows if r["Model"] == a.model]
    if a.log_type is not None:
        rows = [r for r in rows if r["Log Type"] == a.log_type]
    if a.skip_num_prompt and a.skip_num_prompt > 0:
        rows = rows[a.skip_num_prompt:]
    if a.num_prompt is not None:
        rows = rows[: a.num_prompt]

    stamps = [number(r["Timestamp"]) for r in rows]
    if any(isinstance(s, float) for s in stamps):
        stamps = [float(s) for s in stamps]
    if a.speed_ratio != 1.0:
        stamps = [s / a.speed_ratio for s in stamps]
    if stamps:
        low = min(stamps)
        if low != 0:
            stamps = [s - float(low) for s in stamps]

    hasher = RollingHasher()
    with open(a.output, "w") as out:
        for idx, (row, ts) in enumerate(zip(rows, stamps)):
            isl = int(row["Request tokens"])
            osl = int(row["Response tokens"])
            random.seed(idx)
            blocks = [(random.randint(0, a.num_hash_blocks),) for _ in range(math.ceil(isl / a.block_size))]
            record = {"timestamp": int(ts * 1000), "input_length": isl, "output_length": osl, "hash_ids": hasher(blocks)}
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
