/* test_store.c - the Xapian shim (sou/store.h) against real Xapian indexes.
 *
 * A small table of passages is indexed with whitespace tokens; every query
 * result is checked against a brute-force oracle over the same table. Then:
 * delete by term, metadata, uncommitted changes dropped, compaction (same
 * documents and scores as the shards opened together), error codes (missing,
 * locked, read-only, corrupt), and remote shards served by real
 * xapian-tcpsrv processes on 127.0.0.1 that the test starts and kills.
 */
#define _GNU_SOURCE
#include "sou/record.h"
#include "sou/store.h"
#include "sou/terms.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK_RC(rc, want, err)                                            \
    CHECK((rc) == (want), "rc %d (%s), want %d (%s): %s", (rc),            \
          sou_strerror(rc), (want), sou_strerror(want), (err).msg)

static char base[256];

/* ---- the corpus and its oracle ------------------------------------------ */

typedef struct passage {
    const char *source;
    unsigned ordinal;
    const char *text;   /* space-separated lower-case words */
} passage;

static const passage corpus[] = {
    {"docs/a.txt", 0, "the quick brown fox jumps over the lazy dog"},
    {"docs/a.txt", 1, "a quick brown dog and a quiet fox"},
    {"docs/a.txt", 2, "brown quick fox quick brown fox"},
    {"docs/b.txt", 0, "quantum physics of the brown dwarf"},
    {"docs/b.txt", 1, "the lazy river runs quick and quiet"},
    {"docs/c.txt", 0, "dog dog dog dog fox"},
    {"docs/c.txt", 1, "nothing to see here"},
    {"man/ls.1", 0, "list directory contents quickly"},
    {"man/ls.1", 1, "the quick listing of brown files"},
    {"man/cp.1", 0, "copy files and directories"},
    {"man/cp.1", 1, "quietly copy the lazy fox"},
    {"man/cp.1", 2, "quick quick quick"},
};
#define NCORPUS (sizeof corpus / sizeof corpus[0])

/* word i of text (0-based) into buf; 0 if there is none */
static int word_at(const char *text, int i, char *buf, size_t cap)
{
    const char *p = text;
    for (int k = 0;; k++) {
        while (*p == ' ') p++;
        if (!*p) return 0;
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (k == i) {
            if (n >= cap) n = cap - 1;
            memcpy(buf, p, n);
            buf[n] = '\0';
            return 1;
        }
        p += n;
    }
}

static int nwords(const char *text)
{
    char w[64];
    int n = 0;
    while (word_at(text, n, w, sizeof w)) n++;
    return n;
}

static int has_word(const char *text, const char *word)
{
    char w[64];
    for (int i = 0; word_at(text, i, w, sizeof w); i++)
        if (strcmp(w, word) == 0) return 1;
    return 0;
}

static int has_prefix_word(const char *text, const char *prefix)
{
    char w[64];
    for (int i = 0; word_at(text, i, w, sizeof w); i++)
        if (strncmp(w, prefix, strlen(prefix)) == 0) return 1;
    return 0;
}

static int has_phrase(const char *text, const char *w1, const char *w2)
{
    char a[64], b[64];
    for (int i = 0; word_at(text, i + 1, b, sizeof b); i++) {
        word_at(text, i, a, sizeof a);
        if (strcmp(a, w1) == 0 && strcmp(b, w2) == 0) return 1;
    }
    return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static char *path_in_base(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 512, "%s/%s", base, name);
    return b;
}

static void add_passage(sou_writer *w, sou_doc *d, const passage *p)
{
    sou_error err;
    sou_doc_clear(d);
    char word[64];
    for (int i = 0; word_at(p->text, i, word, sizeof word); i++)
        CHECK(sou_doc_add_posting(d, word, strlen(word), (uint32_t)i + 1) == 0, "%s", word);
    char q[128];
    snprintf(q, sizeof q, "%s%s", SOU_PREFIX_SOURCE, p->source);
    CHECK(sou_doc_add_boolean(d, q, strlen(q)) == 0, "%s", q);
    CHECK(sou_doc_set_value(d, SOU_SLOT_SOURCE, p->source, strlen(p->source)) == 0, "value");
    sou_record r = {p->ordinal, 0, strlen(p->text), p->source, strlen(p->source),
                    "title", 5, p->text, strlen(p->text)};
    char *data;
    size_t len;
    CHECK(sou_record_encode(&r, &data, &len) == 0, "encode");
    CHECK(sou_doc_set_record(d, data, len) == 0, "record");
    free(data);
    int rc = sou_writer_add(w, d, &err);
    CHECK_RC(rc, 0, err);
}

/* 1: new indexes keep their records in the record file only
 * (SOU_META_RECORDS "file"; test_records_file_only). */
static int file_only;

/* Add corpus rows [from, to) with stride step to the index at dir (created
 * if missing); commit, or close without committing (the rows are dropped). */
static void write_rows(const char *dir, size_t from, size_t to, size_t step, int commit)
{
    sou_writer *w = NULL;
    sou_doc *d = NULL;
    sou_error err;
    int rc = sou_writer_open(dir, &w, &err);
    CHECK_RC(rc, 0, err);
    if (rc) return;
    if (file_only) {
        rc = sou_writer_set_metadata(w, SOU_META_RECORDS, "file", 4, &err);
        CHECK_RC(rc, 0, err);
    }
    CHECK(sou_doc_new(&d) == 0, "doc");
    for (size_t i = from; i < to; i += step) add_passage(w, d, &corpus[i]);
    if (commit) {
        rc = sou_writer_set_metadata(w, SOU_META_FORMAT, SOU_INDEX_FORMAT, 1, &err);
        CHECK_RC(rc, 0, err);
        rc = sou_writer_commit(w, &err);
        CHECK_RC(rc, 0, err);
    }
    sou_doc_free(d);
    sou_writer_close(w);
}

/* Index corpus rows [from, to) with stride step into a new index at dir. */
static void build_index(const char *dir, size_t from, size_t to, size_t step)
{
    write_rows(dir, from, to, step, 1);
}

static sou_reader *open_reader(const char *const *shards, size_t n, int partial)
{
    sou_reader *r = NULL;
    sou_error err;
    sou_reader_options o = {2000, 2000, partial};
    int rc = sou_reader_open(shards, n, &o, &r, &err);
    CHECK_RC(rc, 0, err);
    return r;
}

static const sou_search_params params = {.limit = 100, .k1 = 1.2, .b = 0.75,
                                         .check_at_least = 1000};

/* Result as (text -> score): bitmask of corpus rows plus scores by row. */
typedef struct result {
    unsigned rows;          /* bit i: corpus row i matched */
    double score[NCORPUS];
    size_t n;
    int rc;
} result;

