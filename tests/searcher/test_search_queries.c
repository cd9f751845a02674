/* test_search_queries.c - hand-checked query results on the small test
 * corpus (tests/searcher/corpus, indexed by the real sou-index): Traditional
 * <-> Simplified, full-width, stems, phrases, NOT, OR, prefix, title:,
 * source:, collapse, mixed Han+Latin, pure negatives, lenient mode; syntax
 * errors with their columns; highlight coverage; snippets; explain.
 *
 * usage: test_search_queries HAND_INDEX_DIR TEST_CORPUS_DIR
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "sou/store.h"
#include "sou/terms.h"

/* Expected passages, named "path-under-corpus:ordinal", space separated;
 * each read off the corpus files by hand. */
static const struct {
    const char *query;
    unsigned flags;
    const char *expect;
} cases[] = {
    /* Traditional query finds Simplified (and Traditional) passages */
    {"網絡", 0, "zh-cn/network.txt:0 zh-cn/network.txt:3 zh-cn/network.txt:4 zh-tw/network.txt:2 "
               "mixed/tech.txt:1"},
    /* Simplified query finds Traditional passages; 网路 is not 网络 */
    {"网路设定", 0, "zh-tw/network.txt:0"},
    /* ICU's word rules (螢幕 -> 荧幕, but 螢 -> 萤 per character): each
     * spelling finds the others, only inside those words */
    {"荧幕", 0, "zh-tw/words.txt:0 zh-cn/words.txt:0"},
    {"螢幕", 0, "zh-tw/words.txt:0 zh-cn/words.txt:0"},
    {"萤火虫", 0, "zh-cn/words.txt:2"},
    {"沉默", 0, "zh-tw/words.txt:1"},
    {"计划", 0, "zh-tw/words.txt:2 zh-cn/words.txt:1"},
    {"计画书", 0, "zh-tw/words.txt:2"},
    {"设定", 0, "zh-tw/network.txt:0 zh-tw/network.txt:1 zh-tw/network.txt:3 zh-tw/network.txt:4"},
    {"为什么", 0, "zh-cn/network.txt:5 zh-tw/network.txt:4"},
    /* one character: every passage with it, both scripts */
    {"網", 0, "zh-cn/network.txt:0 zh-cn/network.txt:3 zh-cn/network.txt:4 zh-tw/network.txt:0 "
              "zh-tw/network.txt:1 zh-tw/network.txt:2 zh-tw/network.txt:3 mixed/fullwidth.txt:2 "
              "mixed/tech.txt:1"},
    /* full-width and half-width */
    {"ＵＳＢ", 0, "en/handbook.md:2 zh-cn/network.txt:2 mixed/fullwidth.txt:0"},
    {"usb", 0, "en/handbook.md:2 zh-cn/network.txt:2 mixed/fullwidth.txt:0"},
    {"Libre", 0, "mixed/fullwidth.txt:1"},
    /* stems: configuring ~ configured ~ configuration (Snowball: configur) */
    {"configuring", 0, "en/handbook.md:0 en/handbook.md:1 en/manual.txt:1"},
    {"\"configured\"", 0, "en/handbook.md:1"},
    /* AND, phrase */
    {"quick brown", 0, "en/handbook.md:3 en/handbook.md:4"},
    {"\"quick brown\"", 0, "en/handbook.md:3"},
    {"\"brown fox\"", 0, "en/handbook.md:3"},
    /* NOT */
    {"dog -brown", 0, "en/manual.txt:2"},
    {"dog NOT fox", 0, "en/handbook.md:5 en/manual.txt:2"},
    {"-dog -使用 -网 -apt -the", 0, NULL},   /* count checked below */
    /* OR, groups */
    {"fox OR barks", 0, "en/handbook.md:3 en/handbook.md:4 en/manual.txt:2"},
    {"(fox OR barks) -brown", 0, "en/manual.txt:2"},
    {"dog AND (lazy OR bread)", 0, "en/handbook.md:3 en/handbook.md:5"},
    {"+dog +barks", 0, "en/manual.txt:2"},
    /* prefix */
    {"config*", 0, "en/handbook.md:0 en/handbook.md:1 en/manual.txt:1"},
    /* title: */
    {"title:quick", 0, "en/manual.txt:0 en/manual.txt:1 en/manual.txt:2"},
    {"dog title:quick", 0, "en/manual.txt:2"},
    {"title:(manual tools) carrier", 0, "en/manual.txt:2"},
    {"title:\"quick tools\"", 0, "en/manual.txt:0 en/manual.txt:1 en/manual.txt:2"},
    {"title:\"tools quick\"", 0, ""},
    {"title:網路 设定", 0, "zh-tw/network.txt:0 zh-tw/network.txt:1 zh-tw/network.txt:3 zh-tw/network.txt:4"},
    /* source: component, basename without extension */
    {"network source:zh-tw", 0, "zh-tw/network.txt:1"},
    {"dog source:handbook", 0, "en/handbook.md:3 en/handbook.md:4 en/handbook.md:5"},
    {"dog -source:handbook", 0, "en/manual.txt:2"},
    {"使用 source:mixed", 0, "mixed/fullwidth.txt:2 mixed/tech.txt:0 mixed/tech.txt:8 mixed/tech.txt:9"},
    /* mixed Han + Latin: exact substring, Latin side at word boundaries */
    {"使用Xapian", 0, "zh-tw/network.txt:2 mixed/fullwidth.txt:2 mixed/tech.txt:9"},
    {"重跑gen-itgc后", 0, "zh-cn/network.txt:2"},
    {"重跑gen", 0, "zh-cn/network.txt:2"},
    {"sshd_config文件", 0, "zh-cn/network.txt:1"},
    {"IPv6的网络", 0, "zh-cn/network.txt:3"},
    /* positions ignore spaces: the quoted words are adjacent either way */
    {"\"使用 Xapian\"", 0, "zh-tw/network.txt:2 mixed/fullwidth.txt:2 mixed/tech.txt:9"},
    {"使用Xapian2", 0, "mixed/tech.txt:8"},
    {"用SSH登录", 0, "mixed/tech.txt:5"},
    /* lenient: operators are words, syntax errors are not errors */
    {"dog -brown", SOU_QUERY_LENIENT, "en/handbook.md:3 en/handbook.md:4 en/handbook.md:5"},
    {"(fox \"quick", SOU_QUERY_LENIENT, "en/handbook.md:3 en/handbook.md:4"},
    /* nothing searchable */
    {"!!! ...", 0, ""},
};

