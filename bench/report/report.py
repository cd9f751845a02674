"""bench/report/report.py - REPORT.md and PNG plots (gnuplot, pngcairo) from
the report dict that bench/run builds (also saved as report.json)."""
import os
import shutil
import subprocess

ENGINE_NAMES = {"sou": "sou", "xapian": "stock Xapian", "fts5-trigram": "FTS5 trigram",
                "fts5-unicode61": "FTS5 unicode61", "lucene": "Lucene", "groonga": "Groonga",
                "lucene-warm": "Lucene, after 20 warm-up passes"}
# index cost: term classes (bench/index/index_cost.cc) in table order
TERM_CLASSES = [
    ("cjk_unigram", "CJK unigrams"), ("cjk_bigram", "CJK bigrams"),
    ("cjk_join", "CJK joins (跑gen)"), ("cjk_word", "CJK dictionary words (3+ chars)"),
    ("word", "Latin/alphabetic words"), ("number", "numbers"), ("stem", "stems (Z)"),
    ("title", "title terms (S), all"), ("source", "source ids (Q)"),
    ("path_prefix", "path prefixes (XP)"), ("path_component", "path components (XC)"),
    ("other", "other prefixed terms"),
]


def query_rows(rep):
    """Rows of the latency tables: the engines, and Lucene's steady-state
    row after Lucene when it was measured."""
    qy = rep.get("query", {}).get("engines", {})
    rows = []
    for e in rep["engines"]:
        rows.append(e)
        if e == "lucene" and "lucene-warm" in qy:
            rows.append("lucene-warm")
    return [e for e in rows if e in qy]


def engine_name(e, rep=None):
    if e == "lucene-warm" and rep:
        n = rep.get("query", {}).get("engines", {}).get(e, {}).get("warmup_passes", 20)
        return f"Lucene, after {n} warm-up passes"
    return ENGINE_NAMES.get(e, e)


def terms_with_positions(ic):
    """bench-index-cost of the queried index, or of the shard set with
    positions when the queried index has none (same postings, and the
    positions they would have); "layout" names which."""
    for k in ("queried", "shards_with_positions"):
        t = (ic.get(k) or {}).get("terms", {})
        if "classes" in t and (t.get("positions_counted", True) or k != "queried"
                               or "shards_with_positions" not in ic):
            return dict(t, layout=k)
    return dict((ic.get("queried") or {}).get("terms", {}), layout="queried")


def class_totals(classes):
    """Term classes with every title_* class summed into "title"."""
    out = {}
    for k, v in classes.items():
        key = "title" if k.startswith("title_") else k
        t = out.setdefault(key, {})
        for f2, x in v.items():
            if isinstance(x, bool):
                t[f2] = t.get(f2, False) or x
            else:
                t[f2] = t.get(f2, 0) + x
    return out
SET_NAMES = {
    "han1": "Han substring, 1 char", "han2": "Han substring, 2 chars",
    "han34": "Han substring, 3-4 chars", "mixed": "mixed Han+Latin",
    "t2s": "Simplified query -> zh-TW text", "s2t": "Traditional query -> zh-CN text",
    "fullwidth": "full-width query (ＵＳＢ)", "stemming": "English inflections",
}


def f(x, nd=2):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def mb(n):
    return f"{n / 1e6:.1f}"


def _gnuplot(script, out):
    if not shutil.which("gnuplot"):
        return False
    subprocess.run(["gnuplot"], input=script.encode(), check=True, cwd=out)
    return True