static int row_of_record(const char *data, size_t len)
{
    sou_record r;
    if (sou_record_decode(data, len, &r)) return -1;
    for (size_t i = 0; i < NCORPUS; i++)
        if (r.text_len == strlen(corpus[i].text) && memcmp(r.text, corpus[i].text, r.text_len) == 0 &&
            r.source_len == strlen(corpus[i].source) &&
            memcmp(r.source, corpus[i].source, r.source_len) == 0 && r.ordinal == corpus[i].ordinal)
            return (int)i;
    return -1;
}

static result run(sou_reader *r, const sou_query *q, const sou_search_params *pp,
                  sou_error *errout)
{
    result res;
    memset(&res, 0, sizeof res);
    sou_hits hits;
    sou_error err;
    sou_error_clear(&err);
    res.rc = sou_reader_search(r, q, pp ? pp : &params, &hits, &err);
    if (errout) *errout = err;
    if (res.rc) return res;
    res.n = hits.n;
    for (size_t i = 0; i < hits.n; i++) {
        int row = row_of_record(hits.hits[i].data, hits.hits[i].data_len);
        CHECK(row >= 0, "hit %zu has an unknown record", i);
        if (row < 0) continue;
        CHECK(!(res.rows & (1u << row)), "row %d twice", row);
        res.rows |= 1u << row;
        res.score[row] = hits.hits[i].score;
        CHECK(hits.hits[i].doclen == (uint32_t)nwords(corpus[row].text), "doclen %u for row %d",
              hits.hits[i].doclen, row);
        if (i > 0) CHECK(hits.hits[i - 1].score >= hits.hits[i].score, "order at %zu", i);
    }
    sou_hits_free(&hits);
    return res;
}

static sou_query *term(sou_qpool *p, const char *t)
{
    return sou_query_term(p, t, strlen(t), 1, 0);
}

/* Open dir and search it for "quick": the first error of either step.
 * Opening a damaged index may succeed; the damage shows when reading. */
static int open_and_search(const char *dir, sou_error *err)
{
    sou_reader *r = NULL;
    int rc = sou_reader_open(&dir, 1, NULL, &r, err);
    if (rc == 0) {
        sou_qpool *p;
        sou_qpool_new(&p);
        result res = run(r, term(p, "quick"), NULL, err);
        rc = res.rc;
        sou_qpool_free(p);
        sou_reader_close(r);
    }
    return rc;
}


/* ---- queries against the oracle ----------------------------------------- */

typedef struct qcase {
    const char *name;
    int kind;               /* 0 and, 1 or, 2 phrase, 3 wildcard, 4 filter, 5 and_not,
                               6 synonym */
    const char *a, *b;
} qcase;

static const qcase qcases[] = {
    {"and quick fox", 0, "quick", "fox"},
    {"and brown dog", 0, "brown", "dog"},
    {"or lazy copy", 1, "lazy", "copy"},
    {"phrase quick brown", 2, "quick", "brown"},
    {"phrase brown fox", 2, "brown", "fox"},
    {"phrase lazy dog", 2, "lazy", "dog"},
    {"wildcard qu", 3, "qu", NULL},
    {"wildcard dir", 3, "dir", NULL},
    {"filter quick in man/cp.1", 4, "quick", "Qman/cp.1"},
    {"fox and not dog", 5, "fox", "dog"},
    {"and missing word", 0, "quick", "zebra"},
    {"synonym quick fox", 6, "quick", "fox"},
};

/* Xapian 1.4 weights an OP_SYNONYM (and so a wildcard) on each shard from
 * the expansion terms present in that shard, so its scores on N shards
 * differ from one compacted index unless every term is in every shard
 * ("synonym quick fox" is; "qu*" and "dir*" are not). Only the matching
 * sets are compared for those. */
static int scores_shard_exact(const struct qcase *c)
{
    return c->kind != 3;
}
#define NQCASES (sizeof qcases / sizeof qcases[0])

static sou_query *build_case(sou_qpool *p, const qcase *c)
{
    sou_query *s[2] = {term(p, c->a), c->b ? term(p, c->b) : NULL};
    switch (c->kind) {
    case 0: return sou_query_op(p, SOU_QOP_AND, s, 2, 0);
    case 1: return sou_query_op(p, SOU_QOP_OR, s, 2, 0);
    case 2:
        s[0] = sou_query_term(p, c->a, strlen(c->a), 1, 1);
        s[1] = sou_query_term(p, c->b, strlen(c->b), 1, 2);
        return sou_query_op(p, SOU_QOP_PHRASE, s, 2, 2);
    case 3: return sou_query_wildcard(p, c->a, strlen(c->a), 0);
    case 4: return sou_query_op(p, SOU_QOP_FILTER, s, 2, 0);
    case 5: return sou_query_op(p, SOU_QOP_AND_NOT, s, 2, 0);
    case 6: return sou_query_op(p, SOU_QOP_SYNONYM, s, 2, 0);
    }
    return NULL;
}

static unsigned oracle(const qcase *c, unsigned alive)
{
    unsigned m = 0;
    for (size_t i = 0; i < NCORPUS; i++) {
        const char *t = corpus[i].text;
        int hit = 0;
        switch (c->kind) {
        case 0: hit = has_word(t, c->a) && has_word(t, c->b); break;
        case 1: hit = has_word(t, c->a) || has_word(t, c->b); break;
        case 2: hit = has_phrase(t, c->a, c->b); break;
        case 3: hit = has_prefix_word(t, c->a); break;
        case 4: hit = has_word(t, c->a) && strcmp(corpus[i].source, c->b + 1) == 0; break;
        case 5: hit = has_word(t, c->a) && !has_word(t, c->b); break;
        case 6: hit = has_word(t, c->a) || has_word(t, c->b); break;
        }
        if (hit) m |= 1u << i;
    }
    return m & alive;
}

static const unsigned ALL_ROWS = (1u << NCORPUS) - 1;

