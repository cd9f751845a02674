// bench/peers/xapian_query.cc - the stock-Xapian query peer (not part of sou).
//
// Reads one query per line, parses it with QueryParser (FLAG_DEFAULT |
// FLAG_CJK_NGRAM, English stemmer with STEM_SOME, default operator AND so
// that words are ANDed as in sou), ranks with Xapian's default BM25Weight,
// and for each hit reads the passage text and makes an MSet::snippet with
// SNIPPET_CJK_NGRAM. Each query is timed on its own (steady clock, parse to
// last snippet), so process start and file reading are not measured.
//
// With --passes N each query's time is the median of N timed passes (the
// machine is shared; a median drops one-off stalls, keeps slow queries).
// Output, one line per query: qid \t nanoseconds \t matches \t id,id,...
// (matches = Xapian's estimate; exact with --limit 0, which returns every
// match without snippets: the mode the quality section uses).
//
// With --throughput T: T threads, each with its own Xapian::Database,
// Enquire and QueryParser (a Database is not thread-safe), each runs one
// untimed warm-up pass over the file, then (together, after a barrier) the
// whole file N times (--passes, default 1), thread i starting at query
// i*len/T, top --limit with snippets as above; wall time from the start to
// the last thread's end. Output: one JSON line {"engine":"xapian",
// "threads":T,"queries":Q,"seconds":W,"qps":X,"errors":E}.
//
// usage: bench-xapian-query [--limit N] [--warmup] [--passes N] DBDIR QUERIES
//        bench-xapian-query --throughput T [--passes N] [--limit N] DBDIR QUERIES
#include <xapian.h>

#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>
#include <algorithm>

namespace {

// One searcher: what a thread needs (QueryParser and Enquire hold their
// Database; none of them may be shared between threads).
struct Searcher {
    Xapian::Database db;
    Xapian::Enquire enq;
    Xapian::QueryParser qp;
    Xapian::Stem stem;
    unsigned flags;
    unsigned long limit;
    size_t sink = 0;

    Searcher(const std::string &path, unsigned long lim)
        : db(path), enq(db), stem("english"), limit(lim)
    {
        qp.set_stemmer(stem);
        qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        qp.set_database(db);
        qp.set_default_op(Xapian::Query::OP_AND);
        qp.add_prefix("title", "S");
        flags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_CJK_NGRAM;
    }

    // One query: matches (-1 on a parse error); ids appended when asked.
    long run(const std::string &query, std::string *ids)
    {
        bool all = limit == 0;
        Xapian::doccount want = all ? db.get_doccount() : limit;
        long matches = -1;
        try {
            enq.set_query(qp.parse_query(query, flags));
            Xapian::MSet ms = enq.get_mset(0, want, all ? want : 0);
            matches = all ? ms.size() : ms.get_matches_estimated();
            for (auto it = ms.begin(); it != ms.end(); ++it) {
                if (ids) {
                    if (!ids->empty()) *ids += ',';
                    *ids += std::to_string(*it);
                }
                if (!all) {
                    std::string text = it.get_document().get_data();
                    sink += ms.snippet(text, 300, stem,
                        Xapian::MSet::SNIPPET_BACKGROUND_MODEL |
                        Xapian::MSet::SNIPPET_EXHAUSTIVE |
                        Xapian::MSet::SNIPPET_CJK_NGRAM,
                        "<b>", "</b>", "…").size();
                }
            }
        } catch (const Xapian::QueryParserError &e) {
            matches = -1;
        }
        return matches;
    }
};

struct Throughput {
    const std::vector<std::string> *queries;
    std::string path;
    unsigned long limit;
    int threads, passes;
    pthread_barrier_t warm, start;
};

struct Worker {
    Throughput *tp;
    int id;
    long long runs = 0, errors = 0;
    size_t sink = 0;
    std::string error;
};

void *worker_main(void *arg)
{
    Worker *w = static_cast<Worker *>(arg);
    Throughput *tp = w->tp;
    const std::vector<std::string> &qs = *tp->queries;
    Searcher *s = nullptr;
    try {
        s = new Searcher(tp->path, tp->limit);
        for (const std::string &q : qs) s->run(q, nullptr);   // warm-up, untimed
    } catch (const Xapian::Error &e) {
        w->error = e.get_description();
    }
    pthread_barrier_wait(&tp->warm);
    pthread_barrier_wait(&tp->start);
    if (s) {
        try {
            size_t n = qs.size(), first = n ? size_t(w->id) * n / size_t(tp->threads) : 0;
            for (int pass = 0; pass < tp->passes; pass++)
                for (size_t k = 0; k < n; k++) {
                    if (s->run(qs[(first + k) % n], nullptr) < 0) w->errors++;
                    w->runs++;
                }
        } catch (const Xapian::Error &e) {
            w->error = e.get_description();
        }
        w->sink = s->sink;
        delete s;
    }
    return nullptr;
}

int run_throughput(const std::string &path, const std::vector<std::string> &queries,
                   unsigned long limit, int threads, int passes)
{
    Throughput tp;
    tp.queries = &queries;
    tp.path = path;
    tp.limit = limit;
    tp.threads = threads;
    tp.passes = passes;
    pthread_barrier_init(&tp.warm, nullptr, unsigned(threads) + 1);
    pthread_barrier_init(&tp.start, nullptr, unsigned(threads) + 1);
    std::vector<Worker> ws(threads);
    std::vector<pthread_t> tids(threads);
    for (int k = 0; k < threads; k++) {
        ws[k].tp = &tp;
        ws[k].id = k;
        if (pthread_create(&tids[k], nullptr, worker_main, &ws[k])) {
            std::cerr << "bench-xapian-query: cannot start thread " << k << "\n";
            return 1;
        }
    }
    pthread_barrier_wait(&tp.warm);
    auto t0 = std::chrono::steady_clock::now();
    pthread_barrier_wait(&tp.start);
    for (int k = 0; k < threads; k++) pthread_join(tids[k], nullptr);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    long long runs = 0, errors = 0;
    size_t sink = 0;
    for (const Worker &w : ws) {
        if (!w.error.empty()) {
            std::cerr << "bench-xapian-query: " << w.error << "\n";
            return 1;
        }
        runs += w.runs;
        errors += w.errors;
        sink += w.sink;
    }
    std::printf("{\"engine\":\"xapian\",\"threads\":%d,\"queries\":%lld,\"seconds\":%.6f,"
                "\"qps\":%.3f,\"errors\":%lld}\n",
                threads, runs, secs, secs > 0 ? double(runs) / secs : 0.0, errors);
    if (sink == size_t(-1)) std::cerr << "";  // keep the work observable
    pthread_barrier_destroy(&tp.warm);
    pthread_barrier_destroy(&tp.start);
    return 0;
}

}  // namespace

