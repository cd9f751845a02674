/* sou/search.h - libsou-search: what an application links to search a sou
 * index. The only public header of the search library.
 *
 * A search is four steps:
 *
 *   sou_index *ix;            sou_index_open(paths, n, &opts, &ix, &err);
 *   sou_search_query *q;      sou_search_query_parse(ix, text, len, 0, &q, &err);
 *   sou_results *res;         sou_search_run(ix, q, &sopts, &res, &err);
 *   for (i < sou_results_size(res)) sou_results_get(res, i)->...
 *
 * and the matching frees (each accepts NULL). Every call returns 0 or a
 * negative SOU_E* code (sou/error.h) and fills the optional sou_error with a
 * message for humans. The library never prints, exits or aborts.
 *
 * Text is always (const char *, size_t): NUL bytes are data, nothing needs
 * to be NUL-terminated. Every byte offset refers to the bytes given or
 * returned, never to characters.
 *
 * Threads: a sou_index holds a Xapian database and an analyzer, neither of
 * which may be used by two threads at once. So: use one sou_index per
 * thread (open the same index once per thread; handles share nothing), and
 * use a sou_search_query only with the index (and thread) it was parsed
 * for. A sou_results owns all of its memory and is immutable once returned:
 * any thread may read it, also after its index was closed.
 *
 * Index changes: when a writer commits while a search runs, Xapian reports
 * a stale reader; sou_search_run and sou_search_count then reopen the index
 * at its latest revision and retry (up to SOU_SEARCH_STALE_RETRIES times)
 * before giving up with SOU_ESTALE.
 *
 * Query language (sou_search_query_parse without SOU_QUERY_LENIENT):
 *   word word      both must match (AND is the default; "AND" is accepted)
 *   a OR b         either (uppercase keyword)
 *   NOT a, -a      must not match; a query of only negatives matches every
 *                  passage except those
 *   +a             must match (same as the default; accepted for habit)
 *   ( ... )        grouping, at most SOU_QUERY_MAX_DEPTH levels deep
 *   "..." or “...” exact phrase (words in this order, nothing between)
 *   word*          every word starting with "word"
 *   title:x        x must match in the title (x: word, phrase or group)
 *   source:x       filter by source id: x with a '/' is a path prefix
 *                  ("docs/zh/"), without one also a path component or base
 *                  name without extension ("handbook"); several source:
 *                  filters in one group are ORed.
 * Each word, phrase or chunk goes through the index's analyzer:
 *   - an unquoted English word matches every inflection (its stem):
 *     configuring finds configured; quoted words match exactly;
 *   - a chunk with Chinese/Japanese/Korean characters matches exactly that
 *     substring (the phrase of its character bigrams, and of the joins of
 *     characters with directly adjacent Latin words: 使用Xapian), with its
 *     dictionary words adding ranking weight; one character finds every
 *     passage that contains it;
 *   - Traditional/Simplified Han, full-width/half-width forms and letter
 *     case all fold together, as in the index.
 * A malformed query (unbalanced quote or parenthesis, dangling operator,
 * nesting deeper than SOU_QUERY_MAX_DEPTH, more than SOU_QUERY_MAX_OR_TERMS
 * alternatives in one OR) fails with SOU_EQUERY and a
 * message naming the problem and its 1-based column (in characters).
 * SOU_QUERY_LENIENT reads the text as plain words: no operators, no errors.
 */
#ifndef SOU_SEARCH_H
#define SOU_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "sou/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- defaults (one place; the quality bench picks them) -------------- */

/* BM25 chosen by the bench's sweep (bench/run --size full, known-item task:
 * 400 LibreOffice help page titles -> that page's passages, 149,835
 * passages; bench/results/REPORT.md "BM25 sweep"): MRR@10 by b (every k1
 * in 0.6..2.0 within 0.002, passages are short so wdf is mostly 1):
 * b=0.3 0.435, 0.5 0.454, 0.75 0.484, 0.9 0.501, 1.0 0.505 (success@10
 * 0.810 -> 0.818). The small run (91 titles) had 0.890 at b=0.75 and
 * 0.887 at b=1.0, one query apart. DESIGN.md's earlier measurement had
 * k1=1.2, b=0.75, min_normlen=0 beat Xapian's defaults (0.71 vs 0.60). */