static void test_queries(void)
{
    const char *dir = path_in_base("one");
    build_index(dir, 0, NCORPUS, 1);
    sou_reader *r = open_reader(&dir, 1, 0);
    if (!r) return;
    sou_qpool *p;
    CHECK(sou_qpool_new(&p) == 0, "pool");
    for (size_t i = 0; i < NQCASES; i++) {
        sou_query *q = build_case(p, &qcases[i]);
        CHECK(q != NULL, "%s", qcases[i].name);
        if (!q) continue;
        result res = run(r, q, NULL, NULL);
        unsigned want = oracle(&qcases[i], ALL_ROWS);
        CHECK(res.rc == 0 && res.rows == want, "%s: rows %#x want %#x", qcases[i].name, res.rows, want);
    }

    /* wildcard expansion limited to the most frequent term: "qu" -> quick */
    sou_query *wq = sou_query_wildcard(p, "qu", 2, 1);
    result wr = run(r, wq, NULL, NULL);
    qcase quick = {"quick", 1, "quick", "quick"};
    CHECK(wr.rows == oracle(&quick, ALL_ROWS), "wildcard limit 1: %#x", wr.rows);

    /* MatchAll, scale 0 (pure filter: every score 0), describe */
    result all = run(r, sou_query_all(p), NULL, NULL);
    CHECK(all.rows == ALL_ROWS, "all: %#x", all.rows);
    sou_query *sc = sou_query_scale(p, term(p, "fox"), 0.0);
    result scr = run(r, sc, NULL, NULL);
    for (size_t i = 0; i < NCORPUS; i++)
        if (scr.rows & (1u << i)) CHECK(scr.score[i] == 0.0, "scaled score %g", scr.score[i]);
    result fox = run(r, term(p, "fox"), NULL, NULL);
    CHECK(scr.rows == fox.rows && fox.rows != 0, "scale 0 keeps matches");
    sou_query *sc2 = sou_query_scale(p, term(p, "fox"), 2.0);
    result scr2 = run(r, sc2, NULL, NULL);
    for (size_t i = 0; i < NCORPUS; i++)
        if (fox.rows & (1u << i))
            CHECK(fabs(scr2.score[i] - 2 * fox.score[i]) < 1e-9, "scale 2: %g vs %g", scr2.score[i],
                  fox.score[i]);
    CHECK(sou_query_scale(p, term(p, "fox"), -1.0) == NULL, "negative scale is refused");
    char *desc = sou_query_describe(build_case(p, &qcases[3]));
    CHECK(desc && strstr(desc, "PHRASE") && strstr(desc, "quick"), "describe: %s", desc ? desc : "(null)");
    free(desc);
    sou_query *bad[2] = {term(p, "a"), NULL};
    CHECK(sou_query_op(p, SOU_QOP_AND, bad, 2, 0) == NULL, "NULL sub propagates");

    /* collapse: one hit per source among the matches */
    sou_search_params cp = params;
    cp.collapse = 1;
    sou_query *quickq = term(p, "quick");
    result col = run(r, quickq, &cp, NULL);
    result nocol = run(r, quickq, NULL, NULL);
    int sources = 0;
    const char *seen[NCORPUS];
    for (size_t i = 0; i < NCORPUS; i++) {
        if (!(nocol.rows & (1u << i))) continue;
        int dup = 0;
        for (int k = 0; k < sources; k++) dup |= strcmp(seen[k], corpus[i].source) == 0;
        if (!dup) seen[sources++] = corpus[i].source;
    }
    CHECK((int)col.n == sources, "collapse: %zu hits for %d sources", col.n, sources);
    for (size_t i = 0; i < NCORPUS; i++)   /* each kept passage is its source's best */
        if (col.rows & (1u << i))
            for (size_t k = 0; k < NCORPUS; k++)
                if ((nocol.rows & (1u << k)) && strcmp(corpus[k].source, corpus[i].source) == 0)
                    CHECK(col.score[i] >= nocol.score[k], "collapse kept a worse passage");

    /* offset/limit and limit 0 */
    sou_search_params lp = params;
    lp.limit = 0;
    sou_hits h;
    sou_error err;
    int rc = sou_reader_search(r, quickq, &lp, &h, &err);
    CHECK_RC(rc, 0, err);
    CHECK(h.n == 0 && h.matches_lower == (uint64_t)__builtin_popcount(nocol.rows),
          "limit 0: n %zu lower %llu", h.n, (unsigned long long)h.matches_lower);
    sou_hits_free(&h);
    lp.limit = 2;
    lp.offset = 1;
    rc = sou_reader_search(r, quickq, &lp, &h, &err);
    CHECK(rc == 0 && h.n == 2, "offset 1 limit 2: %zu", h.n);
    sou_hits_free(&h);

    /* statistics against the oracle */
    uint64_t n, tf;
    double avl;
    CHECK(sou_reader_doccount(r, &n, &err) == 0 && n == NCORPUS, "doccount %llu", (unsigned long long)n);
    CHECK(sou_reader_termfreq(r, "fox", 3, &tf, &err) == 0 && tf == (uint64_t)__builtin_popcount(fox.rows),
          "termfreq fox %llu", (unsigned long long)tf);
    double total = 0;
    for (size_t i = 0; i < NCORPUS; i++) total += nwords(corpus[i].text);
    CHECK(sou_reader_avlength(r, &avl, &err) == 0 && fabs(avl - total / NCORPUS) < 1e-9, "avlength %g", avl);

    /* wdf: row 5 has "dog" four times; docid = row + 1 in a fresh index */
    uint32_t wdf = 99;
    CHECK(sou_reader_wdf(r, 6, "dog", 3, &wdf, &err) == 0 && wdf == 4, "wdf dog %u", wdf);
    CHECK(sou_reader_wdf(r, 6, "cat", 3, &wdf, &err) == 0 && wdf == 0, "wdf cat %u", wdf);
    CHECK(sou_reader_wdf(r, 6, "Qdocs/c.txt", 11, &wdf, &err) == 0 && wdf == 0, "boolean wdf %u", wdf);

    char *meta;
    size_t mlen;
    CHECK(sou_reader_get_metadata(r, SOU_META_FORMAT, &meta, &mlen, &err) == 0 && mlen == 1 &&
              meta[0] == SOU_INDEX_FORMAT[0] && meta[1] == 0, "metadata");
    free(meta);
    CHECK(sou_reader_get_metadata(r, "unset", &meta, &mlen, &err) == 0 && mlen == 0 && meta[0] == 0,
          "unset metadata");
    free(meta);
    CHECK(sou_reader_shard_count(r) == 1 && sou_reader_shard_ok(r, 0) &&
              strcmp(sou_reader_shard_name(r, 0), dir) == 0, "shard name");
    sou_qpool_free(p);
    sou_reader_close(r);
}

/* ---- writer behaviour ---------------------------------------------------- */

static int collect_cb(void *ctx, const char *t, size_t len)
{
    char *buf = ctx;
    strncat(buf, t, len);
    strcat(buf, "|");
    return 0;
}

static int stop_cb(void *ctx, const char *t, size_t len)
{
    (void)t; (void)len;
    return ++*(int *)ctx == 2 ? 1 : 0;
}

