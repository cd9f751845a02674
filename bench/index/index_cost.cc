// bench/index/index_cost.cc - where a sou index's postings and positions go,
// per term class (issue 13: "index cost breakdown").
//
// usage: bench-index-cost [--all-positions | --no-positions] [--threads N] INDEX...
//   INDEX: a sou index directory (its sou.stub lists the shards), a stub
//   file or one Xapian database directory; several are opened together.
//   --threads N: threads counting positions, one Database each (default:
//   one per core); --no-positions: terms, postings and wdf only (seconds
//   instead of about a minute on the 1M-passage bench index).
//
// Walks every term (Database::allterms_begin) and classifies it by the term
// scheme of lib/include/sou/terms.h and the analyzer's term kinds
// (lib/include/sou/analyzer.h, lib/analysis/analyzer.c emit_units):
//
//   Z...       stem                  (Snowball stem of a body word)
//   S...       title_<class>         (the rest classified as below; SZ... is
//                                     title_stem)
//   Q...       source                (unique source id, boolean)
//   XP...      path_prefix           (boolean)
//   XC...      path_component        (boolean)
//   other upper-case prefix: other
//   unprefixed analyzer output, by its CJK code points (Han, kana, Hangul:
//   the analyzer's own test, lib/analysis/charprops.h) and the rest:
//     1 CJK char, nothing else        cjk_unigram
//     2 CJK chars, nothing else       cjk_bigram
//     3+ CJK chars, nothing else      cjk_word (ICU dictionary word)
//     CJK and non-CJK characters      cjk_join (跑gen, gen后: one CJK char
//                                     and a Latin/digit word)
//     no CJK, digits and , . ' only   number
//     no CJK, otherwise               word (Latin or other alphabetic)
//
// Per class: terms, term_bytes (sum of term lengths), postings (sum of
// termfreq), wdf (sum of collection_freq) and positions. Positions are
// exact: for every posting of every term in a class the analyzer indexes
// with positions, its PostingIterator::positionlist_begin() list counted
// (Xapian 1.4 has no positionlist_count() on a PostingIterator). Classes
// indexed without positions (stems, CJK dictionary words, boolean
// source/path terms) are checked on the first posting of each term only
// (expected 0; any found are counted and flagged in
// "unexpected_positions"); --all-positions counts every posting of every
// class. positional_postings counts postings with at least one position
// (a CJK unigram is positional only outside longer CJK runs). Positions
// are counted as stored, not derived from wdf: they can be fewer than the
// wdf even in a class that always has positions (Xapian 1.4.22 stores a
// position list of exactly {0, 1} as {1}: "foo foo bar" keeps foo at 1).
//
// An index whose metadata says "sou:positions" "0" (built without
// positions) gets no position walk. Output: one JSON object on stdout.
#include <xapian.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sou/terms.h"

namespace {

bool is_cjk(UChar32 c)
{
    // the analyzer's SOU_CP_CJK (lib/analysis/charprops.h)
    UErrorCode st = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &st);
    if (U_FAILURE(st)) sc = USCRIPT_UNKNOWN;
    return sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA ||
           sc == USCRIPT_HANGUL || u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC) ||
           u_getIntPropertyValue(c, UCHAR_WORD_BREAK) == U_WB_KATAKANA;
}

bool is_number_char(UChar32 c)
{
    // the analyzer's is_number(): Word_Break Numeric, MidNum, MidNumLet,
    // Single_Quote only
    int wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);
    return wb == U_WB_NUMERIC || wb == U_WB_MIDNUM || wb == U_WB_MIDNUMLET ||
           wb == U_WB_SINGLE_QUOTE;
}

// Class of an unprefixed analyzer term.
const char *analyzer_class(const char *s, size_t len)
{
    size_t cjk = 0, other = 0;
    bool number = true;
    int32_t i = 0, n = int32_t(len);
    while (i < n) {
        UChar32 c;
        U8_NEXT(s, i, n, c);
        if (c < 0) c = 0xFFFD;
        if (is_cjk(c)) {
            cjk++;
        } else {
            other++;
            if (!is_number_char(c)) number = false;
        }
    }
    if (cjk && other) return "cjk_join";
    if (cjk == 1) return "cjk_unigram";
    if (cjk == 2) return "cjk_bigram";
    if (cjk >= 3) return "cjk_word";
    return number && other ? "number" : "word";
}