#define SOU_BM25_K1_DEFAULT 1.2
#define SOU_BM25_B_DEFAULT 1.0
#define SOU_BM25_MIN_NORMLEN_DEFAULT 0.0
/* Title boost: a plain query is body_query AND_MAYBE (its positive units
 * over the page title's S terms, ORed) scaled by this; 0 turns it off.
 * Weight only: the matching set and counts are the body query's. Chosen
 * by the known-item task (bench/run --size full --quality-only, 400
 * titles, 149,835 passages, k1=1.2 b=1.0): MRR@10 0.505 without ->
 * 0.822 at 0.5, 0.828 at 1.0, 0.828 at 2.0 (success@10 0.818 -> 0.838);
 * the title units ANDed instead of ORed: 0.823 / 0.829 / 0.829. Small
 * set (91 titles): 0.887 -> 0.901 at 0.25 to 4 (0.896 at 0.25). The BM25
 * sweep with it: b=0.9 0.828, b=1.0 0.828 at k1=1.2, so the defaults
 * above stand. --explain's BM25 parts count every term at scale 1: they
 * sum to the score while this is 1.0. Query p50, bench mix (330 queries,
 * top 10 with snippets): small index 52 -> 70..97 us (twice the
 * postlists to open), full quality index 276 -> 287 us (noise). */
#define SOU_TITLE_BOOST_SCALE 1.0
#define SOU_SNIPPET_CHARS_DEFAULT 160   /* code points */
#define SOU_QUERY_MAX_DEPTH 100         /* parenthesis nesting */
/* Alternatives in one OR group. Xapian 1.4 evaluates a very wide OR in
 * time quadratic in its width (a 100,000-way OR took minutes and ~1 GB);
 * Lucene's BooleanQuery has the same kind of limit (1024 clauses). */
#define SOU_QUERY_MAX_OR_TERMS 1024
#define SOU_WILDCARD_MAX_EXPANSION 256  /* terms a prefix* may expand to */
/* Reopen-and-retry rounds after a stale reader. Glass keeps only the two
 * newest revisions readable, so a slow reader (ASan builds, a loaded
 * machine) against a writer committing every few milliseconds can go stale
 * more than 3 times in a row: the readers-during-writes test saw that. A
 * retry costs one reopen. */
#define SOU_SEARCH_STALE_RETRIES 10

/* ---- opening an index ---------------------------------------------- */

typedef struct sou_index sou_index;

typedef struct sou_index_options {
    unsigned connect_timeout_ms; /* remote shards (0: 10000) */
    unsigned timeout_ms;         /* remote idle timeout (0: 10000) */
    int allow_partial;           /* answer from the shards that respond */
} sou_index_options;

void sou_index_options_default(sou_index_options *opts);

/* Open paths[0..n) as one index. Each path is
 *   - a directory written by sou-index: DIR/sou.stub is opened if present
 *     (the stub lists the shards), else DIR as one Xapian database;
 *   - a Xapian stub file (one shard per line: "auto PATH",
 *     "remote HOST:PORT" for xapian-tcpsrv, ... as Xapian reads them);
 *   - "tcp:HOST:PORT": a shard served by xapian-tcpsrv.
 * All of them are searched together with global statistics.
 * opts may be NULL (defaults). Fails with SOU_EIDENTITY (both identities in
 * the message) when the index was built with a different analysis than this
 * library's analyzer, SOU_ENOTFOUND, SOU_ENETWORK (names the shard), ...
 * With allow_partial, shards that do not open are skipped (see
 * sou_index_shard_ok); at least one must open. */