static void test_writer(void)
{
    const char *dir = path_in_base("w");
    sou_writer *w;
    sou_doc *d;
    sou_error err;
    int rc;
    /* Xapian would commit by itself every 3 documents; sou must not */
    setenv("XAPIAN_FLUSH_THRESHOLD", "3", 1);
    rc = sou_writer_open(dir, &w, &err);
    CHECK_RC(rc, 0, err);
    if (rc) return;
    sou_doc_new(&d);
    for (size_t i = 0; i < NCORPUS; i++) add_passage(w, d, &corpus[i]);
    uint64_t n = 0;
    CHECK(sou_writer_doccount(w, &n, &err) == 0 && n == NCORPUS, "pending doccount %llu", (unsigned long long)n);
    sou_reader *r = open_reader(&dir, 1, 0);
    CHECK(r && sou_reader_doccount(r, &n, &err) == 0 && n == 0, "reader sees %llu before commit",
          (unsigned long long)n);
    sou_writer_close(w);   /* without commit: everything is dropped */
    rc = sou_writer_open(dir, &w, &err);
    CHECK_RC(rc, 0, err);
    CHECK(sou_writer_doccount(w, &n, &err) == 0 && n == 0, "after close without commit: %llu",
          (unsigned long long)n);

    for (size_t i = 0; i < NCORPUS; i++) add_passage(w, d, &corpus[i]);
    rc = sou_writer_set_metadata(w, "k", "v\0w", 3, &err);
    CHECK_RC(rc, 0, err);
    CHECK_RC(sou_writer_commit(w, &err), 0, err);
    unsetenv("XAPIAN_FLUSH_THRESHOLD");
    char *m;
    size_t mlen;
    CHECK(sou_writer_get_metadata(w, "k", &m, &mlen, &err) == 0 && mlen == 3 && memcmp(m, "v\0w", 3) == 0,
          "metadata with NUL");
    free(m);
    CHECK(sou_writer_set_metadata(w, "", "x", 1, &err) == SOU_EINVAL, "empty key: %s", err.msg);

    /* delete a source's passages by its unique term */
    rc = sou_writer_delete_term(w, "Qman/cp.1", 9, &err);
    CHECK_RC(rc, 0, err);
    CHECK_RC(sou_writer_commit(w, &err), 0, err);
    CHECK(sou_reader_reopen(r, &err) == 0, "reopen: %s", err.msg);
    CHECK(sou_reader_doccount(r, &n, &err) == 0 && n == NCORPUS - 3, "after delete: %llu", (unsigned long long)n);
    sou_qpool *p;
    sou_qpool_new(&p);
    result res = run(r, sou_query_term(p, "copy", 4, 1, 0), NULL, NULL);
    CHECK(res.rows == 0, "deleted source still matches: %#x", res.rows);
    sou_qpool_free(p);

    char terms[1024] = "";
    rc = sou_writer_allterms(w, "Q", 1, collect_cb, terms, &err);
    CHECK(rc == 0 && strcmp(terms, "Qdocs/a.txt|Qdocs/b.txt|Qdocs/c.txt|Qman/ls.1|") == 0, "allterms %s", terms);
    int calls = 0;
    CHECK(sou_writer_allterms(w, "Q", 1, stop_cb, &calls, &err) == SOU_ESTOPPED && calls == 2, "stop");

    /* bad terms are refused per term, not per document */
    char big[SOU_TERM_MAX_BYTES + 1];
    memset(big, 'x', sizeof big);
    CHECK(sou_doc_add_posting(d, big, sizeof big, 1) == SOU_ETOOBIG, "long term");
    CHECK(sou_doc_add_term(d, big, SOU_TERM_MAX_BYTES, 1) == 0, "longest term");
    CHECK(sou_doc_add_boolean(d, "", 0) == SOU_EINVAL, "empty term");
    CHECK(sou_doc_add_posting(d, "a\0b", 3, 1) == 0, "NUL in term");
    sou_doc_free(d);
    sou_doc_free(NULL);
    sou_writer_close(w);
    sou_writer_close(NULL);
    sou_reader_close(r);
    sou_reader_close(NULL);
}

/* ---- compaction: same documents, same scores ----------------------------- */

static void compare_readers(sou_reader *a, sou_reader *b, const char *what)
{
    sou_qpool *p;
    sou_qpool_new(&p);
    for (size_t i = 0; i < NQCASES; i++) {
        sou_query *q = build_case(p, &qcases[i]);
        result ra = run(a, q, NULL, NULL), rb = run(b, q, NULL, NULL);
        CHECK(ra.rc == 0 && rb.rc == 0 && ra.rows == rb.rows, "%s %s: %#x vs %#x", what, qcases[i].name,
              ra.rows, rb.rows);
        double maxdiff = 0;
        for (size_t k = 0; k < NCORPUS; k++)
            if (ra.rows & (1u << k) && fabs(ra.score[k] - rb.score[k]) > maxdiff)
                maxdiff = fabs(ra.score[k] - rb.score[k]);
        if (!scores_shard_exact(&qcases[i])) {
            printf("%s %s: same matches, scores differ by up to %.3g (Xapian synonym stats per shard)\n",
                   what, qcases[i].name, maxdiff);
            continue;
        }
        for (size_t k = 0; k < NCORPUS; k++)
            if (ra.rows & (1u << k))
                CHECK(fabs(ra.score[k] - rb.score[k]) < 1e-9, "%s %s row %zu: %.12g vs %.12g", what,
                      qcases[i].name, k, ra.score[k], rb.score[k]);
    }
    sou_qpool_free(p);
}

static void test_compact(void)
{
    const char *s1 = path_in_base("shard1"), *s2 = path_in_base("shard2");
    const char *c = path_in_base("compact");
    build_index(s1, 0, NCORPUS, 2);
    build_index(s2, 1, NCORPUS, 2);
    const char *srcs[2] = {s1, s2};
    sou_error err;
    int rc = sou_compact(srcs, 2, c, &err);
    CHECK_RC(rc, 0, err);
    rc = sou_compact(srcs, 2, c, &err);
    CHECK(rc == SOU_EINVAL, "compact over an existing index: %d %s", rc, err.msg);
    sou_reader *both = open_reader(srcs, 2, 0);
    sou_reader *one = open_reader(&c, 1, 0);
    if (both && one) compare_readers(both, one, "compact");
    /* a stub file listing the two shards (one relative) opens the same */
    const char *stub = path_in_base("shards.stub");
    FILE *f = fopen(stub, "w");
    fprintf(f, "# two shards\n\nauto shard1\nglass %s\n", s2);
    fclose(f);
    sou_reader *st = open_reader(&stub, 1, 0);
    if (st && one) {
        compare_readers(st, one, "stub");
        CHECK(sou_reader_shard_count(st) == 2 && strcmp(sou_reader_shard_name(st, 0), s1) == 0,
              "stub shard 0: %s", sou_reader_shard_name(st, 0));
    }
    sou_reader_close(st);
    sou_reader_close(both);
    sou_reader_close(one);

    f = fopen(stub, "w");
    fprintf(f, "auto shard1\nbogus line here\n");
    fclose(f);
    sou_reader *bad = NULL;
    rc = sou_reader_open(&stub, 1, NULL, &bad, &err);
    CHECK(rc == SOU_EINVAL && strstr(err.msg, "line 2"), "bad stub: %d %s", rc, err.msg);
}

/* ---- error codes ---------------------------------------------------------- */

/* As root, permissions don't apply: check EREADONLY in a child that has
 * dropped to an unprivileged uid. Returns the child's rc, or 1 on failure
 * to run the check. */
