#!/usr/bin/env python3
"""hostile.py - the hostile input suite: files and queries that users throw
at a search engine, each row with its expected outcome.

usage: hostile.py SOU_INDEX SOU_SEARCH WORKDIR [--sanitized] [--only NAME]

File rows: each hostile file is indexed by the real sou-index in one batch
with a good neighbour file; then sou-search must find the neighbour, and the
hostile file wherever it has words (its `find` queries). Outcomes:
  indexed       exit 0, every find query returns the hostile source
  indexed-warn  exit 0 or 1, stderr names the file and the broken line; the
                good records are found
  empty         exit 0, nothing to find (no words), nothing else lost
  error         exit 1, stderr names the file; it is not in the index
Query rows run against a small index, strict and --lenient, one sou-search
process each (batch mode on stdin, --json):
  error         strict: an error naming the problem and its column
  results       no error; `min_count` matches at least
  no-crash      either, as long as the answer is well formed
Every child runs under a timeout and its peak RSS (wait4 ru_maxrss) must
stay under the row's bound; a crash, a hang or a lost neighbour fails.
"""
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "corpus",
                      "sample", "000_d490c0635e062405.txt")

NEIGHBOUR = "neighbour zebrafinch file 邻居文件 is always findable.\n".encode()
NEIGHBOUR_QUERY = "zebrafinch"
# Valid multi-byte text: makes a file "mostly UTF-8" for the charset sniffer.
ZH = "网络安全和新技术方案旨在加强会员国和私营组织防止和削弱恐怖主义分子和暴力极端分子滥用技术发展的能力。\n\n".encode() * 4

MB = 1 << 20


def sample_text():
    with open(SAMPLE, "rb") as f:
        return f.read()