int sou_index_open(const char *const *paths, size_t n,
                   const sou_index_options *opts, sou_index **out,
                   sou_error *err);
void sou_index_close(sou_index *ix);          /* accepts NULL */
/* Move to the latest committed revision (a long-lived handle sees new
 * commits only after this; searches already reopen by themselves when
 * the revision they read is gone). */
int sou_index_reopen(sou_index *ix, sou_error *err);

/* The shards as opened (stub entries expanded by Xapian are reported as
 * the stub). Names are owned by the index, valid until close. */
size_t sou_index_shard_count(const sou_index *ix);
const char *sou_index_shard_name(const sou_index *ix, size_t i);
int sou_index_shard_ok(const sou_index *ix, size_t i);   /* 0: missing */

int sou_index_doccount(sou_index *ix, uint64_t *out, sou_error *err);
/* The index's analysis identity (== this library's analyzer identity).
 * Owned by the index, NUL-terminated, valid until close. */
const char *sou_index_identity(const sou_index *ix);

/* ---- queries ------------------------------------------------------- */

typedef struct sou_search_query sou_search_query;

enum {
    SOU_QUERY_LENIENT = 1   /* plain words: no operators, never SOU_EQUERY */
};

/* Parse text[0..len) for index ix. flags: SOU_QUERY_LENIENT or 0.
 * Returns 0, SOU_EQUERY (message names the problem and 1-based column),
 * SOU_ENOMEM. A query whose words all analyze to nothing (punctuation
 * only, empty text) parses and matches nothing. */
int sou_search_query_parse(sou_index *ix, const char *text, size_t len,
                           unsigned flags, sou_search_query **out,
                           sou_error *err);
void sou_search_query_free(sou_search_query *q);   /* accepts NULL */

/* Xapian's description of the built query ("Query()" when it matches
 * nothing). Owned by q, NUL-terminated, valid until free. */
const char *sou_search_query_describe(const sou_search_query *q);

/* The analyzed query for --explain: one entry per distinct term that adds
 * weight (terms under NOT and source: filters excluded). */
typedef struct sou_query_term_info {
    const char *term; size_t len;   /* index term, e.g. "网络", "Zconfigur" */
    const char *kind;               /* "word", "stem", "cjk_bigram", ...,
                                       "title:" kinds prefixed "title_" */
    uint32_t wqf;                   /* times it occurs in the query */
} sou_query_term_info;
size_t sou_search_query_term_count(const sou_search_query *q);
/* i < term_count; pointers owned by q, valid until free. */
const sou_query_term_info *sou_search_query_term(const sou_search_query *q,
                                                 size_t i);

/* ---- running ------------------------------------------------------- */

typedef struct sou_search_options {
    uint64_t offset;        /* skip this many results */
    uint64_t limit;         /* at most this many; 0: every match */
    int collapse;           /* keep the best passage per source */
    double k1, b, min_normlen;  /* BM25 */
    size_t snippet_chars;   /* snippet window in code points (0: none) */
    int exact_count;        /* make matches_estimated exact (slower) */
    int with_doclen;        /* fill sou_result.doclen, which
                               sou_search_explain needs; costs one round
                               trip per hit on remote shards */
} sou_search_options;

/* Defaults: offset 0, limit 10, no collapse, SOU_BM25_*_DEFAULT,
 * SOU_SNIPPET_CHARS_DEFAULT, exact_count 0, with_doclen 0. */
void sou_search_options_default(sou_search_options *opts);

/* A highlight: byte range [start, end). */
typedef struct sou_highlight { size_t start, end; } sou_highlight;

/* One ranked passage. Every pointer is owned by the sou_results it came
 * from and valid until sou_results_free. Strings are not NUL-terminated
 * unless said. */