static int writer_open_rc_as_nobody(const char *dir, char *msg, size_t cap)
{
    int fds[2];
    if (pipe(fds)) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (geteuid() == 0 && (setgid(65534) || setuid(65534))) _exit(2);
        sou_writer *w;
        sou_error err;
        sou_error_clear(&err);
        int rc = sou_writer_open(dir, &w, &err);
        if (rc == 0) sou_writer_close(w);
        char out[600];
        int n = snprintf(out, sizeof out, "%d %s", rc, err.msg);
        if (write(fds[1], out, (size_t)n) < 0) _exit(3);
        _exit(0);
    }
    close(fds[1]);
    char buf[600];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    if (n <= 0) return 1;
    buf[n] = '\0';
    int rc = atoi(buf);
    const char *sp = strchr(buf, ' ');
    snprintf(msg, cap, "%s", sp ? sp + 1 : "");
    return rc;
}

static void test_errors(void)
{
    sou_error err;
    sou_reader *r = NULL;
    sou_writer *w = NULL;
    const char *missing = path_in_base("missing");
    int rc = sou_reader_open(&missing, 1, NULL, &r, &err);
    CHECK(rc == SOU_ENOTFOUND && strstr(err.msg, missing) && strstr(err.msg, "DatabaseNotFoundError"),
          "missing: %d %s", rc, err.msg);
    const char *deep = path_in_base("no/such/parent");
    rc = sou_writer_open(deep, &w, &err);
    CHECK(rc == SOU_ENOTFOUND, "writer in missing parent: %d %s", rc, err.msg);
    const char *tcpbad = "tcp:127.0.0.1:notaport";
    rc = sou_reader_open(&tcpbad, 1, NULL, &r, &err);
    CHECK(rc == SOU_EINVAL, "bad tcp spec: %d %s", rc, err.msg);

    /* a second writer on the same index */
    const char *dir = path_in_base("locked");
    build_index(dir, 0, 3, 1);
    rc = sou_writer_open(dir, &w, &err);
    CHECK_RC(rc, 0, err);
    sou_writer *w2 = NULL;
    rc = sou_writer_open(dir, &w2, &err);
    CHECK(rc == SOU_ELOCKED && strstr(err.msg, "DatabaseLockError") && strstr(err.msg, "already locked"),
          "second writer: %d %s", rc, err.msg);
    CHECK(w2 == NULL, "no handle on failure");
    sou_writer_close(w);

    /* read-only: an existing index and a new one in a read-only directory */
    const char *rodir = path_in_base("ro");
    mkdir(rodir, 0755);
    char ro_index[512];
    snprintf(ro_index, sizeof ro_index, "%s/index", rodir);
    build_index(ro_index, 0, 3, 1);
    chmod(base, 0755);
    chmod(ro_index, 0555);
    for (const char *const *f = (const char *const[]){"flintlock", NULL}; *f; f++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", ro_index, *f);
        unlink(p);   /* the lock file must be created to write */
    }
    chmod(rodir, 0555);
    char msg[600];
    rc = writer_open_rc_as_nobody(ro_index, msg, sizeof msg);
    CHECK(rc == SOU_EREADONLY, "read-only index: %d %s", rc, msg);
    if (rc == SOU_EREADONLY) printf("read-only index: %s\n", msg);
    char ro_new[512];
    snprintf(ro_new, sizeof ro_new, "%s/new", rodir);
    rc = writer_open_rc_as_nobody(ro_new, msg, sizeof msg);
    CHECK(rc == SOU_EREADONLY, "new index in read-only dir: %d %s", rc, msg);
    chmod(rodir, 0755);
    chmod(ro_index, 0755);

    /* a corrupt index: truncate the postlist table */
    const char *cdir = path_in_base("corrupt");
    build_index(cdir, 0, NCORPUS, 1);
    char table[512];
    snprintf(table, sizeof table, "%s/postlist.glass", cdir);
    CHECK(truncate(table, 100) == 0, "truncate: %s", strerror(errno));
    rc = open_and_search(cdir, &err);
    /* Xapian 1.4 reports a truncated table as DatabaseError "EOF reading
     * block" (SOU_EIO) and bad block contents as DatabaseCorruptError. */
    CHECK((rc == SOU_EIO && strstr(err.msg, "DatabaseError: EOF reading block")) ||
              (rc == SOU_ECORRUPT && strstr(err.msg, "DatabaseCorruptError")),
          "corrupt: %d %s", rc, err.msg);
    printf("corrupt index (truncated table): %s\n", err.msg);

    /* the same table with garbage written over its block contents */
    const char *gdir = path_in_base("garbage");
    build_index(gdir, 0, NCORPUS, 1);
    snprintf(table, sizeof table, "%s/postlist.glass", gdir);
    int fd = open(table, O_RDWR);
    struct stat tst;
    CHECK(fd >= 0 && fstat(fd, &tst) == 0, "open %s", table);
    char junk[512];
    memset(junk, 0xa5, sizeof junk);
    for (off_t off = 0; fd >= 0 && off < tst.st_size; off += sizeof junk)   /* size kept */
        CHECK(pwrite(fd, junk, sizeof junk, off) == (ssize_t)sizeof junk, "scribble");
    if (fd >= 0) close(fd);
    rc = open_and_search(gdir, &err);
    CHECK(rc == SOU_ECORRUPT && strstr(err.msg, "DatabaseCorruptError"), "garbage: %d %s", rc, err.msg);
    printf("corrupt index (garbage in a block): %s\n", err.msg);
}

/* ---- remote shards -------------------------------------------------------- */