def plots(rep, latencies, out):
    made = []
    engines = rep["engines"]
    term = "set terminal pngcairo noenhanced size 900,560 font 'Sans,11'\n"
    if latencies:
        rows = [e for e in query_rows(rep) if e in latencies]
        for e in rows:
            with open(os.path.join(out, f"lat-{e}.dat"), "w") as fh:
                lat = sorted(latencies[e])
                for i, v in enumerate(lat, 1):
                    fh.write(f"{max(v, 1e-3):.6f} {i / len(lat):.6f}\n")
        lines = ", ".join(f"'lat-{e}.dat' using 1:2 with steps lw 2"
                          f"{' dt 2' if e == 'lucene-warm' else ''} title '{engine_name(e, rep)}'"
                          for e in rows)
        script = (term + "set output 'latency_cdf.png'\n"
                  f"set title 'Query latency, {rep['query']['queries']} queries, top 10 with snippets, one thread'\n"
                  "set xlabel 'latency per query (ms, log scale)'\n"
                  "set ylabel 'fraction of queries answered'\n"
                  "set logscale x\nset grid\nset key bottom right\nset yrange [0:1]\n"
                  f"plot {lines}\n")
        if _gnuplot(script, out):
            made.append("latency_cdf.png")
        with open(os.path.join(out, "throughput.dat"), "w") as fh:
            for e in engines:
                q = rep["query"]["engines"][e]["qps"] or 0
                ix = rep["indexing"][e]["mb_per_s"]
                fh.write(f"\"{ENGINE_NAMES[e]}\" {q:.3f} {ix:.3f}\n")
        script = (term.replace("900,560", "1100,520") + "set output 'throughput.png'\n"
                  "set multiplot layout 1,2\n"
                  "set style fill solid 0.7 border -1\nset boxwidth 0.6\nset grid ytics\n"
                  "set yrange [0:*]\nset xtics rotate by -20\n"
                  "set title 'Query throughput (one thread)'\n"
                  "set xlabel 'engine'\nset ylabel 'queries per second'\n"
                  "plot 'throughput.dat' using 0:2:xtic(1) with boxes notitle lc rgb '#4a7ebb', "
                  "'' using 0:2:(sprintf('%.0f',$2)) with labels offset 0,0.8 notitle\n"
                  "set title 'Indexing throughput (passage text)'\n"
                  "set ylabel 'MB of passage text per second'\n"
                  "plot 'throughput.dat' using 0:3:xtic(1) with boxes notitle lc rgb '#bb6a4a', "
                  "'' using 0:3:(sprintf('%.1f',$3)) with labels offset 0,0.8 notitle\n"
                  "unset multiplot\n")
        if _gnuplot(script, out):
            made.append("throughput.png")
    tp = rep.get("throughput", {}).get("engines")
    if tp:
        ths = rep["throughput"]["threads"]
        with open(os.path.join(out, "qps_cores.dat"), "w") as fh:
            fh.write("engine " + " ".join(f"\"{t} thread{'s' if t > 1 else ''}\"" for t in ths) + "\n")
            for e in engines:
                if e not in tp:
                    continue
                by = {r["threads"]: r.get("qps") for r in tp[e]}
                fh.write(f"\"{ENGINE_NAMES[e]}\" " +
                         " ".join(f"{by.get(t) or 0:.3f}" for t in ths) + "\n")
        cols = ", ".join(f"'' using {i + 2}{':xtic(1)' if i == 0 else ''} title columnheader"
                         for i in range(len(ths)))
        script = (term.replace("900,560", "1000,540") + "set output 'qps_cores.png'\n"
                  f"set title 'Query throughput: 1 thread vs one thread per core ({rep['machine']['cores']} cores), "
                  "top 10 with snippets'\n"
                  "set xlabel 'engine'\nset ylabel 'queries per second (log scale)'\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.8 border -1\nset logscale y\n"
                  "set grid ytics\nset key top right\nset xtics rotate by -20\n"
                  f"plot 'qps_cores.dat' {cols[3:]}\n")
        if _gnuplot(script, out):
            made.append("qps_cores.png")
    ix = rep.get("indexing")
    if ix:
        # build time in two parts where an engine reports them
        with open(os.path.join(out, "index_build.dat"), "w") as fh:
            for e in engines + ["sou_shards"]:
                s = ix.get(e)
                if not s:
                    continue
                name = "sou shards+positions" if e == "sou_shards" else ENGINE_NAMES[e]
                if e == "lucene":
                    a, b = s["add_commit_seconds"], s["merge_seconds"]
                    name = "Lucene (add | merge)"
                elif e == "groonga" and s.get("load_seconds") is not None:
                    a, b = s["load_seconds"], s["index_seconds"]
                    name = "Groonga (load | index)"
                else:
                    a, b = s["seconds"], 0
                fh.write(f"\"{name}\" {a:.3f} {b:.3f} {s['index_bytes'] / 1e6:.3f}\n")
        script = (term.replace("900,560", "1200,520") + "set output 'index_build.png'\n"
                  "set multiplot layout 1,2\n"
                  "set style fill solid 0.8 border -1\nset grid ytics\nset yrange [0:*]\n"
                  "set xtics rotate by -25\nset key below\n"
                  f"set title 'Index build time ({rep['speed_corpus']['passages']:,} passages)'\n"
                  "set ylabel 'seconds (wall)'\n"
                  "set style data histograms\nset style histogram rowstacked\nset boxwidth 0.6\n"
                  "plot 'index_build.dat' using 2:xtic(1) title 'build (Lucene: 2-thread add+commit; "
                  "Groonga: load)', '' using 3 title 'Lucene forceMerge(1) / Groonga index column'\n"
                  "set title 'Index size on disk'\nset ylabel 'MB'\nunset key\n"
                  "set style data boxes\nset boxwidth 0.6\n"
                  "plot 'index_build.dat' using 0:4:xtic(1) with boxes lc rgb '#4a7ebb' notitle, "
                  "'' using 0:4:(sprintf('%.0f',$4)) with labels offset 0,0.8 notitle\n"
                  "unset multiplot\n")
        if _gnuplot(script, out):
            made.append("index_build.png")
    ic = rep.get("index_cost")
    q = (ic or {}).get("queried", {})
    if q and "classes" in q.get("terms", {}):
        names = sorted(q["bytes"]["by_name"].items(), key=lambda kv: -kv[1])
        with open(os.path.join(out, "index_cost_files.dat"), "w") as fh:
            for n, b in names:
                if b >= 1024:
                    fh.write(f"\"{n}\" {b / 1e6:.4f}\n")
        ct = class_totals(terms_with_positions(ic)["classes"])
        with open(os.path.join(out, "index_cost_classes.dat"), "w") as fh:
            fh.write("class postings positions\n")
            for k, name in TERM_CLASSES:
                if k in ct:
                    fh.write(f"\"{k}\" {ct[k]['postings'] / 1e3:.3f} {ct[k]['positions'] / 1e3:.3f}\n")
        script = (term.replace("900,560", "1300,560") + "set output 'index_cost.png'\n"
                  "set multiplot layout 1,2\n"
                  "set style fill solid 0.8 border -1\nset grid ytics\nset yrange [0:*]\n"
                  "set xtics rotate by -35\n"
                  "set title 'sou index (queried layout): MB per file, all shards'\n"
                  "set ylabel 'MB'\nset boxwidth 0.6\n"
                  "plot 'index_cost_files.dat' using 0:2:xtic(1) with boxes lc rgb '#4a7ebb' notitle\n"
                  "set title 'Postings and positions per term class'\nset ylabel 'thousands'\n"
                  "set style data histograms\nset style histogram clustered gap 1\nset key top right\n"
                  "plot 'index_cost_classes.dat' using 2:xtic(1) title columnheader, "
                  "'' using 3 title columnheader\n"
                  "unset multiplot\n")
        if _gnuplot(script, out):
            made.append("index_cost.png")
    qual = rep.get("quality", {}).get("table")
    if qual:
        sets = [s for s in SET_NAMES if s in rep["quality"]["sets"]]
        with open(os.path.join(out, "quality.dat"), "w") as fh:
            fh.write("set " + " ".join(f"\"{ENGINE_NAMES[e]}\"" for e in engines) + "\n")
            for s in sets:
                fh.write(f"\"{s}\" " + " ".join(f"{qual[e][s]['recall']:.4f}" for e in engines) + "\n")
        cols = ", ".join(f"'' using {i + 2}{':xtic(1)' if i == 0 else ''} title columnheader"
                         for i in range(len(engines)))
        script = (term.replace("900,560", "1100,520") + "set output 'quality.png'\n"
                  "set title 'Recall against the brute-force oracle (every match returned)'\n"
                  "set xlabel 'query set'\nset ylabel 'recall (mean over queries)'\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.8 border -1\nset yrange [0:1.05]\nset grid ytics\n"
                  "set key outside right\nset xtics rotate by -25\n"
                  f"plot 'quality.dat' {cols[3:]}\n")
        if _gnuplot(script, out):
            made.append("quality.png")
    remote = rep.get("remote")
    if remote and "single" in remote:
        with open(os.path.join(out, "remote.dat"), "w") as fh:
            for k, name in (("single", "one compacted index"),
                            ("local_shards", f"{remote['shards']} local shards"),
                            ("remote_shards", f"{remote['shards']} shards on xapian-tcpsrv")):
                fh.write(f"\"{name}\" {remote[k]['p50_ms']:.4f} {remote[k]['p99_ms']:.4f}\n")
        script = (term + "set output 'remote.png'\n"
                  "set title 'sou query latency: local vs sharded vs remote (loopback)'\n"
                  "set xlabel 'index layout'\nset ylabel 'latency (ms)'\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.8 border -1\nset yrange [0:*]\nset grid ytics\n"
                  "plot 'remote.dat' using 2:xtic(1) title 'p50', '' using 3 title 'p99'\n")
        if _gnuplot(script, out):
            made.append("remote.png")
    return made


