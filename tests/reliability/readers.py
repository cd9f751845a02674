#!/usr/bin/env python3
"""readers.py - readers during writes: sou-search batch queries in a loop
while sou-index commits into the same index.

usage: readers.py SOU_INDEX SOU_SEARCH WORKDIR [--sanitized]

The writer adds sources of exactly two passages each, both containing the
word "readerpair", committing after every source (--commit-passages 2),
over several sou-index runs. So every committed state has an EVEN count of
"readerpair" passages between 0 and 2 * sources; a reader that saw an
uncommitted or half-committed state would see an odd count. A word of the
base corpus has a constant count. Checked: no query fails, every count is
one a commit produced, counts never go down within one reader process.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "corpus", "sample")

RUNS, FILES_PER_RUN = 4, 10
QUERIES = ["readerpair", "网络安全"] * 25


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sou_index")
    ap.add_argument("sou_search")
    ap.add_argument("workdir")
    ap.add_argument("--sanitized", action="store_true")
    args = ap.parse_args()
    wd = os.path.abspath(args.workdir)
    relib.rmtree(wd)
    os.makedirs(wd)
    idx = os.path.join(wd, "idx")
    chk = relib.Checker("readers")
    r = relib.run([args.sou_index, "--quiet", "--index", idx, SAMPLE], timeout=120)
    chk.check(r.rc == 0, "base index: %s %s" % (r.describe(), r.text()))
    base = relib.run([args.sou_search, "--index", idx, "--count", "网络安全"], timeout=60)
    base_count = int(base.out.strip() or -1)
    chk.check(base_count > 0, "base count of 网络安全 is %r" % base.out)

    for run in range(RUNS):
        d = os.path.join(wd, "run%d" % run)
        os.makedirs(d)
        for i in range(FILES_PER_RUN):
            with open(os.path.join(d, "r%d.txt" % i), "w") as f:
                f.write("readerpair alpha%d%d first passage.\n\n"
                        "readerpair beta%d%d second passage.\n" % (run, i, run, i))

    writer_done = threading.Event()
    writer_errors = []

    def writer():
        try:
            for run in range(RUNS):
                w = relib.run([args.sou_index, "--quiet", "--commit-passages", "2",
                               "--index", idx, os.path.join(wd, "run%d" % run)],
                              timeout=300)
                if w.rc != 0:
                    writer_errors.append("writer run %d: %s %s" % (run, w.describe(), w.text()))
        finally:
            writer_done.set()

    t = threading.Thread(target=writer)
    t.start()
    batch = "".join(q + "\n" for q in QUERIES).encode()
    seen = set()
    answers = batches = 0
    while True:
        last = writer_done.is_set()   # one more round after the writer ends
        s = relib.run([args.sou_search, "--index", idx, "--json", "--count"],
                      stdin_bytes=batch, timeout=120)
        batches += 1
        ok = chk.check(s.rc == 0, "batch %d: sou-search %s: %s" % (batches, s.describe(),
                                                                  s.text()[-300:]))
        prev = -1
        lines = [json.loads(x) for x in s.out.decode().splitlines() if x.strip()] if ok else []
        chk.check(len(lines) == len(QUERIES) or not ok,
                  "batch %d: %d answers for %d queries" % (batches, len(lines), len(QUERIES)))
        for q, a in zip(QUERIES, lines):
            answers += 1
            chk.check("error" not in a, "batch %d: %s failed: %s" % (batches, q, a.get("error")))
            c = a.get("count", -1)
            if q == "readerpair":
                chk.check(c % 2 == 0 and 0 <= c <= 2 * RUNS * FILES_PER_RUN,
                          "batch %d: readerpair count %d is no committed state" % (batches, c))
                chk.check(c >= prev, "batch %d: count went down %d -> %d" % (batches, prev, c))
                prev = c
                seen.add(c)
            else:
                chk.check(c == base_count, "batch %d: 网络安全 count %d, always %d"
                          % (batches, c, base_count))
        if last:
            break
    t.join()
    for e in writer_errors:
        chk.check(False, e)
    final = max(seen) if seen else -1
    chk.check(final == 2 * RUNS * FILES_PER_RUN, "final count %d, want %d"
              % (final, 2 * RUNS * FILES_PER_RUN))
    print("readers: %d batches, %d answers, %d distinct committed states seen: %s"
          % (batches, answers, len(seen), sorted(seen)))
    chk.check(len(seen) >= 3, "readers saw only %d states: the test did not overlap"
              % len(seen))
    relib.rmtree(wd)
    chk.finish()


if __name__ == "__main__":
    main()
