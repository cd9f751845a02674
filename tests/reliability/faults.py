#!/usr/bin/env python3
"""faults.py - faults while writing: kill -9 of sou-index with --shards N
and with --compact, a full disk (RLIMIT_FSIZE, and a small tmpfs when this
machine lets us mount one), and a read-only index directory.

usage: faults.py SOU_INDEX SOU_SEARCH SOU_REL_DUMP WORKDIR [--sanitized]

Invariants checked after every fault: the index opens, every source in it
has all of its passages or none (commits fall between sources), the last
committed sources are all there, and re-running the same command gives
exactly the index of a clean run (sou_rel_dump output compared).
(The default-layout kill trials are tests/indexer's; these extend them.)
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "corpus",
                      "sample", "000_d490c0635e062405.txt")


def make_corpus(path, nfiles, tag):
    relib.rmtree(path)
    os.makedirs(path)
    with open(SAMPLE, "rb") as f:
        text = f.read()
    for i in range(nfiles):
        sub = os.path.join(path, "d%d" % (i % 5))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "%s%04d.txt" % (tag, i)), "wb") as f:
            f.write(b"Fault document %d, token %s%dz.\n\n" % (i, tag.encode(), i) + text)


def dump(args, idx):
    r = relib.run([args.dump, idx], timeout=60)
    return r.rc, r.out.decode("utf-8", "replace").splitlines(), r.text()


def per_source(lines):
    counts = {}
    for ln in lines:
        src = ln.split("\t", 1)[0]
        counts[src] = counts.get(src, 0) + 1
    return counts


def check_whole_sources(chk, label, lines, ref_counts):
    got = per_source(lines)
    for src, n in got.items():
        chk.check(ref_counts.get(src) == n, "%s: %s has %d of %s passages"
                  % (label, src, n, ref_counts.get(src)))
    return got


def kill_trials(args, chk, report):
    corpus = os.path.join(args.workdir, "kcorpus")
    make_corpus(corpus, 40, "k")
    rnd = random.Random(20240611)
    for mode, extra, trials in (("--shards 3", ["--shards", "3", "--no-compact"], 8),
                                ("--compact", ["--compact"], 8)):
        ref = os.path.join(args.workdir, "kref")
        relib.rmtree(ref)
        cmd = [args.sou_index, "--quiet", "--commit-passages", "60"] + extra
        t0 = time.monotonic()
        r = relib.run(cmd + ["--index", ref, corpus], timeout=300)
        clean = time.monotonic() - t0
        chk.check(r.rc == 0, "%s: clean run %s: %s" % (mode, r.describe(), r.text()))
        rc, ref_lines, _ = dump(args, ref)
        ref_counts = per_source(ref_lines)
        partial = mid_compact = compacted = 0
        for trial in range(trials):
            idx = os.path.join(args.workdir, "kidx")
            relib.rmtree(idx)
            lo = 0.5 if mode == "--compact" else 0.0   # aim at the compaction too
            delay = clean * rnd.uniform(lo, 1.05)
            p = subprocess.Popen(cmd + ["--index", idx, corpus],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            p.wait()
            label = "%s trial %d (kill at %.2f s of %.2f)" % (mode, trial, delay, clean)
            stub = os.path.join(idx, "sou.stub")
            if mode == "--compact" and os.path.exists(stub):
                with open(stub) as f:
                    listed = f.read()
                dirs = [d for d in os.listdir(idx) if d.startswith("compact-")]
                if any(d not in listed for d in dirs):
                    mid_compact += 1      # a half-written compact database
                elif "compact-" in listed:
                    compacted += 1
            if os.path.exists(stub):
                rc, lines, err = dump(args, idx)
                chk.check(rc == 0, "%s: index does not open: %s" % (label, err))
                got = check_whole_sources(chk, label, lines, ref_counts)
                if 0 < len(got) < len(ref_counts):
                    partial += 1
            r = relib.run(cmd + ["--index", idx, corpus], timeout=300)
            chk.check(r.rc == 0, "%s: re-run %s: %s" % (label, r.describe(), r.text()))
            rc, lines, _ = dump(args, idx)
            chk.check(lines == ref_lines, "%s: re-run gives %d passages, clean run %d"
                      % (label, len(lines), len(ref_lines)))
        report.append("kill -9 %s: %d trials, %d left a partial index, clean run %.1f s, "
                      "%d passages" % (mode, trials, partial, clean, len(ref_lines)))
        if mode == "--compact":
            report[-1] += ("; %d killed during compaction, %d after it"
                           % (mid_compact, compacted))
        print(report[-1], flush=True)
    relib.rmtree(os.path.join(args.workdir, "kidx"))
    relib.rmtree(os.path.join(args.workdir, "kref"))


def largest_file(d):
    m = 0
    for root, _, files in os.walk(d):
        for f in files:
            m = max(m, os.path.getsize(os.path.join(root, f)))
    return m


CLEAR_DISK = ("file too large", "no space", "disk", "efbig", "enospc", "i/o")


def full_disk_case(args, chk, report, label, idx, fsize_limit=None):
    """Index corpus A, then A+B until the disk (or file size limit) is full."""
    a = os.path.join(args.workdir, "fa")
    b = os.path.join(args.workdir, "fb")
    make_corpus(a, 5, "a")
    make_corpus(b, 150, "b")
    cmd = [args.sou_index, "--quiet", "--commit-passages", "200", "--index", idx]
    r = relib.run(cmd + [a], timeout=120)
    chk.check(r.rc == 0, "%s: first run %s: %s" % (label, r.describe(), r.text()))
    rc, a_lines, _ = dump(args, idx)
    limit = None
    if fsize_limit == "auto":
        limit = largest_file(idx) + 64 * 1024
    r = relib.run(cmd + [a, b], timeout=300, fsize_limit=limit)
    err = r.text()
    print("%s: sou-index %s; stderr: %s" % (label, r.describe(), err.strip()[-200:]),
          flush=True)
    chk.check(not r.crashed and not r.timed_out, "%s: sou-index %s" % (label, r.describe()))
    chk.check(r.rc != 0, "%s: sou-index succeeded, the disk was not filled" % label)
    chk.check(any(w in err.lower() for w in CLEAR_DISK),
              "%s: error does not say the disk/file is full: %r" % (label, err[-300:]))
    rc, lines, derr = dump(args, idx)
    chk.check(rc == 0, "%s: index does not open after the failure: %s" % (label, derr))
    got = per_source(lines)
    a_counts = per_source(a_lines)
    for src, n in a_counts.items():
        chk.check(got.get(src) == n, "%s: committed source %s lost (%s of %d passages)"
                  % (label, src, got.get(src), n))
    s = relib.run([args.sou_search, "--index", idx, "--count", "a0z"], timeout=60)
    chk.check(s.rc == 0, "%s: sou-search after the failure: %s %s"
              % (label, s.describe(), s.text()))
    report.append("%s: sou-index %s, %d passages committed before stay readable (%d now)"
                  % (label, r.describe(), len(a_lines), len(lines)))
    print(report[-1], flush=True)
    return a, b


def full_disk(args, chk, report):
    idx = os.path.join(args.workdir, "fsize-idx")
    relib.rmtree(idx)
    full_disk_case(args, chk, report, "full disk (RLIMIT_FSIZE, EFBIG)", idx, "auto")
    relib.rmtree(idx)
    mnt = os.path.join(args.workdir, "tmpfs")
    os.makedirs(mnt, exist_ok=True)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt],
                       capture_output=True)
    if m.returncode != 0:
        report.append("full disk (tmpfs, ENOSPC): skipped, cannot mount here: %s"
                      % m.stderr.decode().strip())
        print(report[-1], flush=True)
        return
    try:
        full_disk_case(args, chk, report, "full disk (3 MB tmpfs, ENOSPC)",
                       os.path.join(mnt, "idx"))
    finally:
        subprocess.run(["umount", mnt])


def read_only(args, chk, report):
    idx = os.path.join(args.workdir, "ro-idx")
    relib.rmtree(idx)
    a = os.path.join(args.workdir, "fa")
    make_corpus(a, 3, "a")
    r = relib.run([args.sou_index, "--quiet", "--index", idx, a], timeout=120)
    chk.check(r.rc == 0, "read-only: first run %s" % r.describe())
    how = None
    undo = []
    if os.geteuid() == 0:
        if subprocess.run(["mount", "--bind", idx, idx], capture_output=True).returncode == 0:
            undo.append(["umount", idx])
            if subprocess.run(["mount", "-o", "remount,ro,bind", idx],
                              capture_output=True).returncode == 0:
                how = "read-only bind mount"
        if not how:
            for u in undo:
                subprocess.run(u)
            undo = []
            if subprocess.run(["chattr", "-R", "+i", idx], capture_output=True).returncode == 0:
                how = "chattr +i"
                undo.append(["chattr", "-R", "-i", idx])
    else:
        subprocess.run(["chmod", "-R", "a-w", idx])
        how = "chmod a-w (not root)"
        undo.append(["chmod", "-R", "u+w", idx])
    if not how:
        report.append("read-only index: skipped (no bind mount, chattr or non-root chmod)")
        print(report[-1], flush=True)
        return
    try:
        b = os.path.join(args.workdir, "fb")
        make_corpus(b, 2, "b")
        r = relib.run([args.sou_index, "--quiet", "--index", idx, b], timeout=60)
        err = r.text()
        print("read-only (%s): sou-index %s; stderr: %s" % (how, r.describe(), err.strip()),
              flush=True)
        chk.check(not r.crashed and not r.timed_out, "read-only: sou-index %s" % r.describe())
        chk.check(r.rc != 0, "read-only: sou-index succeeded on a read-only index")
        chk.check(("read-only" in err.lower() or "permission" in err.lower()
                   or "not permitted" in err.lower()) and "ro-idx" in err,
                  "read-only: error is not clear (read-only + the directory): %r" % err)
        s = relib.run([args.sou_search, "--index", idx, "--count", "a0z"], timeout=60)
        chk.check(s.rc == 0 and s.out.strip() == b"1",
                  "read-only: searching the read-only index: %s %r %s"
                  % (s.describe(), s.out, s.text()))
        report.append("read-only index (%s): sou-index %s with %r; searching it works"
                      % (how, r.describe(), err.strip()[-160:]))
        print(report[-1], flush=True)
    finally:
        for u in reversed(undo):
            subprocess.run(u)
        relib.rmtree(idx)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sou_index")
    ap.add_argument("sou_search")
    ap.add_argument("dump")
    ap.add_argument("workdir")
    ap.add_argument("--sanitized", action="store_true")
    ap.add_argument("--only", choices=["kill", "disk", "ro"])
    args = ap.parse_args()
    for k in ("sou_index", "sou_search", "dump", "workdir"):
        setattr(args, k, os.path.abspath(getattr(args, k)))
    os.makedirs(args.workdir, exist_ok=True)
    chk = relib.Checker("faults")
    report = []
    if args.only in (None, "ro"):
        read_only(args, chk, report)
    if args.only in (None, "disk"):
        full_disk(args, chk, report)
    if args.only in (None, "kill"):
        kill_trials(args, chk, report)
    print("\n".join(["", "summary:"] + report))
    chk.finish()


if __name__ == "__main__":
    main()