/* Malformed queries: the error names the problem at this 1-based column. */
static const struct {
    const char *query;
    size_t column;
    const char *words;   /* must appear in the message */
} bad[] = {
    {"\"quick brown", 1, "quote"},
    {"dog \"quick", 5, "quote"},
    {"(dog", 1, "never closed"},
    {"a ((b)", 3, "never closed"},
    {"dog)", 4, "')'"},
    {"dog OR", 5, "OR"},
    {"OR dog", 1, "OR"},
    {"dog AND", 5, "AND"},
    {"dog -", 5, "'-'"},
    {"dog +", 5, "'+'"},
    {"NOT", 1, "NOT"},
    {"dog NOT", 5, "NOT"},
    {"()", 1, "empty"},
    {"title:", 1, "title:"},
    {"网络 OR", 4, "OR"},
    {"网络 (安全 OR) x", 8, "OR"},
};

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
    return 0;
}

static size_t list_len(const char *list)
{
    size_t n = 0;
    for (const char *p = list; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        n++;
        while (*p && *p != ' ') p++;
    }
    return n;
}

static int is_wildcard(const char *q) { return strchr(q, '*') != NULL; }

static void test_cases(sou_index *ix, sou_analyzer *an)
{
    char name[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sou_search_query *q = NULL;
        sou_error err;
        int rc;
        sou_results *res = t_run(ix, cases[i].query, cases[i].flags, NULL, &q, &rc, &err);
        CHECK(rc == 0, "query %s: rc %d %s", cases[i].query, rc, err.msg);
        if (rc) continue;
        size_t n = sou_results_size(res);
        if (cases[i].expect) {
            size_t want = list_len(cases[i].expect), hit = 0;
            for (size_t k = 0; k < n; k++) {
                t_name(sou_results_get(res, k), name, sizeof name);
                if (in_list(cases[i].expect, name)) hit++;
                else CHECK(0, "query %s: unexpected %s", cases[i].query, name);
            }
            CHECK(hit == want && n == want, "query %s: %zu results, %zu expected of %zu (query %s)",
                  cases[i].query, n, hit, want, sou_search_query_describe(q));
        }
        if (!is_wildcard(cases[i].query) && !(cases[i].flags & SOU_QUERY_LENIENT))
            for (size_t k = 0; k < n; k++) {
                const sou_result *r = sou_results_get(res, k);
                t_check_highlights(an, q, r, cases[i].query);
                CHECK(r->n_highlights > 0 || cases[i].query[0] == '-' ||
                          strncmp(cases[i].query, "title:", 6) == 0,
                      "query %s: %s has no highlight", cases[i].query,
                      t_name(r, name, sizeof name));
            }
        sou_results_free(res);
        sou_search_query_free(q);
    }
    printf("hand-checked queries: %zu\n", sizeof cases / sizeof cases[0]);
}

