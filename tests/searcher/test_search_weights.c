/* test_search_weights.c - white-box: local searches score term leaves from
 * in-memory document lengths (lib/store/bm25_source.h); Xapian's own
 * BM25Weight is the oracle. For every query, both ways must return the same
 * passages in the same order with the same scores (the source replays
 * Xapian's arithmetic, so equal to the last bit is expected; 1e-12 relative
 * is allowed), with and without collapse, and the in-memory way must really
 * have been used.
 *
 * Queries: a hand list that uses every operator the builder emits (AND, OR,
 * NOT, AND_MAYBE from dictionary words and title boosts, FILTER from
 * title:/source:, phrases, wildcards, scale weights), plus 1-4 character
 * substrings and words cut from the index's own passages.
 *
 * The index has no positions (sou-index's default), so its phrases are
 * checked against the passage records (run/phrase_check.c). The second
 * index holds the same passages with positions: there Xapian's own phrase
 * and BM25Weight are the oracle, and every query must match the same
 * passages with the same scores (docids differ: the indexer's threads
 * interleave sources).
 *
 * usage: test_search_weights INDEX_DIR POSITIONAL_INDEX_DIR
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"
#include "sou/record.h"
#include "sou/terms.h"
#include "test_util.h"

static size_t compared, with_hits;
static sou_index *positional;   /* the same passages, with positions */

static void set_check(sou_index *ix, sou_search_params *p)
{
    p->phrase_check = sou_phrase_holds;
    p->phrase_ctx = ix->checker;
}

typedef struct keyed {
    double score;
    sou_record rec;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    return sou_record_order(&((const keyed *)a)->rec, &((const keyed *)b)->rec);
}

static keyed *by_record(const sou_hits *h, int collapse)
{
    keyed *k = calloc(h->n ? h->n : 1, sizeof *k);
    for (size_t i = 0; k && i < h->n; i++) {
        k[i].score = h->hits[i].score;
        CHECK(sou_record_decode(h->hits[i].data, h->hits[i].data_len, &k[i].rec) == 0,
              "record of docid %u", h->hits[i].docid);
        if (collapse) k[i].rec.ordinal = 0;   /* which passage of a tie is kept */
    }
    if (k) qsort(k, h->n, sizeof *k, keyed_cmp);
    return k;
}

/* Every match of text without positions (records checked) against the
 * positional index searched by Xapian alone. */
static void compare_positional(sou_index *ix, const sou_search_query *q, const char *text,
                               unsigned flags, int collapse)
{
    sou_error err = {0};
    sou_search_query *pq;
    int rc = sou_search_query_parse(positional, text, strlen(text), flags, &pq, &err);
    CHECK(rc == 0 && pq->root, "parse '%s' (positional): %s", text, err.msg);
    if (rc) return;
    sou_search_params p = {.limit = 100000, .collapse = collapse, .k1 = 1.2, .b = 0.75,
                           .check_at_least = 100000, .skip_doclen = 1};
    set_check(ix, &p);
    sou_hits np = {0}, xp = {0};
    rc = sou_reader_search(ix->reader, q->root, &p, &np, &err);
    CHECK(rc == 0, "search '%s': %s", text, err.msg);
    p.xapian_weights = 1;
    p.phrase_check = NULL;
    rc = sou_reader_search(positional->reader, pq->root, &p, &xp, &err);
    CHECK(rc == 0, "search '%s' (positional): %s", text, err.msg);
    CHECK(np.n == xp.n, "'%s' collapse %d: %zu matches without positions, %zu with",
          text, collapse, np.n, xp.n);
    keyed *a = by_record(&np, collapse), *b = by_record(&xp, collapse);
    for (size_t i = 0; a && b && i < np.n && i < xp.n; i++) {
        int same = keyed_cmp(&a[i], &b[i]) == 0 &&
                   fabs(a[i].score - b[i].score) <= 1e-12 * fabs(b[i].score);
        CHECK(same, "'%s' collapse %d: %.*s #%llu score %.17g without positions, "
              "%.*s #%llu score %.17g with", text, collapse, (int)a[i].rec.source_len,
              a[i].rec.source, (unsigned long long)a[i].rec.ordinal, a[i].score,
              (int)b[i].rec.source_len, b[i].rec.source,
              (unsigned long long)b[i].rec.ordinal, b[i].score);
        if (!same) break;
    }
    free(a);
    free(b);
    sou_hits_free(&np);
    sou_hits_free(&xp);
    sou_search_query_free(pq);
}