// Class of any term (see the file comment); sets *positional when the
// analyzer indexes the class with positions.
std::string term_class(const std::string &t, bool *positional)
{
    const char *s = t.data();
    size_t n = t.size();
    std::string prefix;
    if (n && s[0] == SOU_PREFIX_TITLE[0]) {
        prefix = "title_";
        s++;
        n--;
    }
    std::string cls;
    if (n && s[0] == SOU_PREFIX_STEM[0]) cls = "stem";
    else if (prefix.empty() && n && s[0] == SOU_PREFIX_SOURCE[0]) cls = "source";
    else if (prefix.empty() && n >= 2 && !std::memcmp(s, SOU_PREFIX_SOURCE_PATH, 2)) cls = "path_prefix";
    else if (prefix.empty() && n >= 2 && !std::memcmp(s, SOU_PREFIX_SOURCE_COMPONENT, 2))
        cls = "path_component";
    else if (n && s[0] >= 'A' && s[0] <= 'Z') cls = "other";
    else cls = analyzer_class(s, n);
    *positional = cls != "stem" && cls != "cjk_word" && cls != "source" &&
                  cls != "path_prefix" && cls != "path_component";
    return prefix + cls;
}

struct Totals {
    uint64_t terms = 0, term_bytes = 0, postings = 0, wdf = 0, positions = 0,
             positional_postings = 0, unexpected_positions = 0;
    bool positional = false;
};

// A sou index directory opens through its sou.stub.
std::string open_path(const std::string &p)
{
    struct stat st;
    std::string stub = p + "/sou.stub";
    if (stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && stat(stub.c_str(), &st) == 0)
        return stub;
    return p;
}

void json_string(std::string &out, const std::string &s)
{
    out += '"';
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            out += b;
        } else {
            out += char(c);
        }
    }
    out += '"';
}

// Positions of one term: every posting (or only the first one unless
// `every`), each counted from its position list.
void term_positions(const Xapian::Database &db, const std::string &term, bool every,
                    bool positional, Totals &c)
{
    for (auto p = db.postlist_begin(term); p != db.postlist_end(term); ++p) {
        Xapian::termcount np = 0;
        for (auto q = p.positionlist_begin(); q != p.positionlist_end(); ++q) np++;
        c.positions += np;
        if (np) c.positional_postings++;
        if (np && !positional) c.unexpected_positions += np;
        if (!every) break;
    }
}

Xapian::Database open_all(const std::vector<std::string> &paths)
{
    Xapian::Database db;
    for (const std::string &p : paths) db.add_database(Xapian::Database(open_path(p)));
    return db;
}

}  // namespace