static void test_errors(sou_index *ix)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sou_search_query *q = NULL;
        sou_error err = {0};
        int rc = sou_search_query_parse(ix, bad[i].query, strlen(bad[i].query), 0, &q, &err);
        char col[32];
        snprintf(col, sizeof col, "column %zu", bad[i].column);
        CHECK(rc == SOU_EQUERY, "bad query %s: rc %d", bad[i].query, rc);
        CHECK(strstr(err.msg, col) && strstr(err.msg, bad[i].words),
              "bad query %s: message \"%s\" lacks \"%s\" / \"%s\"", bad[i].query, err.msg, col,
              bad[i].words);
        sou_search_query_free(q);
        /* lenient mode accepts every one of them */
        rc = sou_search_query_parse(ix, bad[i].query, strlen(bad[i].query), SOU_QUERY_LENIENT,
                                    &q, &err);
        CHECK(rc == 0, "lenient %s: rc %d %s", bad[i].query, rc, err.msg);
        sou_search_query_free(q);
    }
    /* 10,000 nested parentheses: an error, not a crash */
    size_t depth = 10000;
    char *deep = malloc(2 * depth + 4);
    memset(deep, '(', depth);
    memcpy(deep + depth, "dog", 3);
    memset(deep + depth + 3, ')', depth);
    sou_search_query *q = NULL;
    sou_error err = {0};
    int rc = sou_search_query_parse(ix, deep, 2 * depth + 3, 0, &q, &err);
    CHECK(rc == SOU_EQUERY && strstr(err.msg, "column 101") && strstr(err.msg, "deeper"),
          "10000 parens: rc %d %s", rc, err.msg);
    sou_search_query_free(q);
    /* exactly the limit is fine */
    size_t ok = SOU_QUERY_MAX_DEPTH;
    memmove(deep + ok, deep + depth, 3);
    memset(deep + ok + 3, ')', ok);
    rc = sou_search_query_parse(ix, deep, 2 * ok + 3, 0, &q, &err);
    CHECK(rc == 0, "%zu parens: rc %d %s", ok, rc, err.msg);
    sou_search_query_free(q);
    /* 10,000 NOTs and minus signs: no recursion either */
    for (size_t i = 0; i < depth; i++) deep[i] = '-';
    memcpy(deep + depth, "dog", 3);
    rc = sou_search_query_parse(ix, deep, depth + 3, 0, &q, &err);
    CHECK(rc == 0, "10000 minus signs: rc %d %s", rc, err.msg);
    sou_search_query_free(q);
    free(deep);
    /* NUL bytes and invalid UTF-8 are data */
    static const char weird[] = "dog\0brown \xff\xfe \xe7\xbd";
    rc = sou_search_query_parse(ix, weird, sizeof weird - 1, 0, &q, &err);
    CHECK(rc == 0, "NUL/invalid UTF-8 query: rc %d %s", rc, err.msg);
    sou_search_query_free(q);
    printf("malformed queries: %zu (+ deep nesting, NUL, invalid UTF-8)\n", sizeof bad / sizeof bad[0]);
}