int main(int argc, char **argv)
{
    unsigned long limit = 10;
    bool warmup = false;
    int passes = 1, threads = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (!std::strcmp(argv[i], "--limit") && i + 1 < argc) limit = std::strtoul(argv[++i], 0, 10);
        else if (!std::strcmp(argv[i], "--warmup")) warmup = true;
        else if (!std::strcmp(argv[i], "--passes") && i + 1 < argc) passes = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--throughput") && i + 1 < argc) threads = std::atoi(argv[++i]);
        else break;
    }
    if (argc - i != 2 || threads < 0) {
        std::cerr << "usage: bench-xapian-query [--limit N] [--warmup] [--passes N] DBDIR QUERIES\n"
                     "       bench-xapian-query --throughput T [--passes N] [--limit N] DBDIR QUERIES\n";
        return 2;
    }
    std::vector<std::string> queries;
    {
        std::ifstream in(argv[i + 1]);
        if (!in) {
            std::cerr << "bench-xapian-query: cannot read " << argv[i + 1] << "\n";
            return 1;
        }
        std::string line;
        while (std::getline(in, line)) queries.push_back(line);
    }
    if (threads > 0) {
        try {
            return run_throughput(argv[i], queries, limit, threads, passes);
        } catch (const Xapian::Error &e) {
            std::cerr << "bench-xapian-query: " << e.get_description() << "\n";
            return 1;
        }
    }
    try {
        Searcher s(argv[i], limit);
        std::string out;
        std::vector<long long> times(queries.size() * passes);
        for (int pass = warmup ? -1 : 0; pass < passes; pass++) {
            for (size_t q = 0; q < queries.size(); q++) {
                auto t0 = std::chrono::steady_clock::now();
                std::string ids;
                long matches = s.run(queries[q], &ids);
                auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now() - t0).count();
                if (pass >= 0) times[q * passes + pass] = ns;
                if (pass == passes - 1) {
                    std::sort(times.begin() + q * passes, times.begin() + (q + 1) * passes);
                    ns = times[q * passes + passes / 2];
                    out += std::to_string(q + 1) + '\t' + std::to_string(ns) + '\t' +
                           std::to_string(matches) + '\t' + ids + '\n';
                }
            }
        }
        if (s.sink == (size_t)-1) std::cerr << "";  // keep the work observable
        std::fwrite(out.data(), 1, out.size(), stdout);
    } catch (const Xapian::Error &e) {
        std::cerr << "bench-xapian-query: " << e.get_description() << "\n";
        return 1;
    }
    return 0;
}