static void test_remote(void)
{
    if (!tl_have_program("xapian-tcpsrv")) {
        printf("SKIP remote: xapian-tcpsrv not installed (apt-get install xapian-tools)\n");
        return;
    }
    const char *s1 = path_in_base("shard1"), *s2 = path_in_base("shard2");
    const char *c = path_in_base("compact");
    int p1, p2;
    CHECK(tl_server_start(0, s1, 0, &p1) == 0, "start server 1");
    CHECK(tl_server_start(1, s2, 0, &p2) == 0, "start server 2");
    if (!tl_server_pid(0) || !tl_server_pid(1)) return;
    char r1[64], r2[64];
    snprintf(r1, sizeof r1, "tcp:127.0.0.1:%d", p1);
    snprintf(r2, sizeof r2, "tcp:127.0.0.1:%d", p2);

    sou_reader *local = open_reader(&c, 1, 0);
    const char *remotes[2] = {r1, r2};
    sou_reader *rem = open_reader(remotes, 2, 0);
    if (local && rem) compare_readers(local, rem, "tcp shards");
    if (rem) {   /* skip_doclen: same hits, no lengths */
        sou_qpool *qp;
        sou_qpool_new(&qp);
        sou_search_params sp = params;
        sp.skip_doclen = 1;
        sou_hits h1, h2;
        sou_error e1;
        CHECK(sou_reader_search(rem, term(qp, "quick"), &params, &h1, &e1) == 0, "%s", e1.msg);
        CHECK(sou_reader_search(rem, term(qp, "quick"), &sp, &h2, &e1) == 0, "%s", e1.msg);
        CHECK(h1.n == h2.n && h1.n > 0, "skip_doclen hits %zu vs %zu", h1.n, h2.n);
        for (size_t i = 0; i < h1.n && i < h2.n; i++)
            CHECK(h1.hits[i].docid == h2.hits[i].docid && h1.hits[i].score == h2.hits[i].score &&
                      h1.hits[i].doclen > 0 && h2.hits[i].doclen == 0, "skip_doclen hit %zu", i);
        sou_hits_free(&h1);
        sou_hits_free(&h2);
        sou_qpool_free(qp);
    }

    /* the same through a Xapian stub file (which stock Xapian also opens) */
    const char *stub = path_in_base("remote.stub");
    FILE *f = fopen(stub, "w");
    fprintf(f, "remote 127.0.0.1:%d\nremote 127.0.0.1:%d\n", p1, p2);
    fclose(f);
    sou_reader *viastub = open_reader(&stub, 1, 0);
    if (local && viastub) {
        compare_readers(local, viastub, "stub remote");
        CHECK(strcmp(sou_reader_shard_name(viastub, 1), r2) == 0, "name %s", sou_reader_shard_name(viastub, 1));
    }
    /* mixed: a local shard and a remote one, allow_partial */
    const char *mixed[2] = {s1, r2};
    sou_reader *partial = open_reader(mixed, 2, 1);

    /* kill server 2: default mode names the shard */
    tl_server_stop(1);
    sou_qpool *p;
    sou_qpool_new(&p);
    sou_query *q = term(p, "quick");
    sou_error err;
    if (rem) {
        result res = run(rem, q, NULL, &err);
        CHECK(res.rc == SOU_ENETWORK && strstr(err.msg, r2) && !strstr(err.msg, r1), "dead shard: %d %s",
              res.rc, err.msg);
        printf("dead shard, default mode: %s\n", err.msg);
        res = run(rem, q, NULL, &err);   /* still failing, still named */
        CHECK(res.rc == SOU_ENETWORK && strstr(err.msg, r2), "dead shard again: %d %s", res.rc, err.msg);
    }
    if (viastub) {
        result res = run(viastub, q, NULL, &err);
        CHECK(res.rc == SOU_ENETWORK && strstr(err.msg, r2) && strstr(err.msg, "remote.stub line 2"),
              "dead stub shard: %d %s", res.rc, err.msg);
    }
    /* allow_partial: answers from shard 1 only, and says shard 2 is missing */
    if (partial) {
        result res = run(partial, q, NULL, &err);
        qcase quick = {"quick", 1, "quick", "quick"};
        unsigned even = 0;
        for (size_t i = 0; i < NCORPUS; i += 2) even |= 1u << i;
        CHECK(res.rc == 0 && res.rows == oracle(&quick, even), "partial: rc %d rows %#x want %#x: %s", res.rc,
              res.rows, oracle(&quick, even), err.msg);
        CHECK(sou_reader_shard_ok(partial, 0) == 1 && sou_reader_shard_ok(partial, 1) == 0, "shard_ok");
    }
    /* server 2 back on its port: the default-mode reader answers again, and
     * a reopen brings the missing shard back into the partial reader */
    CHECK(tl_server_start(1, s2, p2, &p2) == 0, "restart server 2");
    if (rem && local) compare_readers(local, rem, "tcp shards after restart");
    if (partial) {
        CHECK(sou_reader_reopen(partial, &err) == 0 && sou_reader_shard_ok(partial, 1) == 1, "reopen: %s",
              err.msg);
        result res = run(partial, q, NULL, &err);
        qcase quick = {"quick", 1, "quick", "quick"};
        CHECK(res.rc == 0 && res.rows == oracle(&quick, ALL_ROWS), "partial after reopen: %#x", res.rows);
    }
    /* a hung server (stopped, not dead): the timeout names it. A failed
     * restart leaves pid 0, and kill(-0, ...) would stop this test's own
     * process group. */
    pid_t hung = tl_server_pid(1);
    if (hung > 0) kill(-hung, SIGSTOP);
    if (rem) {
        result res = run(rem, q, NULL, &err);
        CHECK(res.rc == SOU_ENETWORK && strstr(err.msg, r2) && strstr(err.msg, "Timeout"), "hung shard: %d %s",
              res.rc, err.msg);
        printf("hung shard: %s\n", err.msg);
    }
    if (hung > 0) kill(-hung, SIGCONT);
    tl_server_stop(1);

    /* opening with a dead shard */
    sou_reader *r = NULL;
    int rc = sou_reader_open(remotes, 2, &(sou_reader_options){500, 500, 0}, &r, &err);
    CHECK(rc == SOU_ENETWORK && strstr(err.msg, r2) && strstr(err.msg, "NetworkError"), "open dead: %d %s", rc,
          err.msg);
    printf("open with a dead shard: %s\n", err.msg);
    rc = sou_reader_open(remotes, 2, &(sou_reader_options){500, 500, 1}, &r, &err);
    CHECK(rc == 0 && sou_reader_shard_ok(r, 0) && !sou_reader_shard_ok(r, 1), "open partial: %d %s", rc, err.msg);
    sou_reader_close(r);
    /* server back on the same port: a reopen brings the shard back */
    tl_server_stop(0);
    rc = sou_reader_open(remotes, 2, &(sou_reader_options){500, 500, 1}, &r, &err);
    CHECK(rc == SOU_ENETWORK, "all shards dead, partial: %d %s", rc, err.msg);

    sou_qpool_free(p);
    sou_reader_close(partial);
    sou_reader_close(viastub);
    sou_reader_close(rem);
    sou_reader_close(local);
    tl_server_stop_all();
}

/* ---- records ---------------------------------------------------------------- */