static void test_counts_collapse_paging(sou_index *ix)
{
    sou_error err;
    int rc;
    uint64_t total = 0, n;
    sou_index_doccount(ix, &total, &err);
    /* pure negative: everything except */
    sou_search_query *q = NULL;
    sou_results *res = t_run(ix, "-dog", 0, NULL, &q, &rc, &err);
    CHECK(rc == 0 && sou_results_size(res) == total - 4, "-dog: %zu of %llu",
          sou_results_size(res), (unsigned long long)total);
    CHECK(sou_search_count(ix, q, 0, &n, &err) == 0 && n == total - 4, "count -dog: %llu",
          (unsigned long long)n);
    sou_results_free(res);
    sou_search_query_free(q);

    /* collapse: best passage per source */
    sou_search_options o;
    sou_search_options_default(&o);
    o.limit = 0;
    o.collapse = 1;
    res = t_run(ix, "dog", 0, &o, &q, &rc, &err);
    CHECK(rc == 0 && sou_results_size(res) == 2, "collapse dog: %zu", sou_results_size(res));
    char a[256], b[256];
    if (sou_results_size(res) == 2) {
        t_name(sou_results_get(res, 0), a, sizeof a);
        t_name(sou_results_get(res, 1), b, sizeof b);
        CHECK(strncmp(a, b, 10) != 0, "collapse dog: same source twice: %s %s", a, b);
    }
    CHECK(sou_search_count(ix, q, 1, &n, &err) == 0 && n == 2, "collapsed count: %llu",
          (unsigned long long)n);
    sou_results_free(res);

    /* paging: offset/limit slice the full ranking */
    o.collapse = 0;
    sou_results *all = t_run(ix, "网", 0, &o, NULL, &rc, &err);
    o.offset = 2;
    o.limit = 3;
    sou_results *page = t_run(ix, "网", 0, &o, NULL, &rc, &err);
    CHECK(sou_results_size(page) == 3, "page size %zu", sou_results_size(page));
    for (size_t i = 0; i < sou_results_size(page) && i + 2 < sou_results_size(all); i++)
        CHECK(sou_results_get(page, i)->docid == sou_results_get(all, i + 2)->docid,
              "page item %zu differs", i);
    sou_results_free(all);
    sou_results_free(page);
    sou_search_query_free(q);

    /* explain: the BM25 parts of a one-word query (its stem and, from the
     * title boost, the title's stem) sum to the score */
    o.offset = 0;
    o.limit = 0;
    res = t_run(ix, "dog", 0, &o, &q, &rc, &err);
    CHECK(sou_search_explain(ix, q, &o, res, 0, NULL, NULL, NULL, &err) == SOU_EINVAL,
          "explain without with_doclen");
    sou_results_free(res);
    sou_search_query_free(q);
    o.with_doclen = 1;
    res = t_run(ix, "dog", 0, &o, &q, &rc, &err);
    for (size_t i = 0; i < sou_results_size(res); i++) {
        sou_explain_part parts[4];
        uint64_t N;
        double av;
        CHECK(sou_search_query_term_count(q) == 2, "dog: %zu terms",
              sou_search_query_term_count(q));
        rc = sou_search_explain(ix, q, &o, res, i, parts, &N, &av, &err);
        double score = sou_results_get(res, i)->score;
        double sum = parts[0].weight + parts[1].weight;
        CHECK(rc == 0 && fabs(sum - score) < 1e-6 * (1 + score),
              "explain dog #%zu: %g vs score %g", i, sum, score);
    }
    sou_results_free(res);
    sou_search_query_free(q);
    /* title boost: "network" is in handbook.md's title ("Configuring the
     * network"), not manual.txt's: handbook's passages rank first, the
     * title part of explain is positive there and zero elsewhere, and the
     * matches are still only the passages whose text has the word */
    res = t_run(ix, "network", 0, &o, &q, &rc, &err);
    CHECK(rc == 0 && sou_results_size(res) > 0, "network: rc %d", rc);
    {
        int seen_other = 0;
        for (size_t i = 0; i < sou_results_size(res); i++) {
            const sou_result *r = sou_results_get(res, i);
            char nm[512];
            int titled = strncmp(t_name(r, nm, sizeof nm), "en/handbook.md:", 15) == 0;
            CHECK(!(titled && seen_other), "network #%zu: titled passage after another", i);
            if (!titled) seen_other = 1;
            sou_explain_part parts[4];
            CHECK(sou_search_query_term_count(q) == 2, "network: %zu terms",
                  sou_search_query_term_count(q));
            rc = sou_search_explain(ix, q, &o, res, i, parts, NULL, NULL, &err);
            double sum = parts[0].weight + parts[1].weight;
            size_t ti = parts[0].term[0] == 'S' ? 0 : 1;
            CHECK(rc == 0 && fabs(sum - r->score) < 1e-6 * (1 + r->score),
                  "explain network #%zu: %g vs score %g", i, sum, r->score);
            CHECK(titled ? parts[ti].weight > 0 : parts[ti].weight == 0,
                  "network #%zu: title part %g", i, parts[ti].weight);
            CHECK(r->n_highlights > 0, "network #%zu: matched by its title only", i);
        }
        CHECK(seen_other, "network: manual.txt's passage missing");
    }
    sou_results_free(res);
    sou_search_query_free(q);
    /* and BM25 parameters change scores as set */
    o.k1 = 0;   /* k1 = 0: no tf/length part, score = idf sum */
    res = t_run(ix, "dog", 0, &o, &q, &rc, &err);
    CHECK(rc == 0 && sou_results_size(res) == 4, "k1=0: %zu", sou_results_size(res));
    for (size_t i = 1; i < sou_results_size(res); i++)
        CHECK(fabs(sou_results_get(res, i)->score - sou_results_get(res, 0)->score) < 1e-9,
              "k1=0 scores differ");
    sou_results_free(res);
    sou_search_query_free(q);
    o.k1 = -1;
    res = t_run(ix, "dog", 0, &o, NULL, &rc, &err);
    CHECK(rc == SOU_EINVAL && !res, "k1=-1 accepted");
}