typedef struct sou_result {
    const char *source; size_t source_len;  /* source id (path or id) */
    uint64_t ordinal;                       /* passage number in source */
    const char *title; size_t title_len;
    double score;                           /* BM25 */
    uint64_t start, end;                    /* byte range in the source */
    const char *text; size_t text_len;      /* the passage text */
    /* Matched text in `text`: sorted, non-overlapping, non-adjacent byte
     * ranges that cover exactly what matched a positive query term. */
    const sou_highlight *highlights; size_t n_highlights;
    /* A window of about snippet_chars code points of text centred on the
     * best cluster of matches, control characters shown as spaces, "…"
     * where text was cut; NUL-terminated. Its own highlight spans are byte
     * offsets into snippet. */
    const char *snippet; size_t snippet_len;
    const sou_highlight *snippet_highlights; size_t n_snippet_highlights;
    uint32_t docid;                         /* Xapian docid (combined) */
    uint32_t doclen;                        /* with_doclen only, else 0 */
} sou_result;

typedef struct sou_results sou_results;

/* Run q. opts may be NULL (defaults). Returns 0, SOU_ESTALE (after the
 * retries), SOU_ENETWORK (a shard stopped answering; names it), SOU_EIO,
 * SOU_ENOMEM, SOU_EINVAL (bad options: k1 < 0, b outside [0,1]).
 * Memory and warm-up: on local shards the index's second search (and the
 * second after each reopen) loads every passage's length into memory, 2
 * bytes per passage (about 45 ms and 2 MB per million passages here); later
 * searches score from it (same scores, ~1.6x faster at p50 on the bench).
 * Run one query at start-up twice if the first user query must not pay. */
int sou_search_run(sou_index *ix, const sou_search_query *q,
                   const sou_search_options *opts, sou_results **out,
                   sou_error *err);
/* The exact number of matching passages (collapse: matching sources). */
int sou_search_count(sou_index *ix, const sou_search_query *q,
                     int collapse, uint64_t *out, sou_error *err);

size_t sou_results_size(const sou_results *r);
/* i < size; owned by r. */
const sou_result *sou_results_get(const sou_results *r, size_t i);
/* Xapian's estimate of all matches (exact with exact_count) and bounds. */
uint64_t sou_results_matches_estimated(const sou_results *r);
uint64_t sou_results_matches_lower(const sou_results *r);
uint64_t sou_results_matches_upper(const sou_results *r);
void sou_results_free(sou_results *r);        /* accepts NULL */

/* ---- explaining a score -------------------------------------------- */

/* BM25 part of one query term in one result, computed from the index's
 * statistics exactly as Xapian's BM25Weight does:
 *   r      = (N - tf + .5) / (tf + .5), and r*.5 + 1 when r < 2 (Xapian's
 *            guard against negative weights for common terms),
 *   idf    = log(r),
 *   weight = idf * (k1+1) * 2wqf/(1+wqf) * wdf / (k1*(b*normlen + 1-b) + wdf)
 *   normlen = max(doclen / average length, min_normlen)
 * Terms of a phrase count only when the phrase matched, so the sum can
 * exceed the score when an unmatched branch of an OR shares a passage. */
typedef struct sou_explain_part {
    const char *term; size_t len;   /* owned by the query */
    uint64_t termfreq;              /* passages with the term */
    uint32_t wdf;                   /* occurrences in this passage */
    double idf;                     /* log part, after Xapian's clamp */
    double weight;                  /* this term's share of the score */
} sou_explain_part;

/* Fill parts[0..n) (n = sou_search_query_term_count(q)) for result i of r,
 * run with opts (NULL: defaults) and with_doclen set (else SOU_EINVAL). *doccount and *avlength get N and the
 * average passage length. Returns 0 or an error. */
int sou_search_explain(sou_index *ix, const sou_search_query *q,
                       const sou_search_options *opts,
                       const sou_results *r, size_t i,
                       sou_explain_part *parts, uint64_t *doccount,
                       double *avlength, sou_error *err);

#ifdef __cplusplus
}
#endif
#endif