static void test_records(void)
{
    const char text[] = "passage\0with NUL\0bytes \xe6\x90\x9c";
    sou_record in = {7, (uint64_t)1 << 40, ((uint64_t)1 << 40) + sizeof text - 1, "src\0id", 6, "", 0, text, sizeof text - 1};
    char *buf;
    size_t len;
    CHECK(sou_record_encode(&in, &buf, &len) == 0, "encode");
    sou_record out;
    CHECK(sou_record_decode(buf, len, &out) == 0, "decode");
    CHECK(out.ordinal == 7 && out.start == in.start && out.end == in.end && out.source_len == 6 &&
              memcmp(out.source, "src\0id", 6) == 0 && out.title_len == 0 && out.text_len == sizeof text - 1 &&
              memcmp(out.text, text, out.text_len) == 0, "round trip");
    for (size_t cut = 0; cut < len; cut++)   /* every truncation is caught */
        CHECK(sou_record_decode(buf, cut, &out) == SOU_ECORRUPT, "truncated at %zu", cut);
    char *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    CHECK(sou_record_decode(longer, len + 1, &out) == SOU_ECORRUPT, "trailing byte");
    longer[0] = 2;
    CHECK(sou_record_decode(longer, len, &out) == SOU_ECORRUPT, "version 2");
    free(longer);
    free(buf);
    /* a length varint that claims more than the buffer, and an 11-byte varint */
    const char huge[] = "\x01\x00\x00\x00\xff\xff\xff\xff\x0f";
    CHECK(sou_record_decode(huge, sizeof huge - 1, &out) == SOU_ECORRUPT, "huge length");
    const char over[] = "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01";
    CHECK(sou_record_decode(over, sizeof over - 1, &out) == SOU_ECORRUPT, "varint over 64 bits");
    sou_record maxr = {UINT64_MAX, 0, UINT64_MAX, NULL, 0, NULL, 0, NULL, 0};
    CHECK(sou_record_encode(&maxr, &buf, &len) == 0 && sou_record_decode(buf, len, &out) == 0 &&
              out.ordinal == UINT64_MAX && out.end == UINT64_MAX, "max values");
    free(buf);
    sou_record inverted = {0, 5, 4, NULL, 0, NULL, 0, NULL, 0};
    CHECK(sou_record_encode(&inverted, &buf, &len) == 0 && sou_record_decode(buf, len, &out) == SOU_ECORRUPT,
          "end < start");
    free(buf);
}

/* ---- the record file beside each shard (lib/store/record_file.h) --------- */

/* Every passage through the record file and through the value slot (the
 * oracle): the same records byte for byte; want_file of them from the file. */
static void records_agree(sou_reader *r, const char *what, size_t want_file)
{
    sou_qpool *p;
    sou_qpool_new(&p);
    sou_search_params pf = params, pv = params;
    pf.limit = pv.limit = 1000;
    pv.records_from_values = 1;
    sou_hits a, b;
    sou_error err;
    int rc = sou_reader_search(r, sou_query_all(p), &pf, &a, &err);
    CHECK_RC(rc, 0, err);
    rc = sou_reader_search(r, sou_query_all(p), &pv, &b, &err);
    CHECK_RC(rc, 0, err);
    CHECK(a.n == b.n && a.n > 0, "%s: %zu hits vs %zu", what, a.n, b.n);
    for (size_t i = 0; i < a.n && i < b.n; i++)
        CHECK(a.hits[i].docid == b.hits[i].docid && a.hits[i].data_len == b.hits[i].data_len &&
                  memcmp(a.hits[i].data, b.hits[i].data, a.hits[i].data_len) == 0 &&
                  row_of_record(a.hits[i].data, a.hits[i].data_len) >= 0,
              "%s: hit %zu (docid %u) differs from the value slot", what, i, a.hits[i].docid);
    CHECK(b.records_from_file == 0, "%s: records_from_values read %zu from the file", what,
          b.records_from_file);
    CHECK(a.records_from_file == want_file, "%s: %zu of %zu records from the file, want %zu", what,
          a.records_from_file, a.n, want_file);
    sou_hits_free(&a);
    sou_hits_free(&b);
    sou_qpool_free(p);
}

static void add_rows(const char *dir, size_t from, size_t to, int commit)
{
    write_rows(dir, from, to, 1, commit);
}

static void reopen(sou_reader *r)
{
    sou_error err;
    int rc = sou_reader_reopen(r, &err);
    CHECK_RC(rc, 0, err);
}

static void file_poke(const char *dir, const char *name, long at, const void *bytes, size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, bytes, n, at) == (ssize_t)n, "poke %s", path);
    if (fd >= 0) close(fd);
}

static void files_remove(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/sou-records.data", dir);
    CHECK(unlink(path) == 0, "unlink %s", path);
    snprintf(path, sizeof path, "%s/sou-records.index", dir);
    CHECK(unlink(path) == 0, "unlink %s", path);
}

static void test_record_file(void)
{
    const char *dir = path_in_base("recfile");
    build_index(dir, 0, 6, 1);
    sou_reader *r = open_reader(&dir, 1, 0);
    if (!r) return;
    records_agree(r, "fresh index", 6);

    add_rows(dir, 6, 8, 1);
    records_agree(r, "before reopen (old revision, file grown)", 6);
    reopen(r);
    records_agree(r, "after a commit", 8);

    /* Uncommitted rows leave entries past "covered"; the next writer's
     * rows take the same docids and write over them. */
    add_rows(dir, 8, 10, 0);
    reopen(r);
    records_agree(r, "after a dropped batch", 8);
    add_rows(dir, 10, 11, 1);
    reopen(r);
    records_agree(r, "after the batch that reused its docids", 9);

    /* A header that covers less (a crash between Xapian's commit and the
     * header): the rest come from the value slot; the next writer catches
     * up. */
    const unsigned char five[8] = {5};
    file_poke(dir, "sou-records.index", 56, five, 8);
    reopen(r);
    records_agree(r, "header covering 5", 5);
    add_rows(dir, 0, 0, 0);
    reopen(r);
    records_agree(r, "after a writer caught up", 9);

    /* A damaged passage fails its checksum and is read from the slot (the
     * last byte of the data file: the text of the last passage written);
     * a damaged source block fails every passage that points to it (the
     * first: docs/a.txt's, rows 0-2). */
    char dp[600];
    snprintf(dp, sizeof dp, "%s/sou-records.data", dir);
    struct stat dst;
    CHECK(stat(dp, &dst) == 0 && dst.st_size > 4, "stat %s", dp);
    file_poke(dir, "sou-records.data", (long)dst.st_size - 1, "\xff", 1);
    reopen(r);
    records_agree(r, "one record damaged", 8);
    file_poke(dir, "sou-records.data", 3, "\xff", 1);
    reopen(r);
    records_agree(r, "a source block damaged", 5);

    /* No file, or another index's file: every record from the slot; a
     * writer builds it again. */
    files_remove(dir);
    reopen(r);
    records_agree(r, "no record file", 0);
    add_rows(dir, 0, 0, 0);
    reopen(r);
    records_agree(r, "rebuilt by a writer", 9);
    const char *other = path_in_base("recfile-other");
    build_index(other, 0, 9, 1);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cp %s/sou-records.data %s/sou-records.index %s/", other, other, dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    reopen(r);
    records_agree(r, "another index's file", 0);
    sou_reader_close(r);

    /* Compaction writes no record file; the first writer on it does. */
    const char *s1 = path_in_base("recfile-s1"), *s2 = path_in_base("recfile-s2");
    const char *c = path_in_base("recfile-compact");
    build_index(s1, 0, NCORPUS, 2);
    build_index(s2, 1, NCORPUS, 2);
    const char *srcs[2] = {s1, s2};
    sou_reader *both = open_reader(srcs, 2, 0);
    if (both) records_agree(both, "two shards", NCORPUS);
    sou_reader_close(both);
    sou_error err;
    int rc = sou_compact(srcs, 2, c, &err);
    CHECK_RC(rc, 0, err);
    sou_reader *one = open_reader(&c, 1, 0);
    if (one) records_agree(one, "compacted", 0);
    add_rows(c, 0, 0, 0);
    reopen(one);
    if (one) records_agree(one, "compacted, then a writer", NCORPUS);
    sou_reader_close(one);
}