/* source: with a path prefix (source ids are the paths given to sou-index) */
static void test_source_paths(sou_index *ix, const char *corpus)
{
    static const struct { const char *suffix, *expect; } rows[] = {
        {"/en/", "en/handbook.md:3 en/handbook.md:4 en/handbook.md:5 en/manual.txt:2"},
        {"/en", "en/handbook.md:3 en/handbook.md:4 en/handbook.md:5 en/manual.txt:2"},
        {"/en/manual.txt", "en/manual.txt:2"},
        {"/e", ""},   /* a prefix must end at a '/' */
    };
    char query[1024], name[256];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(query, sizeof query, "dog source:%s%s", corpus, rows[i].suffix);
        sou_error err;
        int rc;
        sou_results *res = t_run(ix, query, 0, NULL, NULL, &rc, &err);
        size_t n = sou_results_size(res), hit = 0;
        for (size_t k = 0; k < n; k++)
            hit += in_list(rows[i].expect, t_name(sou_results_get(res, k), name, sizeof name));
        CHECK(rc == 0 && hit == n && n == list_len(rows[i].expect), "%s: %zu results, %zu expected",
              query, n, hit);
        sou_results_free(res);
    }
}

static void test_snippets(sou_index *ix, sou_analyzer *an)
{
    sou_error err;
    int rc;
    char name[256];
    sou_search_query *q = NULL;
    /* a Simplified query highlights the Traditional characters */
    sou_results *res = t_run(ix, "网络连线", 0, NULL, &q, &rc, &err);
    CHECK(rc == 0 && sou_results_size(res) == 1, "网络连线: %zu", sou_results_size(res));
    if (sou_results_size(res) == 1) {
        const sou_result *r = sou_results_get(res, 0);
        CHECK(r->n_highlights == 1, "网络连线: %zu highlights", r->n_highlights);
        if (r->n_highlights == 1)
            CHECK(r->highlights[0].end - r->highlights[0].start == 12 &&
                      memcmp(r->text + r->highlights[0].start, "網絡連線", 12) == 0,
                  "网络连线 highlights \"%.*s\"",
                  (int)(r->highlights[0].end - r->highlights[0].start),
                  r->text + r->highlights[0].start);
    }
    sou_results_free(res);
    sou_search_query_free(q);
    /* a phrase highlights only whole occurrences: "brown fox" in
     * "A brown dog and a quick fox" matches nothing, in :3 both words */
    res = t_run(ix, "\"brown fox\"", 0, NULL, &q, &rc, &err);
    if (sou_results_size(res) == 1) {
        const sou_result *r = sou_results_get(res, 0);
        CHECK(r->n_highlights == 2, "\"brown fox\": %zu spans", r->n_highlights);
        t_check_highlights(an, q, r, "brown fox");
    }
    sou_results_free(res);
    sou_search_query_free(q);
    /* full-width text highlighted for a half-width query */
    res = t_run(ix, "libre", 0, NULL, &q, &rc, &err);
    if (sou_results_size(res) == 1) {
        const sou_result *r = sou_results_get(res, 0);
        CHECK(r->n_highlights == 2 && r->n_highlights == r->n_snippet_highlights,
              "libre: %zu spans", r->n_highlights);
        if (r->n_highlights == 2)
            CHECK(memcmp(r->text + r->highlights[0].start, "Ｌｉｂｒｅ", 15) == 0 &&
                      memcmp(r->text + r->highlights[1].start, "Libre", 5) == 0,
                  "libre spans wrong");
        CHECK(strcmp(r->snippet, r->text) != 0 || r->snippet_len == r->text_len,
              "short passage snippet is the text");
    }
    sou_results_free(res);
    sou_search_query_free(q);
    /* short windows: measured in characters, cut with "…", centred on a match */
    sou_search_options o;
    sou_search_options_default(&o);
    o.snippet_chars = 8;
    o.limit = 0;
    res = t_run(ix, "驱动", 0, &o, &q, &rc, &err);
    CHECK(sou_results_size(res) == 1, "驱动: %zu", sou_results_size(res));
    if (sou_results_size(res) == 1) {
        const sou_result *r = sou_results_get(res, 0);
        size_t chars = 0;
        for (size_t i = 0; i < r->snippet_len; i++)
            if (((unsigned char)r->snippet[i] & 0xC0) != 0x80) chars++;
        CHECK(chars <= 8 + 2, "snippet %s has %zu chars", r->snippet, chars);
        CHECK(strncmp(r->snippet, "…", 3) == 0 &&
                  strcmp(r->snippet + r->snippet_len - 3, "…") == 0,
              "snippet \"%s\" lacks ellipses", r->snippet);
        CHECK(r->n_snippet_highlights == 1 &&
                  memcmp(r->snippet + r->snippet_highlights[0].start, "驱动", 6) == 0,
              "snippet \"%s\" highlight wrong", r->snippet);
        t_check_highlights(an, q, r, t_name(r, name, sizeof name));
    }
    sou_results_free(res);
    sou_search_query_free(q);
}

