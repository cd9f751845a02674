"""relib.py - helpers shared by sou's reliability tests (tests/reliability).

Runs sou-index / sou-search as children with a timeout and measures each
child's peak RSS with wait4() (the kernel's ru_maxrss of that one child).
Output goes to files, not pipes, so a child printing a lot never blocks.
"""
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class Result:
    def __init__(self, rc, out, err, maxrss_kb, timed_out, seconds):
        self.rc = rc                  # exit status, or -SIGNAL
        self.out = out                # stdout bytes
        self.err = err                # stderr bytes
        self.maxrss_mb = maxrss_kb / 1024.0
        self.timed_out = timed_out
        self.seconds = seconds

    @property
    def crashed(self):
        return self.rc < 0 and not self.timed_out

    def text(self):
        return self.err.decode("utf-8", "replace")

    def describe(self):
        if self.timed_out:
            return "timed out"
        if self.rc < 0:
            return "killed by signal %d" % -self.rc
        return "exit %d" % self.rc


def run(cmd, stdin_bytes=None, stdin_path=None, timeout=60, env=None,
        fsize_limit=None, workdir=None):
    """Run cmd; returns a Result. fsize_limit sets RLIMIT_FSIZE in the child
    with SIGXFSZ ignored, so a write past the limit fails with EFBIG."""
    tmp = tempfile.mkdtemp(prefix="sou-rel-run-")
    try:
        outp, errp = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        if stdin_bytes is not None:
            stdin_path = os.path.join(tmp, "in")
            with open(stdin_path, "wb") as f:
                f.write(stdin_bytes)

        def pre():
            if fsize_limit is not None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE,
                                   (fsize_limit, fsize_limit))

        with open(outp, "wb") as fo, open(errp, "wb") as fe, \
                open(stdin_path or os.devnull, "rb") as fi:
            t0 = time.monotonic()
            p = subprocess.Popen(cmd, stdin=fi, stdout=fo, stderr=fe,
                                 env=env, preexec_fn=pre, cwd=workdir)
            timed_out = False
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid == p.pid:
                    break
                if time.monotonic() - t0 > timeout:
                    timed_out = True
                    p.kill()
                    pid, status, ru = os.wait4(p.pid, 0)
                    break
                time.sleep(0.02)
            p.returncode = 0  # reaped by us; keep Popen from waiting again
            secs = time.monotonic() - t0
        rc = os.waitstatus_to_exitcode(status)
        with open(outp, "rb") as f:
            out = f.read()
        with open(errp, "rb") as f:
            err = f.read()
        return Result(rc, out, err, ru.ru_maxrss, timed_out, secs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Checker:
    """Collects failed expectations; prints a table line per row."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
            print("  FAIL: " + what, flush=True)
        return cond

    def finish(self):
        if self.failures:
            print("%s: %d failure(s)" % (self.name, len(self.failures)))
            for f in self.failures:
                print("  - " + f)
            sys.exit(1)
        print("%s: all checks passed" % self.name)


def json_lines(data):
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            out.append(json.loads(line))
    return out


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)