def big_document(path):
    """200 MB: 2,000 blocks of a real 1 KB paragraph with a unique marker,
    each followed by ~99 KB of blank lines and spaces. Reading, charset
    checking, paragraph splitting and memory are exercised at full size;
    the amount of analyzed text (2 MB) keeps the row within the suite's
    time budget (indexing speed is the bench's business)."""
    para = sample_text()[1000:2000].decode("utf-8", "ignore").encode()
    filler = (b" " * 99 + b"\n") * 10 + b"\n"
    filler = filler * (100 * 1024 // len(filler))
    with open(path, "wb") as f:
        written = 0
        i = 0
        while written < 200 * MB:
            block = b"blk%04dmark " % i + para + b"\n\n" + filler
            f.write(block)
            written += len(block)
            i += 1
    return i


def huge_token():
    rnd = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "tok" + "".join(rnd.choice(letters) for _ in range(MB - 3))


TOKEN = None


def file_rows():
    global TOKEN
    TOKEN = huge_token()
    rnd = random.Random(3)
    deep_html = (b"<html><head><title>deep</title></head><body>" +
                 b"<div>" * 100000 + "deepword inside 深层元素".encode() +
                 b"</div>" * 100000 + b"<p>afterdeep</p></body></html>")
    unclosed_html = (b"<html><head><title>unclosed</title><body><p>firstpara "
                     b"<b>bold <i>italic <div><span>spanword <table><tr><td>"
                     + "cellword<p>lastpara 未闭合标签".encode() + b"<li><a href='x'>" * 500)
    jsonl = ('{"id":"rec1","title":"one","text":"recordone 第一条"}\n'
             '{"id":"rec2","title":"two","text":"recordtwo broken\n'
             '{"id":"rec3","title":"three","text":"recordthree 第三条"}\n').encode()
    return [
        # name, file, content (bytes or callable(path)), expect, find, note
        # A file that is mostly UTF-8 keeps UTF-8 and reads each invalid
        # sequence as U+FFFD, which separates words (after|word).
        ("invalid UTF-8: overlong forms", "overlong.txt",
         ZH + b"overlongword \xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf\xc1\xbf after\xc0\x80word",
         "indexed", ["overlongword", "after", "word", "网络安全"], "mostly UTF-8: U+FFFD"),
        ("invalid UTF-8: surrogates", "surrogates.txt",
         ZH + b"surrogateword \xed\xa0\x80\xed\xb0\x80 \xed\xbf\xbf tail\xed\xa0\x80piece",
         "indexed", ["surrogateword", "tail", "piece"], "mostly UTF-8: U+FFFD"),
        ("invalid UTF-8: truncated sequences", "truncated.txt",
         ZH + b"truncword \xe7\xbd\x91\xe7\xbb \xe7 abc\xf0\x9f\x98 endword \xe4\xb8",
         "indexed", ["truncword", "endword", "abc"], "incl. at end of file"),
        ("invalid UTF-8: stray continuation bytes", "stray.txt",
         ZH + b"\x80\x81 strayword \xbf\xbf\xbf mid\x80dle \xfe\xff lastword",
         "indexed", ["strayword", "mid", "dle", "lastword"], "mostly UTF-8: U+FFFD"),
        # Mostly ASCII with a few high bytes is read as a legacy charset
        # (the detector's guess), not as UTF-8 with U+FFFD.
        ("ASCII with stray high bytes (legacy charset)", "latin.txt",
         b"latinword caf\xe9 na\xefve \xc0\xaf end\xff of file",
         "indexed", ["latinword", "file"], "decoded with the detector's guess"),
        ("NUL bytes mid-text", "nul.txt",
         "nulbefore\x00nulafter 网络\x00安全 \x00\x00 tailword".encode(),
         "indexed", ["nulbefore", "nulafter", "tailword"],
         "NUL is a separator; a text file with a few NULs is text"),
        ("1 MB single token", "token.txt",
         b"beforetoken " + TOKEN.encode() + b" aftertoken",
         "indexed", ["beforetoken", "aftertoken", TOKEN[:200]],
         "term truncated to 64 bytes; token cut into passages"),
        ("200 MB document", "big.txt", big_document,
         "indexed", ["blk0000mark", "blk1000mark", "blk1990mark"],
         "2,000 real paragraphs spread over 200 MB"),
        ("empty file", "empty.txt", b"", "empty", [], ""),
        ("only punctuation", "punct.txt",
         "!!! ??? ... ，。、；：「」『』（）——…… ### *** ---\n\n...\n".encode(),
         "empty", [], "passages without terms"),
        ("emoji with ZWJ sequences", "emoji.txt",
         "emojiword 👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 家庭成员 1️⃣ done".encode(),
         "indexed", ["emojiword", "家庭成员", "done"], ""),
        ("combining marks", "combining.txt",
         "cafe\u0301 re\u0301sume\u0301 Zalgo\u0351\u0352\u0353 mark".encode(),
         "indexed", ["café", "résumé", "mark"],
         "decomposed text found by composed query (NFKC)"),
        ("RTL text and bidi controls", "rtl.txt",
         "\u202eevilword\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \u200f\u2066isolated\u2069 rtlword".encode(),
         "indexed", ["rtlword", "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627"], ""),
        ("unassigned code points", "unassigned.txt",
         "\u0378 unassignedword \U000E0080 \U0010FFFF a\u0378b \uFDD0 final".encode(),
         "indexed", ["unassignedword", "final"], ""),
        ("JSON Lines with a broken line in the middle", "broken.jsonl", jsonl,
         "indexed-warn", ["recordone", "recordthree", "第三条"],
         "warning names file:2; records 1 and 3 indexed"),
        ("HTML with unclosed tags", "unclosed.html", unclosed_html,
         "indexed", ["firstpara", "spanword", "cellword", "未闭合标签"], ""),
        ("HTML with 100,000 nested elements", "deep.html", deep_html,
         "indexed", ["deepword", "深层元素", "afterdeep"], ""),
        ("binary file named .txt", "binary.txt",
         bytes(rnd.randrange(256) for _ in range(20000)),
         "error", [], "reported and skipped"),
    ]


def query_rows():
    depth = 10000
    return [
        # name, query bytes, strict expectation, min_count (strict), lenient min_count
        ("10,000 nested parentheses", b"(" * depth + "网络".encode() + b")" * depth,
         "error", 0, 1),
        ("10,000 unclosed parentheses", b"(" * depth + b"security", "error", 0, 1),
        ("100 nested parentheses (the limit)", b"(" * 100 + "网络".encode() + b")" * 100,
         "results", 1, 1),
        ("101 nested parentheses", b"(" * 101 + "网络".encode() + b")" * 101,
         "error", 0, 1),
        ("100,000 distinct terms", " ".join("w%d" % i for i in range(100000)).encode(),
         "results", 0, 0),
        ("100,000 terms ORed", " OR ".join(["网络", "security"] * 50000).encode(),
         "error", 0, 0),
        ("1,024 terms ORed (the limit)", " OR ".join(["网络"] + ["w%d" % i for i in range(1023)]).encode(),
         "results", 1, 0),
        ("only operators", b"AND OR NOT + - ( ) \" * : title: source:", "error", 0, 0),
        ("lone OR", b"OR", "no-crash", 0, 0),
        ("lone NOT", b"NOT", "no-crash", 0, 0),
        ("lone -", b"-", "no-crash", 0, 0),
        ("lone *", b"*", "no-crash", 0, 0),
        ("unbalanced quote", '"网络 安全'.encode(), "error", 0, 1),
        ("three quotes", '"网络" "安全'.encode(), "error", 0, 1),
        ("empty query", b"", "results", 0, 0),
        ("1 MB single-token query", TOKEN.encode() if TOKEN else b"x" * MB,
         "results", 0, 0),
        ("invalid UTF-8 query", b"\xff\xfe\xc0\xaf\xed\xa0\x80" + "网络".encode(),
         "results", 1, 1),
        ("NUL inside a query", "网络\x00安全".encode(), "no-crash", 0, 0),
        ("bidi controls in a query", "\u202e网络\u202c".encode(), "results", 1, 1),
    ]


def group_answers(out):
    """Split a --json batch output into answers (one per query)."""
    answers, cur = [], []
    for obj in relib.json_lines(out):
        if obj.get("done"):
            answers.append((cur, obj))
            cur = []
        else:
            cur.append(obj)
    return answers


def run_file_rows(args, chk, rss_factor, table):
    for name, fname, content, expect, finds, note in file_rows():
        if args.only and args.only not in name:
            continue
        rowdir = os.path.join(args.workdir, "file-" + fname.replace(".", "_"))
        relib.rmtree(rowdir)
        os.makedirs(rowdir)
        try:
            with open(os.path.join(rowdir, "good.txt"), "wb") as f:
                f.write(NEIGHBOUR)
            path = os.path.join(rowdir, fname)
            if callable(content):
                content(path)
            else:
                with open(path, "wb") as f:
                    f.write(content)
            size = os.path.getsize(path)
            big = size > 50 * MB
            bound = (2048 if big else 512) * rss_factor
            r = relib.run([args.sou_index, "--index", "idx", "--quiet",
                           "good.txt", fname], timeout=240 if big else 60,
                          workdir=rowdir)
            err = r.text()
            print("file row: %-45s %s, %.1f s, peak RSS %.0f MB" %
                  (name, r.describe(), r.seconds, r.maxrss_mb), flush=True)
            ok = chk.check(not r.crashed and not r.timed_out,
                           "%s: sou-index %s" % (name, r.describe()))
            ok &= chk.check(r.maxrss_mb <= bound, "%s: peak RSS %.0f MB > %d MB"
                            % (name, r.maxrss_mb, bound))
            if expect in ("indexed", "empty"):
                ok &= chk.check(r.rc == 0, "%s: exit %d, want 0; stderr: %s"
                                % (name, r.rc, err[-500:]))
            elif expect == "indexed-warn":
                ok &= chk.check(r.rc in (0, 1), "%s: exit %d" % (name, r.rc))
                ok &= chk.check(fname + ":2" in err, "%s: no warning naming %s:2: %s"
                                % (name, fname, err[-500:]))
            elif expect == "error":
                ok &= chk.check(r.rc == 1, "%s: exit %d, want 1" % (name, r.rc))
                ok &= chk.check(fname in err, "%s: error does not name the file: %s"
                                % (name, err[-500:]))
            queries = [NEIGHBOUR_QUERY] + finds
            if expect == "error":
                queries.append("source:" + os.path.splitext(fname)[0])
            qin = b"".join(q.encode() + b"\n" for q in queries)
            s = relib.run([args.sou_search, "--index", "idx", "--json", "-n", "0",
                           "--lenient", "--snippet-chars", "40"],
                          stdin_bytes=qin, timeout=60, workdir=rowdir)
            ok &= chk.check(s.rc == 0 and not s.crashed,
                            "%s: sou-search %s: %s" % (name, s.describe(), s.text()[-300:]))
            answers = group_answers(s.out) if s.rc == 0 else []
            ok &= chk.check(len(answers) == len(queries), "%s: %d answers for %d queries"
                            % (name, len(answers), len(queries)))
            found = []
            for (hits, done), q in zip(answers, queries):
                sources = {h["source"] for h in hits}
                if q == NEIGHBOUR_QUERY:
                    ok &= chk.check("good.txt" in sources,
                                    "%s: neighbour lost (found %s)" % (name, sorted(sources)))
                elif q.startswith("source:"):
                    ok &= chk.check(fname not in sources,
                                    "%s: refused file is in the index" % name)
                else:
                    hit = any(src == fname or src.startswith("rec") for src in sources)
                    ok &= chk.check(hit, "%s: query %r does not find it (found %s)"
                                    % (name, q[:40], sorted(sources)[:5]))
                    if hit:
                        found.append(q if len(q) < 30 else q[:12] + "…(%d)" % len(q))
            outcome = {"indexed": "indexed", "empty": "indexed, nothing to find",
                       "indexed-warn": "indexed with a warning",
                       "error": "refused with an error"}[expect]
            table.append((name, outcome, "exit %d" % r.rc, ", ".join(found) or "-",
                          "%.0f" % r.maxrss_mb, "ok" if ok else "FAIL", note))
        finally:
            relib.rmtree(rowdir)


def run_query_rows(args, chk, rss_factor, table):
    qdir = os.path.join(args.workdir, "queries")
    relib.rmtree(qdir)
    os.makedirs(qdir)
    try:
        with open(os.path.join(qdir, "good.txt"), "wb") as f:
            f.write(NEIGHBOUR)
        r = relib.run([args.sou_index, "--index", "idx", "--quiet", SAMPLE, "good.txt"],
                      timeout=120, workdir=qdir)
        chk.check(r.rc == 0, "query index: sou-index %s: %s" % (r.describe(), r.text()))
        bound = 512 * rss_factor
        for name, q, expect, min_strict, min_lenient in query_rows():
            if args.only and args.only not in name:
                continue
            for mode in ("strict", "lenient"):
                cmd = [args.sou_search, "--index", "idx", "--json", "--count"]
                if mode == "lenient":
                    cmd.append("--lenient")
                s = relib.run(cmd, stdin_bytes=q + b"\n", timeout=60, workdir=qdir)
                label = "%s (%s)" % (name, mode)
                ok = chk.check(not s.crashed and not s.timed_out,
                               "%s: sou-search %s" % (label, s.describe()))
                ok &= chk.check(s.maxrss_mb <= bound, "%s: peak RSS %.0f MB" %
                                (label, s.maxrss_mb))
                answers = group_answers(s.out) if not s.crashed else []
                ok &= chk.check(len(answers) == 1, "%s: %d answers: %s" %
                                (label, len(answers), s.text()[-300:]))
                done = answers[0][1] if answers else {}
                error = done.get("error")
                count = done.get("count", 0)
                want = expect if mode == "strict" else "results"
                want_min = min_strict if mode == "strict" else min_lenient
                if want == "error":
                    ok &= chk.check(error is not None and "column" in error and s.rc == 1,
                                    "%s: want an error with a column, got %r (exit %d)"
                                    % (label, error, s.rc))
                elif want == "results":
                    ok &= chk.check(error is None and s.rc == 0 and count >= want_min,
                                    "%s: want >= %d matches, got %r count %s (exit %d)"
                                    % (label, want_min, error, count, s.rc))
                outcome = ("error: " + error[:60]) if error else "%d matches" % count
                print("query row: %-45s %s, peak RSS %.0f MB" % (label, outcome, s.maxrss_mb),
                      flush=True)
                table.append((label, outcome, "exit %d" % s.rc, "", "%.0f" % s.maxrss_mb,
                              "ok" if ok else "FAIL", ""))
    finally:
        relib.rmtree(qdir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sou_index")
    ap.add_argument("sou_search")
    ap.add_argument("workdir")
    ap.add_argument("--sanitized", action="store_true",
                    help="ASan build: memory bounds x4 (redzones, quarantine)")
    ap.add_argument("--only", help="run the rows whose name contains this")
    ap.add_argument("--files-only", action="store_true")
    ap.add_argument("--queries-only", action="store_true")
    args = ap.parse_args()
    args.sou_index = os.path.abspath(args.sou_index)
    args.sou_search = os.path.abspath(args.sou_search)
    os.makedirs(args.workdir, exist_ok=True)
    rss_factor = 4 if args.sanitized else 1
    chk = relib.Checker("hostile")
    table = []
    if not args.queries_only:
        run_file_rows(args, chk, rss_factor, table)
    if not args.files_only:
        run_query_rows(args, chk, rss_factor, table)
    print("\n| input | outcome | status | found by | peak RSS MB | check | note |")
    print("|---|---|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    chk.finish()


if __name__ == "__main__":
    main()