/* An index whose analysis identity is not ours is refused, naming both. */
static void test_identity(sou_analyzer *an)
{
    char dir[] = "/tmp/sou-test-identity-XXXXXX";
    if (!mkdtemp(dir)) return;
    char db[sizeof dir + 8];
    snprintf(db, sizeof db, "%s/db", dir);
    sou_writer *w;
    sou_doc *d;
    sou_error err = {0};
    int rc = sou_writer_open(db, &w, &err);
    CHECK(rc == 0, "writer: %s", err.msg);
    if (rc) return;
    static const char other[] = "sou-analyzer/0 icu/1.0 other";
    sou_doc_new(&d);
    sou_doc_add_posting(d, "dog", 3, 0);
    sou_writer_add(w, d, &err);
    sou_writer_set_metadata(w, SOU_META_IDENTITY, other, sizeof other - 1, &err);
    sou_writer_commit(w, &err);
    sou_doc_free(d);
    sou_writer_close(w);
    const char *paths[1] = {db};
    sou_index *ix = NULL;
    rc = sou_index_open(paths, 1, NULL, &ix, &err);
    CHECK(rc == SOU_EIDENTITY && strstr(err.msg, other) &&
              strstr(err.msg, sou_analyzer_identity(an)),
          "identity mismatch: rc %d \"%s\"", rc, err.msg);
    sou_index_close(ix);
    ix = NULL;
    /* our identity but the format-1 layout (records in document data) */
    rc = sou_writer_open(db, &w, &err);
    CHECK(rc == 0, "writer: %s", err.msg);
    if (rc) return;
    const char *ours = sou_analyzer_identity(an);
    sou_writer_set_metadata(w, SOU_META_IDENTITY, ours, strlen(ours), &err);
    sou_writer_set_metadata(w, SOU_META_FORMAT, "1", 1, &err);
    sou_writer_commit(w, &err);
    sou_writer_close(w);
    rc = sou_index_open(paths, 1, NULL, &ix, &err);
    CHECK(rc == SOU_EVERSION && strstr(err.msg, "format \"1\"") && strstr(err.msg, "re-index"),
          "format mismatch: rc %d \"%s\"", rc, err.msg);
    sou_index_close(ix);
    /* missing index: not found, not a crash */
    paths[0] = "/nonexistent/sou-index";
    rc = sou_index_open(paths, 1, NULL, &ix, &err);
    CHECK(rc != 0 && ix == NULL, "nonexistent index opened");
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s HAND_INDEX_DIR\n", argv[0]);
        return 2;
    }
    sou_index *ix = t_open(argv[1]);
    sou_analyzer *an;
    if (sou_analyzer_new(NULL, &an)) return 2;
    test_cases(ix, an);
    test_errors(ix);
    test_counts_collapse_paging(ix);
    test_snippets(ix, an);
    if (argc > 2) test_source_paths(ix, argv[2]);

    test_identity(an);
    sou_analyzer_free(an);
    sou_index_close(ix);
    printf("%d checks, %d failures\n", tl_checks, tl_failures);
    return tl_failures ? 1 : 0;
}