int main(int argc, char **argv)
{
    bool all_positions = false, no_positions = false;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    int i = 1;
    for (; i < argc && !std::strncmp(argv[i], "--", 2); i++) {
        if (!std::strcmp(argv[i], "--all-positions")) all_positions = true;
        else if (!std::strcmp(argv[i], "--no-positions")) no_positions = true;
        else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = unsigned(std::max(1, std::atoi(argv[++i])));
        else break;
    }
    if (i >= argc || !std::strncmp(argv[i], "--", 2)) {
        std::cerr << "usage: bench-index-cost [--all-positions | --no-positions] [--threads N] INDEX...\n";
        return 2;
    }
    try {
        auto t0 = std::chrono::steady_clock::now();
        std::vector<std::string> paths(argv + i, argv + argc);
        Xapian::Database db = open_all(paths);
        // an index built without positions (metadata "sou:positions" "0",
        // index format 3) has none to count
        const std::string positions_meta = db.get_metadata("sou:positions");
        if (positions_meta == "0") no_positions = true;
        // pass 1: classes, termfreq and collection frequency (term lists only)
        std::vector<std::string> names;
        std::map<std::string, size_t> class_ids;
        std::vector<Totals> classes;
        std::vector<std::pair<std::string, size_t>> work;   // term, class id
        for (auto t = db.allterms_begin(); t != db.allterms_end(); ++t) {
            const std::string term = *t;
            bool positional = false;
            std::string cls = term_class(term, &positional);
            auto it = class_ids.find(cls);
            if (it == class_ids.end()) {
                it = class_ids.emplace(cls, classes.size()).first;
                classes.emplace_back();
                names.push_back(cls);
            }
            Totals &c = classes[it->second];
            c.positional = positional;
            c.terms++;
            c.term_bytes += term.size();
            c.postings += t.get_termfreq();
            c.wdf += db.get_collection_freq(term);
            if (!no_positions) work.emplace_back(term, it->second);
        }
        // pass 2: positions, `threads` threads (one Database each) taking
        // batches of terms in order
        std::atomic<size_t> next{0};
        std::vector<std::vector<Totals>> part(threads, std::vector<Totals>(classes.size()));
        std::vector<std::string> errors(threads);
        auto walk = [&](unsigned k) {
            try {
                Xapian::Database mine = open_all(paths);
                const size_t batch = 64;
                for (;;) {
                    size_t b = next.fetch_add(batch);
                    if (b >= work.size()) break;
                    for (size_t j = b; j < std::min(work.size(), b + batch); j++) {
                        size_t id = work[j].second;
                        bool positional = classes[id].positional;
                        term_positions(mine, work[j].first, positional || all_positions,
                                       positional, part[k][id]);
                    }
                }
            } catch (const Xapian::Error &e) {
                errors[k] = e.get_description();
            }
        };
        std::vector<std::thread> pool;
        for (unsigned k = 0; k < threads; k++) pool.emplace_back(walk, k);
        for (std::thread &t : pool) t.join();
        for (unsigned k = 0; k < threads; k++) {
            if (!errors[k].empty()) {
                std::cerr << "bench-index-cost: " << errors[k] << "\n";
                return 1;
            }
            for (size_t id = 0; id < classes.size(); id++) {
                classes[id].positions += part[k][id].positions;
                classes[id].positional_postings += part[k][id].positional_postings;
                classes[id].unexpected_positions += part[k][id].unexpected_positions;
            }
        }
        std::map<std::string, Totals> by_name;
        for (size_t id = 0; id < classes.size(); id++) by_name[names[id]] = classes[id];
        Totals all;
        for (const auto &kv : by_name) {
            const Totals &c = kv.second;
            all.terms += c.terms;
            all.term_bytes += c.term_bytes;
            all.postings += c.postings;
            all.wdf += c.wdf;
            all.positions += c.positions;
            all.positional_postings += c.positional_postings;
            all.unexpected_positions += c.unexpected_positions;
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::string out = "{\"indexes\":[";
        for (size_t k = 0; k < paths.size(); k++) {
            if (k) out += ',';
            json_string(out, paths[k]);
        }
        auto row = [&](const Totals &c) {
            char b[320];
            std::snprintf(b, sizeof b,
                          "{\"terms\":%llu,\"term_bytes\":%llu,\"postings\":%llu,\"wdf\":%llu,"
                          "\"positions\":%llu,\"positional_postings\":%llu,"
                          "\"unexpected_positions\":%llu",
                          (unsigned long long)c.terms, (unsigned long long)c.term_bytes,
                          (unsigned long long)c.postings, (unsigned long long)c.wdf,
                          (unsigned long long)c.positions,
                          (unsigned long long)c.positional_postings,
                          (unsigned long long)c.unexpected_positions);
            out += b;
        };
        char b[256];
        std::snprintf(b, sizeof b,
                      "],\"documents\":%u,\"total_length\":%llu,\"seconds\":%.3f,\"threads\":%u,"
                      "\"positions_counted\":%s,",
                      db.get_doccount(), (unsigned long long)db.get_total_length(), secs,
                      threads, no_positions ? "false" : "true");
        out += b;
        out += "\"positions_method\":";
        json_string(out, positions_meta == "0" ? "none: index built without positions (sou:positions 0)"
                         : no_positions ? "not counted (--no-positions)" : all_positions
            ? "exact for every class: PostingIterator::positionlist_begin(), counted, on every posting"
            : "exact for classes indexed with positions (PostingIterator::positionlist_begin(), "
              "counted, on every posting); classes indexed without positions checked on each term's "
              "first posting only");
        out += ",\"sou_positions\":";
        json_string(out, positions_meta);
        out += ",\"total\":";
        row(all);
        out += "},\"classes\":{";
        bool first = true;
        for (const auto &kv : by_name) {
            if (!first) out += ',';
            first = false;
            json_string(out, kv.first);
            out += ':';
            row(kv.second);
            out += kv.second.positional ? ",\"positional_class\":true}" : ",\"positional_class\":false}";
        }
        out += "}}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
    } catch (const Xapian::Error &e) {
        std::cerr << "bench-index-cost: " << e.get_description() << "\n";
        return 1;
    }
    return 0;
}
