#!/usr/bin/env python3
"""tests/quality/check.py - runs the small quality section of bench/run for
sou and compares it with the committed baseline (bench/quality/baseline.json):

  - every query set where the baseline recall of sou is 1.0 must still be 1.0;
  - known-item MRR@10 must not fall more than 0.01 below the baseline.

Prints a table of current vs baseline; exits 1 on a regression.
--write-baseline stores the current figures as the new baseline instead.
"""
import argparse
import json
import os
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--bench", required=True)
ap.add_argument("--build-dir", required=True)
ap.add_argument("--docs", required=True)
ap.add_argument("--baseline", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--write-baseline", action="store_true")
args = ap.parse_args()

subprocess.run([sys.executable, args.bench, "--size", "small", "--quality-only", "--no-peers",
                "--no-build", "--build-dir", args.build_dir, "--docs", args.docs,
                "--out", args.out], check=True)
rep = json.load(open(os.path.join(args.out, "report.json")))
sou = rep["quality"]["table"]["sou"]
current = {"recall": {k: v["recall"] for k, v in sou.items() if "recall" in v},
           "mrr@10": sou["known_item"]["mrr@10"],
           "success@10": sou["known_item"]["success@10"],
           "sets": rep["quality"]["sets"],
           "hashes": rep["quality"]["hashes"]["sou"]}
if args.write_baseline:
    json.dump(current, open(args.baseline, "w"), indent=1, sort_keys=True)
    print(f"wrote {args.baseline}")
    sys.exit(0)

base = json.load(open(args.baseline))
bad = []
print(f"{'query set':<12} {'baseline':>9} {'now':>9}")
for k, b in sorted(base["recall"].items()):
    now = current["recall"].get(k)
    print(f"{k:<12} {b:>9.4f} {now if now is None else format(now, '9.4f'):>9}")
    if b == 1.0 and now != 1.0:
        bad.append(f"recall of {k} fell from 1.0 to {now}")
print(f"{'MRR@10':<12} {base['mrr@10']:>9.4f} {current['mrr@10']:>9.4f}")
if current["mrr@10"] < base["mrr@10"] - 0.01:
    bad.append(f"MRR@10 fell from {base['mrr@10']:.4f} to {current['mrr@10']:.4f} (> 0.01)")
for k, h in sorted(base.get("hashes", {}).items()):
    if current["hashes"].get(k) != h:
        print(f"note: result lists of {k} changed (hash {h} -> {current['hashes'].get(k)})")
if bad:
    print("QUALITY REGRESSION:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("quality: no regression")