def write(rep, latencies, out):
    made = plots(rep, latencies, out)
    engines = rep["engines"]
    peers = [e for e in engines if e != "sou"]
    m = rep["machine"]
    L = []
    w = L.append
    w(f"# sou benchmark report ({rep['size']} size)\n")
    w(f"Run {rep['started']}, seed {rep['seed']}, {rep['seconds']:.0f} s in total. "
      f"Produced by `bench/run --size {rep['size']}`; numbers in `report.json`.\n")
    w(f"Machine: {m['cores']} cores, {m['cpu']}, {m['memory']}, {m['os']}.  ")
    v = m["versions"]
    w(f"Versions: sou {v['sou']}, ICU {v['icu']}, Xapian {v['xapian']}, SQLite {v['sqlite']}"
      + (f", Lucene {v['lucene']} (Debian liblucene8-java; ICU4J {v.get('icu4j', '?')}) on {v['java']}"
         if "lucene" in engines and v.get("lucene") else "")
      + (f", Groonga {v['groonga']}" if "groonga" in engines and v.get("groonga") else "")
      + ".\n")
    if rep.get("skipped_engines"):
        w("Left out of this run: " + "; ".join(f"{ENGINE_NAMES.get(e, e)} ({why})"
                                                for e, why in rep["skipped_engines"].items()) + ".\n")
    if "speed_corpus" in rep:
        sc = rep["speed_corpus"]
        w(f"Speed corpus: {sc['passages']:,} passages, {mb(sc['text_bytes'])} MB of passage text"
          + (f" (the real corpus x{rep['copies']}, distinct source ids)" if rep.get("copies") else "")
          + ".  ")
    qc = rep["quality_corpus"]
    w(f"Quality corpus: {qc['passages']:,} passages, {mb(qc['text_bytes'])} MB.\n")

    # ---- summary
    w("## Summary\n")
    w("Ratios are sou/peer: above 1 means sou is higher (better for MB/s, QPS, recall, MRR), "
      "below 1 for latency means sou is faster.\n")
    hdr = ["engine"]
    rows = {e: [ENGINE_NAMES[e]] for e in engines}
    ix = rep.get("indexing")
    qy = rep.get("query", {}).get("engines")
    ql = rep.get("quality", {}).get("table", {})
    if ix:
        hdr += ["index MB/s", "index size MB"]
        for e in engines:
            rows[e] += [f"{ix[e]['mb_per_s']:.2f}", mb(ix[e]["index_bytes"])]
    if qy:
        hdr += ["p50 ms", "p99 ms", "QPS"]
        for e in engines:
            rows[e] += [f(qy[e]["p50_ms"], 3), f(qy[e]["p99_ms"], 3), f(qy[e]["qps"], 0)]
    tp = rep.get("throughput", {}).get("engines")
    if tp:
        tmax = max(rep["throughput"]["threads"])
        hdr += [f"QPS {tmax} threads"]
        for e in engines:
            r = [x for x in tp.get(e, []) if x["threads"] == tmax]
            rows[e] += [f(r[0].get("qps"), 0) if r else "n/a"]
    han_sets = [s for s in ("han1", "han2", "han34", "mixed") if s in rep["quality"]["sets"]]
    if ql:
        hdr += ["Han recall (min of classes)", "Han precision (min)", "T/S recall", "full-width recall",
                "stemming recall", "MRR@10"]
        for e in engines:
            t = ql[e]
            hr = min((t[s]["recall"] for s in han_sets), default=None)
            hp = [t[s]["precision"] for s in han_sets if t[s]["precision"] is not None]
            ts = [t[s]["recall"] for s in ("t2s", "s2t") if s in t]
            rows[e] += [f(hr, 3), f(min(hp), 3) if hp else "n/a", f(min(ts), 3) if ts else "n/a",
                        f(t.get("fullwidth", {}).get("recall"), 3),
                        f(t.get("stemming", {}).get("recall"), 3),
                        f(t.get("known_item", {}).get("mrr@10"), 3)]
    w("| " + " | ".join(hdr) + " |")
    w("|" + "---|" * len(hdr))
    for e in engines:
        w("| " + " | ".join(rows[e]) + " |")
    w("")

    # ---- speed
    if ix:
        w("## Speed\n")
        if rep.get("analyzer"):
            a = rep["analyzer"]
            w("### Analyzer\n")
            if a.get("rows"):
                r = a["rows"][0]
                w(f"`bench-analyzer` (the analyzer's own bench program) over the speed corpus "
                  f"passage texts ({r['texts']:,} texts, {mb(r['bytes'])} MB), single thread, best "
                  f"of {r['repeat']} in thread CPU time:\n")
                w("| analyzer | MB/s | sou/this |")
                w("|---|---|---|")
                for k, name in (("sou_mbs", "sou analyzer (default fast path)"),
                                ("sou_icu_path_mbs", "sou analyzer, ICU word break path"),
                                ("icu_wordbreak_mbs", "ICU word break alone (boundaries only)"),
                                ("xapian_termgen_mbs", "stock Xapian TermGenerator (CJK n-grams)")):
                    w(f"| {name} | {r[k]:.2f} | {ratio(r['sou_mbs'], r[k])} |")
                w(f"\nsou terms hash `{r.get('sou_terms_hash')}` ({r.get('sou_terms'):,} terms).\n")
            else:
                w(f"not measured: {a.get('error', 'no output')}\n")
        w("### Indexing\n")
        w("sou-index reads the corpus documents (JSON Lines), splits passages, analyzes "
          "with all cores and writes its index as a user runs it (one shard per core, merged "
          "into one database without positions at the end: the index the queries below run "
          "on); the last row is a second, timed build of the same documents as shards with "
          "positions (--no-compact --positions, what xapian-tcpsrv serves in the remote "
          "stage; its ratios are to stock Xapian); each peer reads the passages sou made "
          "(pre-split) and indexes them with one writer / one transaction. MB/s counts the "
          "same passage-text bytes for every engine; wall time of the whole indexing run. "
          "Index size: bytes allocated on disk, as `du` counts them (Groonga's files are "
          "sparse, preallocated: their apparent size is in report.json).\n")
        if "lucene" in ix or "groonga" in ix:
            w("Lucene indexes with two threads into one IndexWriter and commits, then "
              "forceMerge(1) makes one segment (the index the queries run on); its seconds are "
              "both, the second Lucene row is the add+commit part alone (size: after the merge "
              "only). Groonga loads the passages, then builds its index column offline; its "
              "seconds are both.\n")
        w("| engine | seconds | MB/s | passages/s | index size MB | sou/peer MB/s | sou/peer size | parts |")
        w("|---|---|---|---|---|---|---|---|")
        for e in engines:
            s = ix[e]
            parts = ""
            if e == "lucene":
                parts = (f"add+commit {s['add_commit_seconds']:.2f} s, "
                         f"forceMerge(1) {s['merge_seconds']:.2f} s")
            elif e == "groonga" and s.get("load_seconds") is not None:
                parts = f"load {s['load_seconds']:.2f} s, index column {s['index_seconds']:.2f} s"
            w(f"| {ENGINE_NAMES[e]} | {s['seconds']:.2f} | {s['mb_per_s']:.2f} | "
              f"{s['passages_per_s']:,.0f} | {mb(s['index_bytes'])} | "
              f"{ratio(ix['sou']['mb_per_s'], s['mb_per_s'])} | "
              f"{ratio(ix['sou']['index_bytes'], s['index_bytes'])} | {parts} |")
            if e == "lucene":
                sec = s["add_commit_seconds"]
                w(f"| Lucene without forceMerge(1) | {sec:.2f} | {s['mb_per_s_no_merge']:.2f} | "
                  f"{s['passages'] / sec:,.0f} | n/a | "
                  f"{ratio(ix['sou']['mb_per_s'], s['mb_per_s_no_merge'])} | n/a | add+commit only |")
        r = rep.get("remote") or {}
        if "sou_shards" in ix:
            s = ix["sou_shards"]
            w(f"| sou-index --no-compact --positions (shards for xapian-tcpsrv) | {s['seconds']:.2f} | "
              f"{s['mb_per_s']:.2f} | {s['passages_per_s']:,.0f} | {mb(s['index_bytes'])} | "
              f"{ratio(s['mb_per_s'], ix['xapian']['mb_per_s']) if 'xapian' in ix else ''} | "
              f"{ratio(s['index_bytes'], ix['xapian']['index_bytes']) if 'xapian' in ix else ''} | |")
        w("")
        if "index_build.png" in made:
            w("![index_build.png](index_build.png)\n")
    if qy:
        q = rep["query"]
        w("### Queries\n")
        cats = ", ".join(f"{k} {v}" for k, v in q["categories"].items())
        w(f"{q['queries']} queries drawn from the passages with seed {rep['seed']} ({cats}); "
          "top 10 with snippets, one thread, each query timed alone inside the engine's "
          "process after one untimed warm-up pass over the whole mix; a query's latency is the "
          "median of 3 timed passes (the machine is shared with other work). "
          "`hash` is the sha256 (16 hex) of all result lists.\n")
        if "lucene-warm" in qy:
            w(f"Lucene runs on the JVM: its first row, like every engine's, is after one warm-up "
              f"pass; the row after it is the same runs after {qy['lucene-warm']['warmup_passes']} "
              "untimed passes (the JIT's steady state).\n")
        w("| engine | p50 ms | p90 ms | p99 ms | max ms | QPS | zero-hit queries | errors | "
          "sou/peer p50 | sou/peer p99 | sou/peer QPS | hash |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        so = qy["sou"]
        for e in query_rows(rep):
            s = qy[e]
            w(f"| {engine_name(e, rep)} | {f(s['p50_ms'], 3)} | {f(s['p90_ms'], 3)} | {f(s['p99_ms'], 3)} | "
              f"{f(s['max_ms'], 1)} | {f(s['qps'], 0)} | {s['zero_hits']} | {s['errors']} | "
              f"{ratio(so['p50_ms'], s['p50_ms'])} | {ratio(so['p99_ms'], s['p99_ms'])} | "
              f"{ratio(so['qps'], s['qps'])} | `{s['hash']}` |")
        w("")
        w("p50 (ms) by query category:\n")
        cl = list(q["categories"])
        w("| engine | " + " | ".join(cl) + " |")
        w("|---|" + "---|" * len(cl))
        for e in query_rows(rep):
            w(f"| {engine_name(e, rep)} | " + " | ".join(f(qy[e]['p50_ms_by_category'].get(c), 3) for c in cl) + " |")
        w("")
        for p in ("latency_cdf.png", "throughput.png"):
            if p in made:
                w(f"![{p}]({p})\n")
    tpr = rep.get("throughput")
    if tpr and tpr.get("engines"):
        ths = tpr["threads"]
        tmax = max(ths)
        w("### Throughput (all cores)\n")
        w(f"The same {tpr['queries_per_pass']} queries, top 10 with snippets, with T threads "
          f"(T = {' and '.join(map(str, ths))}; {m['cores']} cores): each thread has its own "
          "index handle (sou_index, Xapian::Database, SQLite connection, Groonga grn_ctx; "
          "Lucene threads share one IndexSearcher, as Lucene intends), each engine first runs "
          "one untimed warm-up pass, then every thread runs the whole mix `passes` times from "
          "its own offset (thread i starts at query i*len/T); QPS = queries run / wall time. "
          f"Passes are chosen from the engine's one-thread QPS above (Lucene: its steady-state "
          f"row) so that a one-thread run lasts about {tpr['target_seconds']:g} s. The machine is shared with other work: scaling across "
          "cores is a lower bound.\n")
        w("| engine | passes per thread | " + " | ".join(f"QPS {t} thread{'s' if t > 1 else ''}" for t in ths)
          + f" | {tmax}/1 threads | sou/peer QPS at {tmax} |")
        w("|---|---|" + "---|" * len(ths) + "---|---|")

        def qps_at(e, t):
            r = [x for x in tpr["engines"].get(e, []) if x["threads"] == t]
            return r[0].get("qps") if r else None
        for e in engines:
            if e not in tpr["engines"]:
                continue
            rs = tpr["engines"][e]
            errs = [r["error"] for r in rs if "error" in r]
            w(f"| {ENGINE_NAMES[e]} | {rs[0]['passes']} | " +
              " | ".join(f(qps_at(e, t), 0) for t in ths) +
              f" | {ratio(qps_at(e, tmax), qps_at(e, 1))} | {ratio(qps_at('sou', tmax), qps_at(e, tmax))} |"
              + (f" (error: {errs[0][:80]})" if errs else ""))
        w("")
        if "qps_cores.png" in made:
            w("![qps_cores.png](qps_cores.png)\n")
    ic = rep.get("index_cost")
    if ic:
        w("### Index cost (sou)\n")
        lays = [k for k in ("queried", "shards_with_positions") if k in ic]
        lay_names = {"queried": "queried index", "shards_with_positions": "shards with positions"}
        w("Where sou's speed index puts its bytes (every file of every shard directory, summed "
          "by file name over the shards) and its postings and positions (`bench-index-cost`: "
          "every term of the index walked and classified by the term scheme of "
          "`lib/include/sou/terms.h`). Layouts: " +
          "; ".join(f"{lay_names[k]} `{ic[k]['path']}`" for k in lays) +
          " (the queried index is sou-index's default: one compacted database without "
          "positions; the shards hold the same documents with positions).\n")
        names = []
        for k in lays:
            for n, b in sorted(ic[k]["bytes"]["by_name"].items(), key=lambda kv: -kv[1]):
                if n not in names:
                    names.append(n)
        w("| file | " + " | ".join(f"{lay_names[k]} MB | share" for k in lays) + " |")
        w("|---|" + "---|---|" * len(lays))
        for n in names:
            cells = []
            for k in lays:
                b = ic[k]["bytes"]["by_name"].get(n)
                tot = ic[k]["bytes"]["total"] or 1
                cells += [f"{b / 1e6:.3f}" if b is not None else "", f"{100 * b / tot:.1f}%" if b else ""]
            w(f"| {n} | " + " | ".join(cells) + " |")
        w("| total | " + " | ".join(f"{ic[k]['bytes']['total'] / 1e6:.3f} | 100%" for k in lays) + " |")
        w("")
        for k in lays:
            shards = sorted({os.path.dirname(p) for p in ic[k]["bytes"]["files"] if os.path.dirname(p)})
            if len(shards) > 1:
                w(f"{lay_names[k]}: per shard " + ", ".join(
                    f"`{sd}` {sum(b for p, b in ic[k]['bytes']['files'].items() if os.path.dirname(p) == sd) / 1e6:.1f} MB"
                    for sd in shards) + ".\n")
        t = terms_with_positions(ic)
        if "classes" in t:
            tot = t["total"]
            w(f"Terms per class ({lay_names[t['layout']]}: {t['documents']:,} passages, "
              f"{tot['terms']:,} terms, {tot['postings']:,} postings, {tot['positions']:,} positions; "
              f"walk {t['seconds']:.1f} s). postings = sum of termfreq, wdf = sum of collection "
              "frequency, positions: " + t["positions_method"] + ". A CJK unigram has positions "
              "only where the character stands alone (inside longer runs the bigrams carry the "
              "positions); stems, dictionary words and source/path terms have none. "
              "Title (S) terms are split by the same classes.\n")
            w("| class | terms | term bytes | postings | share of postings | wdf | positions | "
              "share of positions | postings with positions |")
            w("|---|---|---|---|---|---|---|---|---|")
            cl = t["classes"]
            order = [k for k, _ in TERM_CLASSES if k != "title"]
            keys = [k for k in order if k in cl] + sorted(k for k in cl if k.startswith("title_")) + \
                   sorted(k for k in cl if k not in order and not k.startswith("title_"))
            label = dict(TERM_CLASSES)
            for k in keys:
                c = cl[k]
                lab = ("title: " + label.get(k[6:], k[6:])) if k.startswith("title_") else label.get(k, k)
                w(f"| {lab} | {c['terms']:,} | {c['term_bytes']:,} | {c['postings']:,} | "
                  f"{100 * c['postings'] / max(1, tot['postings']):.1f}% | {c['wdf']:,} | "
                  f"{c['positions']:,} | {100 * c['positions'] / max(1, tot['positions']):.1f}% | "
                  f"{c['positional_postings']:,} |")
            w(f"| total | {tot['terms']:,} | {tot['term_bytes']:,} | {tot['postings']:,} | 100% | "
              f"{tot['wdf']:,} | {tot['positions']:,} | 100% | {tot['positional_postings']:,} |")
            w("")
            if tot.get("unexpected_positions"):
                w(f"Note: {tot['unexpected_positions']:,} positions found in classes indexed "
                  "without positions (the term scheme changed?).\n")
            if len(lays) > 1 and "total" in ic[lays[1]].get("terms", {}):
                t2i = ic[lays[1]]["terms"]
                t2 = t2i["total"]
                same = all(t2[x] == tot[x] for x in ("terms", "postings", "wdf"))
                w(f"The {lay_names[lays[1]]}, opened as one database: {t2['terms']:,} terms, "
                  f"{t2['postings']:,} postings, wdf {t2['wdf']:,}: "
                  + ("the same as the queried index" if same else
                     "different from the queried index (different documents?)")
                  + (f"; {t2['positions']:,} positions, which the queried index does not store."
                     if t2i.get("positions_counted") else ".") + "\n")
        elif t.get("error"):
            w(f"bench-index-cost failed: {t['error']}\n")
        if "index_cost.png" in made:
            w("![index_cost.png](index_cost.png)\n")
    r = rep.get("remote")
    if r:
        w("### Remote shards (issue 7)\n")
        if "single" in r:
            w(f"sou on the same passages: one compacted index, {r['shards']} local shards "
              f"(searched together), and the same {r['shards']} shards each served by "
              "`xapian-tcpsrv` on 127.0.0.1 through a Xapian stub file; same query mix.\n")
            w("| layout | p50 ms | p90 ms | p99 ms | QPS | p50 / single | p99 / single | hash |")
            w("|---|---|---|---|---|---|---|---|")
            for k, name in (("single", "one compacted index"), ("local_shards", "local shards"),
                            ("remote_shards", "remote shards")):
                s = r[k]
                w(f"| {name} | {f(s['p50_ms'], 3)} | {f(s['p90_ms'], 3)} | {f(s['p99_ms'], 3)} | "
                  f"{f(s['qps'], 0)} | {ratio(s['p50_ms'], r['single']['p50_ms'])} | "
                  f"{ratio(s['p99_ms'], r['single']['p99_ms'])} | `{s['hash']}` |")
            w(f"\nSame ranked result lists in all three layouts: {'yes' if r['same_answers'] else 'no'}; "
              f"same top-10 sets: {'yes' if r.get('same_sets') else 'no'} "
              "(equal scores may be ordered differently: by docid locally, by passage record "
              "with remote shards); "
              f"same scores rank by rank (1e-6 relative): {'yes' if r.get('same_scores') else 'no'}.\n")
            if "remote.png" in made:
                w("![remote.png](remote.png)\n")
        else:
            w(f"not measured: {r.get('error')}\n")

    # ---- quality
    qq = rep.get("quality")
    if qq:
        w("## Quality\n")
        w("Every figure is judged by an independent oracle (bench/quality/oracle.py): passage "
          "text and queries folded with ICU directly (NFKC_Casefold, then ICU's "
          "Traditional-Simplified transform; `bench-oracle-fold`, no sou code) and scanned by "
          "brute force. Set queries return every match (no limit); recall is the mean over "
          "queries, precision is all correct hits over all hits returned. Known-item: top 10. "
          "For the full-width and inflection sets the oracle counts only whole-word "
          "occurrences of the word (or its regular inflections), so engines that also match "
          "stems or words joined by '.'/':' lose precision there by design; recall is the "
          "figure that matters for those rows. T/S rows: recall of every passage whose folded "
          "text contains the converted string (both scripts).\n")
        w("| query set | queries | " + " | ".join(f"{ENGINE_NAMES[e]} recall | precision" for e in engines) + " |")
        w("|---|---|" + "---|---|" * len(engines))
        for s, name in SET_NAMES.items():
            if s not in qq["sets"]:
                continue
            cells = []
            for e in engines:
                t = qq["table"][e][s]
                cells += [f(t["recall"], 3), f(t["precision"], 3)]
            w(f"| {name} | {qq['sets'][s]} | " + " | ".join(cells) + " |")
        if "known_item" in qq["sets"]:
            w("")
            w("| known-item (LibreOffice help titles) | queries | " +
              " | ".join(f"{ENGINE_NAMES[e]} MRR@10 | success@10" for e in engines) + " |")
            w("|---|---|" + "---|---|" * len(engines))
            cells = []
            for e in engines:
                t = qq["table"][e]["known_item"]
                cells += [f(t["mrr@10"], 3), f(t["success@10"], 3)]
            w(f"| page title -> its passages | {qq['sets']['known_item']} | " + " | ".join(cells) + " |")
        w("")
        if "quality.png" in made:
            w("![quality.png](quality.png)\n")
        if qq.get("bm25_sweep"):
            sw = qq["bm25_sweep"]
            best = sw[0]
            w("### BM25 sweep (sou, known-item task)\n")
            w(f"Best: k1={best['k1']}, b={best['b']}: MRR@10 {best['mrr@10']:.3f}, "
              f"success@10 {best['success@10']:.3f} (ties broken towards k1=1.2, b=0.75).\n")
            ks = sorted({s["k1"] for s in sw})
            bs = sorted({s["b"] for s in sw})
            grid = {(s["k1"], s["b"]): s["mrr@10"] for s in sw}
            w("MRR@10 | " + " | ".join(f"b={b}" for b in bs) + " |")
            w("|---|" + "---|" * len(bs))
            for k in ks:
                w(f"| k1={k} | " + " | ".join(f"{grid[(k, b)]:.3f}" for b in bs) + " |")
            w("")
        w("Result hashes per query set:\n")
        w("| engine | " + " | ".join(qq["sets"]) + " |")
        w("|---|" + "---|" * len(qq["sets"]))
        for e in engines:
            w(f"| {ENGINE_NAMES[e]} | " + " | ".join(f"`{qq['hashes'][e][s]}`" for s in qq["sets"]) + " |")
        w("")
    w("## How the peers are set up\n")
    w("- **stock Xapian** (bench/peers/xapian_*.cc): TermGenerator with FLAG_CJK_NGRAM, "
      "positions, English stemmer STEM_SOME, title indexed with prefix S only (sou too "
      "searches passage text unless asked for title:), one WritableDatabase; QueryParser FLAG_DEFAULT|FLAG_CJK_NGRAM, "
      "default operator AND (sou ANDs words), BM25Weight defaults, MSet::snippet with "
      "SNIPPET_CJK_NGRAM for each of the top 10.\n"
      "- **SQLite FTS5** (bench/peers/fts5.c): table passages(title UNINDEXED, body), tokenize "
      "`trigram` or `unicode61`, one transaction; MATCH expression = each whitespace "
      "token (or quoted phrase) as an FTS5 string, ANDed; `ORDER BY rank LIMIT 10` "
      "(bm25) with snippet(). The trigram tokenizer cannot match a string shorter than "
      "3 characters (1-2 character Han queries find nothing); unicode61 keeps a run of Han "
      "characters as one token, so a Han query matches only whole runs.\n"
      + ("- **Lucene** (bench/peers/lucene/BenchLucene.java; Debian's Lucene 8.8 and ICU4J): "
      "ICUTokenizer -> ICUNormalizer2Filter (nfkc_cf) -> CJKBigramFilter (bigrams, a lone "
      "CJK character a unigram) -> EnglishPossessiveFilter -> PorterStemFilter, no "
      "Traditional/Simplified folding; text stored with offsets, BM25 (k1 1.2, b 0.75); "
      "indexing with two threads into one IndexWriter (256 MB RAM buffer), commit, then "
      "forceMerge(1), timed apart; a query word is an ES `match` with operator AND (all of "
      "its tokens required, any order), a quoted part a phrase (`match_phrase`), parts "
      "ANDed; UnifiedHighlighter snippets for the top 10. Each latency run is one JVM "
      "(`bench-lucene`): JIT warm-up is why a second row after 20 warm-up passes is shown. "
      "Its file header has the details.\n" if "lucene" in engines else "")
      + ("- **Groonga** (bench/peers/groonga.c; Groonga's C API, no server): table Passages "
      "(text LongText), lexicon TABLE_PAT_KEY with TokenBigram and NormalizerNFKC150 (case "
      "and full-width folding, no Traditional/Simplified folding, no stemming), index column "
      "WITH_POSITION built offline after the load; queries in Groonga's query syntax, each "
      "word a quoted phrase, ANDed, scorer_tf_idf (Groonga 13 has no BM25), sorted by score, "
      "snippets as snippet_html() makes them for the top 10. Its file header has the "
      "details.\n" if "groonga" in engines else "")
      + "- Every engine indexes the passages exported from sou's index "
      "(bench-export-passages): same texts, titles and ids.\n")
    with open(os.path.join(out, "REPORT.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(L) + "\n")