/* limit 200 with check_at_least 200 (Xapian raises no threshold before 200
 * matches); the CLI's default, top 10 counting nothing more, and top 2:
 * the threshold climbs early and the leaves pass over postings below it
 * (Bm25Source::next, Bm25PhraseSource; on this small corpus few queries
 * have more than 10 matches, so top 2 is what catches a bound set too
 * high); and every match. */
static void compare_with(sou_index *ix, const char *text, unsigned flags, int collapse,
                         size_t limit, size_t check)
{
    sou_error err = {0};
    sou_search_query *q;
    int rc = sou_search_query_parse(ix, text, strlen(text), flags, &q, &err);
    CHECK(rc == 0, "parse '%s': %s", text, err.msg);
    if (rc) return;
    if (!q->root) {
        sou_search_query_free(q);
        return;
    }
    sou_search_params p = {.limit = limit, .collapse = collapse, .k1 = 1.2, .b = 0.75,
                           .check_at_least = check, .skip_doclen = 1};
    set_check(ix, &p);
    sou_hits mem = {0}, xap = {0};
    rc = sou_reader_search(ix->reader, q->root, &p, &mem, &err);
    CHECK(rc == 0, "search '%s': %s", text, err.msg);
    p.xapian_weights = 1;
    rc = sou_reader_search(ix->reader, q->root, &p, &xap, &err);
    CHECK(rc == 0, "search '%s' (Xapian weights): %s", text, err.msg);
    CHECK(mem.lengths_in_memory == 1 && xap.lengths_in_memory == 0,
          "'%s': in-memory lengths used %d / %d", text, mem.lengths_in_memory,
          xap.lengths_in_memory);
    /* An estimate depends on what each way of matching passes over; where
     * both are exact they must agree. */
    int exact = mem.matches_lower == mem.matches_upper && xap.matches_lower == xap.matches_upper;
    CHECK(mem.n == xap.n && (!exact || mem.matches_estimated == xap.matches_estimated),
          "'%s' collapse %d: %zu hits (estimate %llu) vs Xapian's %zu (%llu)", text,
          collapse, mem.n, (unsigned long long)mem.matches_estimated, xap.n,
          (unsigned long long)xap.matches_estimated);
    for (size_t i = 0; i < mem.n && i < xap.n; i++) {
        double a = mem.hits[i].score, b = xap.hits[i].score;
        int same = mem.hits[i].docid == xap.hits[i].docid &&
                   fabs(a - b) <= 1e-12 * fabs(b);
        CHECK(same, "'%s' collapse %d rank %zu: docid %u score %.17g vs Xapian's "
              "docid %u score %.17g", text, collapse, i, mem.hits[i].docid, a,
              xap.hits[i].docid, b);
        if (!same) break;
    }
    if (limit == 100000) compare_positional(ix, q, text, flags, collapse);
    compared++;
    if (xap.n) with_hits++;
    sou_hits_free(&mem);
    sou_hits_free(&xap);
    sou_search_query_free(q);
}

static void compare(sou_index *ix, const char *text, unsigned flags, int collapse)
{
    compare_with(ix, text, flags, collapse, 200, 200);
    compare_with(ix, text, flags, collapse, 10, 0);
    compare_with(ix, text, flags, collapse, 2, 0);
    compare_with(ix, text, flags, collapse, 100000, 100000);   /* every match */
}

static int rec_cmp(const void *a, const void *b)
{
    return sou_record_order(a, b);
}

