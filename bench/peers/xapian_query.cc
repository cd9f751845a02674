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
// usage: bench-xapian-query [--limit N] [--warmup] [--passes N] DBDIR QUERIES
#include <xapian.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>
#include <algorithm>

int main(int argc, char **argv)
{
    unsigned long limit = 10;
    bool warmup = false;
    int passes = 1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (!std::strcmp(argv[i], "--limit") && i + 1 < argc) limit = std::strtoul(argv[++i], 0, 10);
        else if (!std::strcmp(argv[i], "--warmup")) warmup = true;
        else if (!std::strcmp(argv[i], "--passes") && i + 1 < argc) passes = std::max(1, std::atoi(argv[++i]));
        else break;
    }
    if (argc - i != 2) {
        std::cerr << "usage: bench-xapian-query [--limit N] [--warmup] [--passes N] DBDIR QUERIES\n";
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
    try {
        Xapian::Database db(argv[i]);
        Xapian::Enquire enq(db);
        Xapian::QueryParser qp;
        Xapian::Stem stem("english");
        qp.set_stemmer(stem);
        qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        qp.set_database(db);
        qp.set_default_op(Xapian::Query::OP_AND);
        qp.add_prefix("title", "S");
        unsigned flags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_CJK_NGRAM;
        bool all = limit == 0;
        Xapian::doccount want = all ? db.get_doccount() : limit;
        std::string out;
        std::vector<long long> times(queries.size() * passes);
        for (int pass = warmup ? -1 : 0; pass < passes; pass++) {
            for (size_t q = 0; q < queries.size(); q++) {
                auto t0 = std::chrono::steady_clock::now();
                long matches = -1;
                std::string ids;
                try {
                    enq.set_query(qp.parse_query(queries[q], flags));
                    Xapian::MSet ms = enq.get_mset(0, want, all ? want : 0);
                    matches = all ? ms.size() : ms.get_matches_estimated();
                    size_t snip_bytes = 0;
                    for (auto it = ms.begin(); it != ms.end(); ++it) {
                        if (!ids.empty()) ids += ',';
                        ids += std::to_string(*it);
                        if (!all) {
                            std::string text = it.get_document().get_data();
                            snip_bytes += ms.snippet(text, 300, stem,
                                Xapian::MSet::SNIPPET_BACKGROUND_MODEL |
                                Xapian::MSet::SNIPPET_EXHAUSTIVE |
                                Xapian::MSet::SNIPPET_CJK_NGRAM,
                                "<b>", "</b>", "…").size();
                        }
                    }
                    if (snip_bytes == (size_t)-1) std::cerr << "";  // keep the work observable
                } catch (const Xapian::QueryParserError &e) {
                    matches = -1;
                }
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
        std::fwrite(out.data(), 1, out.size(), stdout);
    } catch (const Xapian::Error &e) {
        std::cerr << "bench-xapian-query: " << e.get_description() << "\n";
        return 1;
    }
    return 0;
}