/* Every row of the reader's index, each record checked against its
 * document (its length is the record's word count: a record attached to
 * the wrong docid shows); *from_file: hits whose record came from the file. */
static unsigned rows_all(sou_reader *r, size_t *from_file, int *rc_out)
{
    sou_qpool *p;
    sou_qpool_new(&p);
    sou_hits h;
    sou_error err;
    sou_search_params pp = params;
    pp.limit = 1000;
    unsigned rows = 0;
    *rc_out = sou_reader_search(r, sou_query_all(p), &pp, &h, &err);
    if (*rc_out == 0) {
        *from_file = h.records_from_file;
        for (size_t i = 0; i < h.n; i++) {
            int row = row_of_record(h.hits[i].data, h.hits[i].data_len);
            CHECK(row >= 0 && h.hits[i].doclen == (uint32_t)nwords(corpus[row].text),
                  "docid %u: record of row %d, length %u", h.hits[i].docid, row,
                  h.hits[i].doclen);
            if (row >= 0) rows |= 1u << row;
        }
        sou_hits_free(&h);
    }
    sou_qpool_free(p);
    return rows;
}

static void test_records_file_only(void)
{
    file_only = 1;
    const char *dir = path_in_base("fileonly");
    build_index(dir, 0, 6, 1);
    sou_reader *r = open_reader(&dir, 1, 0);
    if (!r) return;
    size_t ff = 0;
    int rc;
    unsigned rows = rows_all(r, &ff, &rc);
    CHECK(rc == 0 && rows == 0x3fu && ff == 6, "fresh: rc %d rows %x, %zu from the file", rc,
          rows, ff);
    /* nothing in the value slot */
    sou_qpool *p;
    sou_qpool_new(&p);
    sou_search_params pv = params;
    pv.records_from_values = 1;
    sou_hits h;
    sou_error err;
    rc = sou_reader_search(r, sou_query_all(p), &pv, &h, &err);
    CHECK(rc == SOU_EINVAL, "records_from_values on a file-only shard: %d", rc);
    sou_qpool_free(p);

    add_rows(dir, 6, 8, 1);
    reopen(r);
    rows = rows_all(r, &ff, &rc);
    CHECK(rc == 0 && rows == 0xffu && ff == 8, "after a commit: rc %d rows %x, %zu", rc, rows, ff);
    /* A header that covers less (a crash between Xapian's commit and the
     * header): the records were durable before the commit, and are used. */
    const unsigned char five[8] = {5};
    file_poke(dir, "sou-records.index", 56, five, 8);
    reopen(r);
    rows = rows_all(r, &ff, &rc);
    CHECK(rc == 0 && rows == 0xffu && ff == 8, "header covering 5: rc %d rows %x, %zu", rc,
          rows, ff);
    add_rows(dir, 0, 0, 0);   /* a writer checks them and raises the header */
    /* A damaged record: the search fails, naming the shard, and shows no
     * passage without its text. */
    file_poke(dir, "sou-records.data", 3, "\xff", 1);
    reopen(r);
    rows = rows_all(r, &ff, &rc);
    CHECK(rc == SOU_ECORRUPT, "one record damaged: rc %d", rc);
    /* No record file: the search fails, and so does a writer (nothing to
     * rebuild it from). */
    files_remove(dir);
    reopen(r);
    rows = rows_all(r, &ff, &rc);
    CHECK(rc == SOU_ECORRUPT, "no record file: rc %d", rc);
    sou_writer *w = NULL;
    rc = sou_writer_open(dir, &w, &err);
    CHECK(rc == SOU_ECORRUPT && strstr(err.msg, "rebuild"), "writer without records: %d %s",
          rc, err.msg);
    sou_writer_close(w);
    sou_reader_close(r);

    /* Compaction writes the new database's record file, docids renumbered
     * as Xapian renumbers them (a deleted source leaves a gap in s1). */
    const char *s1 = path_in_base("fileonly-s1"), *s2 = path_in_base("fileonly-s2");
    const char *c = path_in_base("fileonly-compact");
    build_index(s1, 0, NCORPUS, 2);
    build_index(s2, 1, NCORPUS, 2);
    rc = sou_writer_open(s1, &w, &err);
    CHECK_RC(rc, 0, err);
    if (rc == 0) {
        char q[64];
        snprintf(q, sizeof q, "%sdocs/c.txt", SOU_PREFIX_SOURCE);   /* s1's row 6 */
        rc = sou_writer_delete_term(w, q, strlen(q), &err);
        if (rc == 0) rc = sou_writer_commit(w, &err);
        CHECK_RC(rc, 0, err);
        sou_writer_close(w);
    }
    const char *srcs[2] = {s1, s2};
    rc = sou_compact(srcs, 2, c, &err);
    CHECK_RC(rc, 0, err);
    sou_reader *one = open_reader(&c, 1, 0);
    if (one) {
        unsigned want = (unsigned)((1u << NCORPUS) - 1);
        for (size_t i = 0; i < NCORPUS; i += 2)
            if (strcmp(corpus[i].source, "docs/c.txt") == 0) want &= ~(1u << i);
        rows = rows_all(one, &ff, &rc);
        CHECK(rc == 0 && rows == want && ff == (size_t)__builtin_popcount(want),
              "compacted: rc %d rows %x (want %x), %zu from the file", rc, rows, want, ff);
        add_rows(c, 0, 0, 0);
        reopen(one);
        rows = rows_all(one, &ff, &rc);
        CHECK(rc == 0 && rows == want, "compacted, then a writer: rc %d rows %x", rc, rows);
    }
    sou_reader_close(one);
    file_only = 0;
}

int main(void)
{
    if (tl_mkdtemp(base, sizeof base, "sou-store")) return 1;
    atexit(tl_server_stop_all);
    signal(SIGPIPE, SIG_IGN);
    test_records();
    test_queries();
    test_writer();
    test_compact();
    test_record_file();
    test_records_file_only();
    test_errors();
    test_remote();
    tl_server_stop_all();
    tl_rm_scratch(base);
    if (tl_failures) {
        fprintf(stderr, "%d check(s) failed\n", tl_failures);
        return 1;
    }
    printf("all store checks passed\n");
    return 0;
}