static const char *const hand[] = {
    "网络", "网络安全", "网络 安全", "网络 OR 配置", "网络 -安全", "网络 NOT 安全",
    "\"网络 配置\"", "\"network configuration\"", "network", "configuring",
    "configur*", "net*", "网* 配置", "title:网络", "title:JIS", "source:sample 网络",
    "source:050_manpage_zh_cn_ssh.1.txt ssh", "ssh OR (网络 AND 配置)",
    "(ssh OR 网络) -配置", "+ssh 连接", "ＵＳＢ", "USB", "JIS 函数", "恐怖主义",
    "反恐怖主义办公室", "全球反恐战略", "網絡", "設定 網路", "interface eth0",
    "the", "a", "的", "了", "是 的", "unknownword", "不存在的词组合",
    "\"ssh -l\"", "DHCP 地址", "ip addr", "联合国 OR United", "help 帮助",
    /* a phrase that repeats a term (two leaves of one term in one phrase) */
    "网络网络", "的的", "的的的", "\"ssh ssh\"", "\"the the\"",
    /* positions/phrases.txt: a term at positions 0 and 1 of a passage, and
     * every term of a phrase without the phrase */
    "哈哈哈", "哈哈", "\"foo foo\"", "好好学习", "\"foo bar\"", "重跑gen",
    "gen后重跑", "网络安全 OR 名字", "安全 -网络安全", "title:网络安全",
};

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    sou_index *ix = t_open(argv[1]);
    positional = t_open(argv[2]);
    /* A reader's first search uses Xapian's leaves (loading the lengths
     * would cost a one-query reader more than it saves); so does this one. */
    {
        sou_error err = {0};
        sou_qpool *pool;
        CHECK(sou_qpool_new(&pool) == 0, "qpool");
        sou_search_params p = {.limit = 1, .k1 = 1.2, .b = 0.75, .skip_doclen = 1};
        sou_hits h = {0};
        int rc = sou_reader_search(ix->reader, sou_query_term(pool, "ssh", 3, 1, 0), &p, &h, &err);
        CHECK(rc == 0 && h.lengths_in_memory == 0, "first search: rc %d, in memory %d",
              rc, h.lengths_in_memory);
        sou_hits_free(&h);
        sou_qpool_free(pool);
    }
    for (size_t i = 0; i < sizeof hand / sizeof hand[0]; i++)
        for (int c = 0; c <= 1; c++) compare(ix, hand[i], 0, c);

    /* Queries cut from the passages themselves: every passage gives a
     * 1-4 character piece at a varying offset (whole UTF-8 characters). */
    sou_error err = {0};
    sou_qpool *pool;
    CHECK(sou_qpool_new(&pool) == 0, "qpool");
    sou_search_params all = {.limit = 100000, .k1 = 1.2, .b = 0.75, .skip_doclen = 1,
                             .xapian_weights = 1};
    sou_hits hits = {0};
    int rc = sou_reader_search(ix->reader, sou_query_all(pool), &all, &hits, &err);
    CHECK(rc == 0 && hits.n > 100, "all passages: rc %d, %zu", rc, hits.n);
    /* in (source, ordinal) order: docids depend on the indexer's threads */
    sou_record *recs = calloc(hits.n ? hits.n : 1, sizeof *recs);
    size_t nrecs = 0;
    for (size_t i = 0; recs && i < hits.n; i++)
        if (sou_record_decode(hits.hits[i].data, hits.hits[i].data_len, &recs[nrecs]) == 0)
            nrecs++;
    qsort(recs, nrecs, sizeof *recs, rec_cmp);
    size_t cut = 0;
    for (size_t i = 0; i < nrecs; i++) {
        sou_record rec = recs[i];
        size_t nchars = 1 + (i / 2) % 4, start = 0, k = 0;
        for (size_t skip = i % 5; skip > 0 && start < rec.text_len; skip--)
            do start++; while (start < rec.text_len &&
                               ((unsigned char)rec.text[start] & 0xc0) == 0x80);
        size_t end = start;
        while (end < rec.text_len && k < nchars) {
            do end++; while (end < rec.text_len &&
                             ((unsigned char)rec.text[end] & 0xc0) == 0x80);
            k++;
        }
        if (end <= start) continue;
        char text[64];
        size_t n = end - start < sizeof text - 1 ? end - start : sizeof text - 1;
        memcpy(text, rec.text + start, n);
        text[n] = 0;
        compare(ix, text, SOU_QUERY_LENIENT, (int)(i & 1));
        cut++;
    }
    free(recs);
    sou_hits_free(&hits);
    sou_qpool_free(pool);
    CHECK(cut >= 50 && with_hits >= 100, "%zu cut queries, %zu of %zu queries had hits",
          cut, with_hits, compared);
    printf("%zu queries compared (%zu with hits)\n", compared, with_hits);
    sou_index_close(ix);
    sou_index_close(positional);
    printf("%d checks, %d failures\n", tl_checks, tl_failures);
    return tl_failures ? 1 : 0;
}
