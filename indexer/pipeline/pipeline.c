/* indexer/pipeline/pipeline.c - the parallel indexing pipeline:
 *
 *   input list --(next index, atomic)--> analysis workers (cfg->threads)
 *     read + decode + split + analyze one source document at a time into a
 *     compact chunk (passage records + encoded terms, below)
 *   --(bounded queue per shard)--> one writer thread per shard
 *     delete the source's old passages (Q<source>), add the new ones,
 *     commit by passages/bytes but only when no source is half written.
 *
 * A source always goes to shard splitmix64(fnv1a64(id)) % M, so its chunks
 * reach one writer in order. Commit points fall between sources: after a
 * kill, every source in a shard has all its passages (of the last committed
 * run) or none.
 *
 * Memory is bounded: a worker cuts a big source into chunks of about
 * CHUNK_BYTES, and a shard queue blocks its producers above QUEUE_BYTES;
 * so in flight at most: M * (QUEUE_BYTES + CHUNK_BYTES) of chunks, plus per
 * worker one decoded document (<= the inputs' max document size) and the
 * chunk being built, plus each writer's uncommitted Xapian changes
 * (bounded by --commit-passages / --commit-mb; Xapian's own auto-commit is
 * disabled by sou-index so that it cannot commit in the middle of a source).
 *
 * Chunk encoding (all varints LEB128):
 *   header:   varint n, then n x (varint len, bytes): boolean source terms
 *             (the first is the Q term); u32le m, then m title terms
 *   passages: varint reclen, sou_record bytes; u32le k, then k terms
 *   term:     u8 flags (SOU_TERM_POSITIONAL), varint pos, varint len, bytes
 *             (title terms already carry their S prefix)
 */
#include "pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/statvfs.h>

#include "input_list.h"
#include "layout.h"
#include "strset.h"
#include "passages/passage.h"
#include "sou/analyzer.h"
#include "sou/record.h"
#include "sou/store.h"
#include "sou/terms.h"

#define CHUNK_BYTES ((size_t)1 << 20)
#define QUEUE_BYTES ((size_t)2 << 20)
/* Xapian's limit is 245 bytes per term; longer source terms are cut. */
#define MAX_SOURCE_TERM 240

enum { CH_FIRST = 1, CH_LAST = 2, CH_ABORT = 4, CH_END = 8 };

/* ---- growable buffer with a sticky out-of-memory flag ------------------- */
typedef struct buf { char *p; size_t len, cap; int nomem; } buf;

static int buf_reserve(buf *b, size_t extra)
{
    if (b->nomem) return -1;
    if (b->len + extra <= b->cap) return 0;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + extra) nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) { b->nomem = 1; return -1; }
    b->p = np;
    b->cap = nc;
    return 0;
}

static void buf_put(buf *b, const void *s, size_t n)
{
    if (buf_reserve(b, n) != 0) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void buf_varint(buf *b, uint64_t v)
{
    unsigned char t[10];
    size_t n = 0;
    do {
        t[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v) t[n] |= 0x80;
        n++;
    } while (v);
    buf_put(b, t, n);
}

static void buf_u32_at(buf *b, size_t off, uint32_t v)
{
    if (b->nomem) return;
    unsigned char t[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    memcpy(b->p + off, t, 4);
}

typedef struct reader_pos { const unsigned char *p, *end; } reader_pos;

static uint64_t rd_varint(reader_pos *r)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (r->p < r->end) {
        unsigned char c = *r->p++;
        if (shift < 64) v |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
        if (!(c & 0x80)) break;
    }
    return v;
}

static uint32_t rd_u32(reader_pos *r)
{
    const unsigned char *p = r->p;
    r->p += 4;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* ---- source terms (sou/terms.h) ----------------------------------------- */

uint64_t sou_source_hash(const char *id, size_t len)
{
    return sou_fnv1a64(id, len);
}

/* Spread the hash again so local shards are independent of the --shard K/N
 * split (both come from the same FNV-1a value). */
static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Length of s[0..n) cut back to a UTF-8 boundary. */
static size_t utf8_cut(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
    return n;
}

static void put_source_term(buf *b, size_t *count, const char *prefix,
                            const char *s, size_t n)
{
    size_t pl = strlen(prefix);
    if (pl + n > MAX_SOURCE_TERM) return;   /* too long to be a filter term */
    buf_varint(b, pl + n);
    buf_put(b, prefix, pl);
    buf_put(b, s, n);
    (*count)++;
}

/* The Q term: "Q" + id; an id too long for a Xapian term becomes "Q" + its
 * first 200 bytes (cut at a UTF-8 boundary) + "#" + 16 hex digits of its
 * FNV-1a 64 hash, still unique in practice and stable across runs. */
static size_t make_qterm(char *out, const char *id, size_t len)
{
    out[0] = 'Q';
    if (len + 1 <= MAX_SOURCE_TERM) {
        memcpy(out + 1, id, len);
        return len + 1;
    }
    size_t keep = utf8_cut(id, 200);
    memcpy(out + 1, id, keep);
    snprintf(out + 1 + keep, 18, "#%016llx",
             (unsigned long long)sou_fnv1a64(id, len));
    return 1 + keep + 17;
}

/* Q, XP (every '/'-bounded prefix and the full id), XC (each path component
 * lower-cased in ASCII, and the basename without its extension). */
static void encode_source_terms(buf *b, const char *id, size_t len)
{
    size_t count = 0;
    buf tmp = {0};
    char q[MAX_SOURCE_TERM + 20];
    size_t ql = make_qterm(q, id, len);
    buf_varint(&tmp, ql);
    buf_put(&tmp, q, ql);
    count++;
    for (size_t i = 0; i < len; i++)
        if (id[i] == '/') put_source_term(&tmp, &count, SOU_PREFIX_SOURCE_PATH, id, i + 1);
    if (len && id[len - 1] != '/')
        put_source_term(&tmp, &count, SOU_PREFIX_SOURCE_PATH, id, len);
    char comp[MAX_SOURCE_TERM];
    size_t s = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && id[i] != '/') continue;
        size_t n = i - s;
        const char *c = id + s;
        s = i + 1;
        if (n == 0 || n >= sizeof comp || (n == 1 && c[0] == '.') ||
            (n == 2 && c[0] == '.' && c[1] == '.'))
            continue;
        for (size_t k = 0; k < n; k++)
            comp[k] = (c[k] >= 'A' && c[k] <= 'Z') ? (char)(c[k] + 32) : c[k];
        put_source_term(&tmp, &count, SOU_PREFIX_SOURCE_COMPONENT, comp, n);
        if (i == len) {   /* basename: also without its extension */
            size_t dot = n;
            while (dot > 0 && comp[dot - 1] != '.') dot--;
            if (dot > 1)
                put_source_term(&tmp, &count, SOU_PREFIX_SOURCE_COMPONENT,
                                comp, dot - 1);
        }
    }
    buf_varint(b, count);
    buf_put(b, tmp.p, tmp.len);
    if (tmp.nomem) b->nomem = 1;
    free(tmp.p);
}

/* ---- chunks and shard queues -------------------------------------------- */

typedef struct chunk {
    struct chunk *next;
    int flags;
    char *id; size_t id_len;       /* source id */
    unsigned char key[8];          /* its collapse key (value SOU_SLOT_SOURCE) */
    uint64_t text_bytes;           /* CH_LAST: decoded bytes of the source */
    size_t npassages;
    buf b;
} chunk;

static void chunk_free(chunk *c)
{
    if (!c) return;
    free(c->id);
    free(c->b.p);
    free(c);
}

struct run;

typedef struct shard {
    struct run *run;
    size_t index;
    sou_writer *w;
    const char *path;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    chunk *head, *tail;
    size_t queued;
    int dead;                      /* writer failed: drop what comes */
    /* writer thread only */
    uint64_t since_passages, since_bytes;
    int open_sources;
    sou_doc *doc;
    sou_reader *reader;            /* committed state, for byte accounting */
    uint64_t prior_bytes, added_bytes, removed_bytes;
    chunk end_marker;              /* CH_END, pushed after the workers end */
} shard;

typedef struct run {
    const sou_index_config *cfg;
    sou_layout *layout;
    sou_input_list inputs;
    shard *shards;
    size_t nshards;
    atomic_size_t next_input;
    atomic_int fatal;
    pthread_mutex_t err_mu;
    int fatal_rc;
    sou_error fatal_err;
    atomic_uint_fast64_t files_done, bytes_done, sources, passages,
        text_bytes, skipped, errors, warnings, commits;
    pthread_mutex_t seen_mu;
    sou_strset seen;               /* Q terms of this run's sources (--prune,
                                      a rebuild's carry-over) */
    pthread_mutex_t done_mu;
    pthread_cond_t done_cv;
    unsigned workers_left, writers_left;
    struct timespec t0;
} run;

static double elapsed(const run *r)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - r->t0.tv_sec) +
           (double)(t.tv_nsec - r->t0.tv_nsec) / 1e9;
}

static void set_fatal(run *r, int rc, const char *where, const sou_error *e)
{
    pthread_mutex_lock(&r->err_mu);
    if (!r->fatal_rc) {
        r->fatal_rc = rc;
        sou_error_set(&r->fatal_err, rc, "%s: %s", where,
                      e && e->msg[0] ? e->msg : sou_strerror(rc));
    }
    pthread_mutex_unlock(&r->err_mu);
    atomic_store(&r->fatal, 1);
}

static int stopping(const run *r)
{
    return atomic_load(&r->fatal) || (r->cfg->stop && *r->cfg->stop);
}

static void queue_push(shard *s, chunk *c)
{
    pthread_mutex_lock(&s->mu);
    while (!s->dead && s->queued >= QUEUE_BYTES && !(c->flags & CH_END))
        pthread_cond_wait(&s->nonfull, &s->mu);
    if (s->dead && !(c->flags & CH_END)) {
        pthread_mutex_unlock(&s->mu);
        chunk_free(c);
        return;
    }
    c->next = NULL;
    if (s->tail) s->tail->next = c; else s->head = c;
    s->tail = c;
    s->queued += c->b.len;
    pthread_cond_signal(&s->nonempty);
    pthread_mutex_unlock(&s->mu);
}

static chunk *queue_pop(shard *s)
{
    pthread_mutex_lock(&s->mu);
    while (!s->head) pthread_cond_wait(&s->nonempty, &s->mu);
    chunk *c = s->head;
    s->head = c->next;
    if (!s->head) s->tail = NULL;
    s->queued -= c->b.len;
    pthread_cond_broadcast(&s->nonfull);
    pthread_mutex_unlock(&s->mu);
    return c;
}

/* ---- writer threads ----------------------------------------------------- */

/* Bytes of passage text the committed shard holds for source term q (so the
 * stats stay exact when sources are replaced or pruned). Best effort: a
 * reader error leaves the figure out. */
static uint64_t committed_text_bytes(shard *s, const char *q, size_t ql)
{
    if (!s->reader) return 0;
    sou_error e;
    uint64_t tf = 0;
    int rc = sou_reader_termfreq(s->reader, q, ql, &tf, &e);
    if (rc == SOU_ESTALE && sou_reader_reopen(s->reader, &e) == 0)
        rc = sou_reader_termfreq(s->reader, q, ql, &tf, &e);
    if (rc != 0 || tf == 0) return 0;
    sou_qpool *pool = NULL;
    if (sou_qpool_new(&pool) != 0) return 0;
    uint64_t total = 0;
    sou_query *query = sou_query_term(pool, q, ql, 1, 0);
    sou_search_params p = {0};
    p.limit = tf;
    p.k1 = 1.2; p.b = 0.75;
    sou_hits hits = {0};
    if (query) {
        rc = sou_reader_search(s->reader, query, &p, &hits, &e);
        if (rc == SOU_ESTALE && sou_reader_reopen(s->reader, &e) == 0)
            rc = sou_reader_search(s->reader, query, &p, &hits, &e);
        for (size_t i = 0; rc == 0 && i < hits.n; i++) {
            sou_record rec;
            if (sou_record_decode(hits.hits[i].data, hits.hits[i].data_len,
                                  &rec) == 0)
                total += rec.text_len;
        }
        sou_hits_free(&hits);
    }
    sou_qpool_free(pool);
    return total;
}

/* Without positions a positional term gets the wdf it would have had
 * (one per occurrence), so document lengths and weights are unchanged.
 * With them, the analyzer's position p is stored as p + 1: Xapian 1.4.22
 * stores a term's position list {0, 1} as {1} (a passage "哈哈哈" was not
 * found by 哈哈哈, nor "foo foo bar" by "foo foo"); phrases only compare
 * positions with each other. */
static int add_terms(sou_doc *d, reader_pos *rp, uint32_t n, int positions)
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned flags = *rp->p++;
        uint32_t pos = (uint32_t)rd_varint(rp);
        size_t len = (size_t)rd_varint(rp);
        const char *t = (const char *)rp->p;
        rp->p += len;
        int rc = positions && (flags & SOU_TERM_POSITIONAL)
                     ? sou_doc_add_posting(d, t, len, pos + 1)
                     : sou_doc_add_term(d, t, len, 1);
        if (rc != 0) return rc;
    }
    return 0;
}

/* Xapian 1.4 can abort the whole process (std::terminate while unwinding
 * inside WritableDatabase::commit_transaction) when the disk fills during a
 * commit; a failed add is reported normally. So, like a search engine's
 * flood-stage disk watermark, a commit first needs free space for what it
 * may write: SOU_COMMIT_SPACE_FACTOR x the passage text since the last
 * commit (the full bench index as sou-index writes it, 2 shards, is ~19x
 * its text: 1,963 MB for 101 MB; compacted it is ~11x) plus
 * SOU_COMMIT_SPACE_SLACK. Short of that the shard stops with a "disk full"
 * error and stays at its last commit. statvfs failing does not block. */
#define SOU_COMMIT_SPACE_FACTOR 20
#define SOU_COMMIT_SPACE_SLACK (1u << 20)

static int shard_commit(shard *s, sou_error *e)
{
    struct statvfs v;
    if (statvfs(s->path, &v) == 0) {
        uint64_t avail = (uint64_t)v.f_bavail * v.f_frsize;
        uint64_t need = s->since_bytes * SOU_COMMIT_SPACE_FACTOR + SOU_COMMIT_SPACE_SLACK;
        if (avail < need)
            return sou_error_set(e, SOU_EIO, "not enough free disk space to commit "
                                 "safely (%" PRIu64 " KB free, %" PRIu64 " KB needed): "
                                 "disk full", avail >> 10, need >> 10);
    }
    int rc = sou_writer_commit(s->w, e);
    if (rc != 0) return rc;
    s->since_passages = s->since_bytes = 0;
    atomic_fetch_add(&s->run->commits, 1);
    return 0;
}

static int write_chunk(shard *s, chunk *c, sou_error *e)
{
    run *r = s->run;
    reader_pos rp = {(const unsigned char *)c->b.p,
                     (const unsigned char *)c->b.p + c->b.len};
    size_t nsrc = (size_t)rd_varint(&rp);
    const unsigned char *src_terms = rp.p;
    size_t qlen = 0;
    const char *q = NULL;
    for (size_t i = 0; i < nsrc; i++) {
        size_t l = (size_t)rd_varint(&rp);
        if (i == 0) { q = (const char *)rp.p; qlen = l; }
        rp.p += l;
    }
    const unsigned char *src_end = rp.p;
    uint32_t ntitle = rd_u32(&rp);
    const unsigned char *title_terms = rp.p;
    {
        reader_pos skip = rp;
        for (uint32_t i = 0; i < ntitle; i++) {
            skip.p++;
            rd_varint(&skip);
            size_t l = (size_t)rd_varint(&skip);
            skip.p += l;
        }
        rp = skip;
    }
    int rc = 0;
    if (c->flags & CH_FIRST) {
        s->removed_bytes += committed_text_bytes(s, q, qlen);
        rc = sou_writer_delete_term(s->w, q, qlen, e);
        if (rc != 0) return rc;
        s->open_sources++;
    }
    for (size_t k = 0; k < c->npassages; k++) {
        size_t reclen = (size_t)rd_varint(&rp);
        const char *rec = (const char *)rp.p;
        rp.p += reclen;
        uint32_t nterms = rd_u32(&rp);
        sou_record parsed;
        if (sou_record_decode(rec, reclen, &parsed) != 0)
            return sou_error_set(e, SOU_EINTERNAL, "bad passage record in chunk");
        sou_doc *d = s->doc;
        sou_doc_clear(d);
        reader_pos sp = {src_terms, src_end};
        for (size_t i = 0; rc == 0 && i < nsrc; i++) {
            size_t l = (size_t)rd_varint(&sp);
            rc = sou_doc_add_boolean(d, (const char *)sp.p, l);
            sp.p += l;
        }
        reader_pos tp = {title_terms, rp.p};
        if (rc == 0) rc = add_terms(d, &tp, ntitle, r->layout->positions);
        if (rc == 0) rc = add_terms(d, &rp, nterms, r->layout->positions);
        if (rc == 0) rc = sou_doc_set_value(d, SOU_SLOT_SOURCE, (const char *)c->key, 8);
        if (rc == 0) rc = sou_doc_set_record(d, rec, reclen);
        if (rc != 0)
            return sou_error_set(e, rc, "building a passage document: %s",
                                 sou_strerror(rc));
        rc = sou_writer_add(s->w, d, e);
        if (rc != 0) return rc;
        s->since_passages++;
        s->since_bytes += parsed.text_len;
        s->added_bytes += parsed.text_len;
        atomic_fetch_add(&r->passages, 1);
    }
    if (c->flags & CH_ABORT) {
        /* The worker failed in the middle of this source: drop all of it. */
        rc = sou_writer_delete_term(s->w, q, qlen, e);
        if (rc != 0) return rc;
    }
    if (c->flags & CH_LAST) {
        s->open_sources--;
        if (!(c->flags & CH_ABORT)) {
            atomic_fetch_add(&r->sources, 1);
            atomic_fetch_add(&r->text_bytes, c->text_bytes);
        }
        if (s->open_sources == 0 &&
            (s->since_passages >= r->cfg->commit_passages ||
             s->since_bytes >= r->cfg->commit_bytes)) {
            rc = shard_commit(s, e);
            if (rc != 0) return rc;
        }
    }
    return 0;
}

static void *writer_main(void *arg)
{
    shard *s = arg;
    run *r = s->run;
    for (;;) {
        chunk *c = queue_pop(s);
        if (c->flags & CH_END) break;   /* s->end_marker, not malloc'd */
        if (!s->dead) {
            sou_error e;
            sou_error_clear(&e);
            int rc = write_chunk(s, c, &e);
            if (rc != 0) {
                set_fatal(r, rc, s->path, &e);
                pthread_mutex_lock(&s->mu);
                s->dead = 1;   /* the uncommitted changes are abandoned */
                pthread_cond_broadcast(&s->nonfull);
                pthread_mutex_unlock(&s->mu);
            }
        }
        chunk_free(c);
    }
    if (!s->dead && s->open_sources == 0 && s->since_passages + s->since_bytes > 0) {
        /* open_sources > 0 can only follow a fatal error elsewhere: then the
         * half-written source must not be committed. */
        sou_error e;
        int rc = shard_commit(s, &e);
        if (rc != 0) {
            set_fatal(r, rc, s->path, &e);
            s->dead = 1;
        }
    }
    pthread_mutex_lock(&r->done_mu);
    r->writers_left--;
    pthread_cond_broadcast(&r->done_cv);
    pthread_mutex_unlock(&r->done_mu);
    return NULL;
}

/* ---- analysis workers --------------------------------------------------- */

typedef struct worker {
    run *r;
    pthread_t thread;
    sou_analyzer *an;
    sou_splitter *sp;
    buf header;              /* source + title terms of the current source */
    buf *out;                /* term sink target */
    uint32_t nterms;
    const char *prefix;      /* "S" for title terms, "" for body */
    const char *path;        /* current input */
    int doc_rc;              /* failure inside a document callback */
    sou_error doc_err;
} worker;

static int term_sink(void *ctx, const sou_term *t)
{
    worker *w = ctx;
    buf *b = w->out;
    size_t pl = strlen(w->prefix);
    unsigned char flags = (unsigned char)(t->flags & SOU_TERM_POSITIONAL);
    buf_put(b, &flags, 1);
    buf_varint(b, t->pos);
    buf_varint(b, pl + t->len);
    buf_put(b, w->prefix, pl);
    buf_put(b, t->term, t->len);
    w->nterms++;
    return b->nomem ? 1 : 0;
}

static chunk *chunk_new(worker *w, const sou_source_doc *doc, int flags)
{
    chunk *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->flags = flags;
    c->id = malloc(doc->id_len ? doc->id_len : 1);
    if (!c->id) { free(c); return NULL; }
    memcpy(c->id, doc->id, doc->id_len);
    c->id_len = doc->id_len;
    uint64_t h = sou_source_hash(doc->id, doc->id_len);
    for (int i = 0; i < 8; i++) c->key[i] = (unsigned char)(h >> (56 - 8 * i));
    if (buf_reserve(&c->b, w->header.len + CHUNK_BYTES / 8) != 0) {
        chunk_free(c);
        return NULL;
    }
    buf_put(&c->b, w->header.p, w->header.len);
    return c;
}

static void report(run *r, const char *path, uint64_t line, int code,
                   const char *msg, int warning)
{
    if (r->cfg->report) r->cfg->report(r->cfg->ctx, path, line, code, msg, warning);
}

static void warn_cb(void *ctx, const char *path, uint64_t line, int code,
                    const char *msg)
{
    worker *w = ctx;
    atomic_fetch_add(&w->r->warnings, 1);
    report(w->r, path, line, code, msg, 1);
}

/* The next passage of a source: 1 and *rec filled, 0 at the end. */
typedef int (*passage_next_fn)(void *ctx, size_t i, sou_record *rec);

/* Source doc (its id and title; text_bytes its decoded size) to shard s's
 * writer: a header of its source and title terms, then each passage's
 * record and analyzed terms, in chunks. Returns 0, or 1 with w->doc_rc
 * set (the writer is told to drop what it got of the source). */
static int send_source(worker *w, shard *s, const sou_source_doc *doc, uint64_t text_bytes,
                       passage_next_fn next, void *nctx)
{
    run *r = w->r;
    /* Header: source terms, then title terms ("S" + analyzer output). */
    w->header.len = 0;
    w->header.nomem = 0;
    encode_source_terms(&w->header, doc->id, doc->id_len);
    size_t title_count_off = w->header.len;
    buf_put(&w->header, "\0\0\0\0", 4);
    w->out = &w->header;
    w->nterms = 0;
    w->prefix = SOU_PREFIX_TITLE;
    int rc = sou_analyzer_run(w->an, doc->title, doc->title_len, term_sink, w);
    if (rc != 0 || w->header.nomem) goto nomem;
    buf_u32_at(&w->header, title_count_off, w->nterms);

    int pushed = 0;
    chunk *c = chunk_new(w, doc, CH_FIRST);
    if (!c) goto nomem;
    w->prefix = "";
    sou_record rec;
    for (size_t i = 0; next(nctx, i, &rec); i++) {
        if (c->b.len >= CHUNK_BYTES) {
            queue_push(s, c);
            pushed = 1;
            if (!(c = chunk_new(w, doc, 0))) goto nomem_pushed;
        }
        char *enc = NULL;
        size_t enclen = 0;
        if (sou_record_encode(&rec, &enc, &enclen) != 0) goto nomem_chunk;
        buf_varint(&c->b, enclen);
        buf_put(&c->b, enc, enclen);
        free(enc);
        size_t count_off = c->b.len;
        buf_put(&c->b, "\0\0\0\0", 4);
        w->out = &c->b;
        w->nterms = 0;
        rc = sou_analyzer_run(w->an, rec.text, rec.text_len, term_sink, w);
        if (rc != 0 || c->b.nomem) goto nomem_chunk;
        buf_u32_at(&c->b, count_off, w->nterms);
        c->npassages++;
    }
    c->flags |= CH_LAST;
    c->text_bytes = text_bytes;
    queue_push(s, c);
    return 0;

nomem_chunk:
    chunk_free(c);
nomem_pushed:
    if (pushed) {
        /* The writer holds part of this source: make it drop all of it. */
        chunk *abort_c = calloc(1, sizeof *abort_c);
        if (abort_c) {
            abort_c->flags = CH_LAST | CH_ABORT;
            abort_c->id = malloc(1);
            buf_put(&abort_c->b, w->header.p, w->header.len);
            if (!abort_c->id || abort_c->b.nomem) {
                chunk_free(abort_c);
                abort_c = NULL;
            }
        }
        if (abort_c) {
            queue_push(s, abort_c);
        } else {
            sou_error e;
            sou_error_set(&e, SOU_ENOMEM, "out of memory");
            set_fatal(r, SOU_ENOMEM, doc->id, &e);
        }
    }
nomem:
    w->doc_rc = sou_error_set(&w->doc_err, SOU_ENOMEM,
                              "out of memory while analyzing");
    return 1;
}

typedef struct span_passages {
    const sou_source_doc *doc;
    const sou_span *spans;
    size_t n;
} span_passages;

static int span_next(void *ctx, size_t i, sou_record *rec)
{
    const span_passages *p = ctx;
    if (i >= p->n) return 0;
    *rec = (sou_record){
        .ordinal = i, .start = p->spans[i].start, .end = p->spans[i].end,
        .source = p->doc->id, .source_len = p->doc->id_len,
        .title = p->doc->title, .title_len = p->doc->title_len,
        .text = p->doc->text + p->spans[i].start,
        .text_len = p->spans[i].end - p->spans[i].start,
    };
    return 1;
}

static int doc_cb(void *ctx, const sou_source_doc *doc)
{
    worker *w = ctx;
    run *r = w->r;
    if (stopping(r)) return 1;   /* between sources: stop cleanly */
    uint64_t h = sou_source_hash(doc->id, doc->id_len);
    if (r->cfg->shard_n && h % r->cfg->shard_n != r->cfg->shard_k) {
        atomic_fetch_add(&r->skipped, 1);
        return 0;
    }
    shard *s = &r->shards[splitmix64(h) % r->nshards];
    if (r->cfg->prune || r->layout->base) {   /* --prune, or a rebuild's carry-over */
        char q[MAX_SOURCE_TERM + 20];
        size_t ql = make_qterm(q, doc->id, doc->id_len);
        pthread_mutex_lock(&r->seen_mu);
        int rc = sou_strset_add(&r->seen, q, ql);
        pthread_mutex_unlock(&r->seen_mu);
        if (rc < 0) {
            w->doc_rc = sou_error_set(&w->doc_err, SOU_ENOMEM, "out of memory");
            return 1;
        }
    }
    const sou_span *spans;
    size_t nspans;
    int rc = sou_splitter_split(w->sp, doc->text, doc->text_len, &spans, &nspans);
    if (rc != 0) {
        w->doc_rc = sou_error_set(&w->doc_err, rc, "splitting into passages: %s",
                                  sou_strerror(rc));
        return 1;
    }
    span_passages sp = {doc, spans, nspans};
    return send_source(w, s, doc, doc->text_len, span_next, &sp);
}

/* ---- a rebuild's carry-over (layout.h) ----------------------------------- */

typedef struct carry_ctx {
    run *r;
    int drop;          /* --prune with no failed input: unseen sources go */
    buf terms;         /* varint len + Q term of each source to carry over */
    size_t n;
    uint64_t dropped;
} carry_ctx;

static int carry_visit(void *ctx, const char *term, size_t len)
{
    carry_ctx *c = ctx;
    if (sou_strset_has(&c->r->seen, term, len)) return 0;
    if (c->drop) {
        c->dropped++;
        return 0;
    }
    buf_varint(&c->terms, len);
    buf_put(&c->terms, term, len);
    c->n++;
    return c->terms.nomem ? SOU_ENOMEM : 0;
}

typedef struct record_passages {
    const sou_record *recs;
    size_t n;
} record_passages;

static int record_next(void *ctx, size_t i, sou_record *rec)
{
    const record_passages *p = ctx;
    if (i >= p->n) return 0;
    *rec = p->recs[i];
    return 1;
}

static int by_ordinal(const void *a, const void *b)
{
    uint64_t x = ((const sou_record *)a)->ordinal, y = ((const sou_record *)b)->ordinal;
    return x < y ? -1 : x > y;
}

/* The sources of the rebuild's base that no input of this run gave, from
 * their passage records: each passage analyzed again (the index's own
 * analysis: same terms) and sent to the shard its source belongs to, as
 * an input's would be. With drop, they are left out instead (*pruned). */
static int carry_over(run *r, worker *w, int drop, uint64_t *pruned, sou_error *err)
{
    const char *one[1] = {r->layout->base};
    sou_reader *rd = NULL;
    int rc = sou_reader_open(one, 1, NULL, &rd, err);
    if (rc) return rc;
    carry_ctx cc = {r, drop, {0}, 0, 0};
    rc = sou_reader_allterms(rd, SOU_PREFIX_SOURCE, 1, carry_visit, &cc, err);
    if (rc == SOU_ENOMEM) rc = sou_error_set(err, rc, "out of memory");
    sou_qpool *pool = NULL;
    if (rc == 0 && sou_qpool_new(&pool) != 0) rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
    reader_pos rp = {(const unsigned char *)cc.terms.p,
                     (const unsigned char *)cc.terms.p + cc.terms.len};
    for (size_t i = 0; rc == 0 && i < cc.n && !stopping(r); i++) {
        size_t l = (size_t)rd_varint(&rp);
        const char *q = (const char *)rp.p;
        rp.p += l;
        uint64_t tf = 0;
        if ((rc = sou_reader_termfreq(rd, q, l, &tf, err)) != 0 || tf == 0) continue;
        sou_query *tq = sou_query_term(pool, q, l, 1, 0);
        if (!tq) {
            rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
            break;
        }
        sou_search_params p = {.limit = tf, .k1 = 1.2, .b = 0.75, .skip_doclen = 1};
        sou_hits hits = {0};
        if ((rc = sou_reader_search(rd, tq, &p, &hits, err)) != 0) break;
        sou_record *recs = calloc(hits.n ? hits.n : 1, sizeof *recs);
        uint64_t bytes = 0;
        if (!recs) rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
        for (size_t k = 0; rc == 0 && k < hits.n; k++) {
            if (sou_record_decode(hits.hits[k].data, hits.hits[k].data_len, &recs[k]))
                rc = sou_error_set(err, SOU_ECORRUPT, "%s: a passage record of source "
                                   "term %.*s is corrupt", r->layout->base, (int)l, q);
            else
                bytes += recs[k].text_len;
        }
        if (rc == 0 && hits.n) {
            qsort(recs, hits.n, sizeof *recs, by_ordinal);
            sou_source_doc doc = {.id = recs[0].source, .id_len = recs[0].source_len,
                                  .title = recs[0].title, .title_len = recs[0].title_len};
            shard *s = &r->shards[splitmix64(sou_source_hash(doc.id, doc.id_len)) % r->nshards];
            record_passages ps = {recs, hits.n};
            if (send_source(w, s, &doc, bytes, record_next, &ps)) {
                rc = w->doc_rc;
                if (err) *err = w->doc_err;
            }
        }
        free(recs);
        sou_hits_free(&hits);
    }
    *pruned += cc.dropped;
    free(cc.terms.p);
    sou_qpool_free(pool);
    sou_reader_close(rd);
    return rc;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    run *r = w->r;
    sou_input_options io = r->cfg->input;
    for (;;) {
        if (stopping(r)) break;
        size_t i = atomic_fetch_add(&r->next_input, 1);
        if (i >= r->inputs.n) break;
        const sou_input_file *f = &r->inputs.files[i];
        if (f->error) {
            atomic_fetch_add(&r->errors, 1);
            report(r, f->path, 0, f->error, f->why ? f->why : sou_strerror(f->error), 0);
        } else {
            sou_error e;
            sou_error_clear(&e);
            w->path = f->path;
            w->doc_rc = 0;
            int rc = sou_input_read_path(f->path, &io, doc_cb, warn_cb, w, &e);
            if (rc == SOU_ESTOPPED && w->doc_rc) {
                rc = w->doc_rc;
                e = w->doc_err;
            }
            if (rc != 0 && rc != SOU_ESTOPPED) {
                atomic_fetch_add(&r->errors, 1);
                report(r, f->path, 0, rc, e.msg[0] ? e.msg : sou_strerror(rc), 0);
            }
        }
        atomic_fetch_add(&r->files_done, 1);
        atomic_fetch_add(&r->bytes_done, f->size);
    }
    pthread_mutex_lock(&r->done_mu);
    r->workers_left--;
    pthread_cond_broadcast(&r->done_cv);
    pthread_mutex_unlock(&r->done_mu);
    return NULL;
}

/* ---- the run ------------------------------------------------------------ */

static void snapshot(run *r, sou_index_stats *st)
{
    st->files_total = r->inputs.n;
    st->bytes_total = 0;
    for (size_t i = 0; i < r->inputs.n; i++) st->bytes_total += r->inputs.files[i].size;
    st->files_done = atomic_load(&r->files_done);
    st->bytes_done = atomic_load(&r->bytes_done);
    st->sources = atomic_load(&r->sources);
    st->passages = atomic_load(&r->passages);
    st->text_bytes = atomic_load(&r->text_bytes);
    st->skipped = atomic_load(&r->skipped);
    st->errors = atomic_load(&r->errors);
    st->warnings = atomic_load(&r->warnings);
    st->commits = atomic_load(&r->commits);
    st->seconds = elapsed(r);
    st->interrupted = r->cfg->stop && *r->cfg->stop;
}

typedef struct prune_ctx {
    run *r;
    buf victims;       /* varint len + term, for each Q term not seen */
    size_t n;
} prune_ctx;

static int prune_visit(void *ctx, const char *term, size_t len)
{
    prune_ctx *p = ctx;
    if (sou_strset_has(&p->r->seen, term, len)) return 0;
    buf_varint(&p->victims, len);
    buf_put(&p->victims, term, len);
    p->n++;
    return p->victims.nomem ? 1 : 0;
}

static int count_visit(void *ctx, const char *term, size_t len)
{
    (void)term; (void)len;
    (*(uint64_t *)ctx)++;
    return 0;
}

static int prune_shard(run *r, shard *s, uint64_t *pruned, sou_error *err)
{
    prune_ctx p = {r, {0}, 0};
    int rc = sou_writer_allterms(s->w, SOU_PREFIX_SOURCE, 1, prune_visit, &p, err);
    if (rc == 0 && p.victims.nomem) rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
    reader_pos rp = {(const unsigned char *)p.victims.p,
                     (const unsigned char *)p.victims.p + p.victims.len};
    for (size_t i = 0; rc == 0 && i < p.n; i++) {
        size_t l = (size_t)rd_varint(&rp);
        s->removed_bytes += committed_text_bytes(s, (const char *)rp.p, l);
        rc = sou_writer_delete_term(s->w, (const char *)rp.p, l, err);
        rp.p += l;
    }
    free(p.victims.p);
    if (rc == 0) *pruned += p.n;
    return rc;
}

static uint64_t parse_stat(const char *json, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

/* Write SOU_META_STATS of shard s; adds its figures to the totals. */
static int shard_stats(shard *s, uint64_t tot[3], sou_error *err)
{
    uint64_t files = 0, docs = 0;
    int rc = sou_writer_allterms(s->w, SOU_PREFIX_SOURCE, 1, count_visit, &files, err);
    if (rc == 0) rc = sou_writer_doccount(s->w, &docs, err);
    if (rc != 0) return rc;
    uint64_t bytes = s->prior_bytes + s->added_bytes;
    bytes = bytes > s->removed_bytes ? bytes - s->removed_bytes : 0;
    char json[160];
    int n = snprintf(json, sizeof json,
                     "{\"files\":%llu,\"passages\":%llu,\"bytes\":%llu}",
                     (unsigned long long)files, (unsigned long long)docs,
                     (unsigned long long)bytes);
    tot[0] += files; tot[1] += docs; tot[2] += bytes;
    return sou_writer_set_metadata(s->w, SOU_META_STATS, json, (size_t)n, err);
}

/* Wait until *left is 0 (under done_mu), calling the progress callback
 * every progress_ms meanwhile. */
static void wait_progress(run *r, unsigned *left, sou_index_stats *stats)
{
    const sou_index_config *cfg = r->cfg;
    pthread_mutex_lock(&r->done_mu);
    while (*left > 0) {
        if (cfg->progress && cfg->progress_ms) {
            struct timespec t;
            clock_gettime(CLOCK_REALTIME, &t);
            t.tv_nsec += (long)(cfg->progress_ms % 1000) * 1000000L;
            t.tv_sec += cfg->progress_ms / 1000 + t.tv_nsec / 1000000000L;
            t.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&r->done_cv, &r->done_mu, &t);
            pthread_mutex_unlock(&r->done_mu);
            snapshot(r, stats);
            cfg->progress(cfg->ctx, stats);
            pthread_mutex_lock(&r->done_mu);
        } else {
            pthread_cond_wait(&r->done_cv, &r->done_mu);
        }
    }
    pthread_mutex_unlock(&r->done_mu);
}

int sou_index_run(const sou_index_config *cfg, char *const *paths, size_t n,
                  sou_index_stats *stats, sou_error *err)
{
    memset(stats, 0, sizeof *stats);
    run *r = calloc(1, sizeof *r);
    if (!r) return sou_error_set(err, SOU_ENOMEM, "out of memory");
    r->cfg = cfg;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    pthread_mutex_init(&r->err_mu, NULL);
    pthread_mutex_init(&r->seen_mu, NULL);
    pthread_mutex_init(&r->done_mu, NULL);
    pthread_cond_init(&r->done_cv, NULL);
    unsigned nthreads = cfg->threads ? cfg->threads : 1;
    worker *workers = calloc(nthreads, sizeof *workers);
    int rc = workers ? 0 : sou_error_set(err, SOU_ENOMEM, "out of memory");

    for (size_t i = 0; rc == 0 && i < n; i++)
        if (sou_input_list_add(&r->inputs, paths[i]) != 0)
            rc = sou_error_set(err, SOU_ENOMEM, "out of memory listing inputs");

    /* One analyzer per worker; the first gives the index identity. */
    for (unsigned i = 0; rc == 0 && i < nthreads; i++) {
        workers[i].r = r;
        rc = sou_analyzer_new(NULL, &workers[i].an);
        if (rc != 0) {
            sou_error_set(err, rc, "cannot create the analyzer: %s", sou_strerror(rc));
            break;
        }
        rc = sou_splitter_new(cfg->passage_chars, &workers[i].sp);
        if (rc != 0)
            sou_error_set(err, rc, "cannot create the passage splitter: %s",
                          sou_strerror(rc));
    }
    char shardset[48] = "";
    if (cfg->shard_n)
        snprintf(shardset, sizeof shardset, "%u/%u", cfg->shard_k, cfg->shard_n);
    if (rc == 0)
        rc = sou_layout_open(cfg->dir, cfg->shards, cfg->default_shards,
                             sou_analyzer_identity(workers[0].an), shardset,
                             cfg->positions, &r->layout, err);
    if (rc == 0) {
        r->nshards = r->layout->nshards;
        r->shards = calloc(r->nshards, sizeof *r->shards);
        if (!r->shards) rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < r->nshards; i++) {
        shard *s = &r->shards[i];
        s->run = r;
        s->index = i;
        s->w = r->layout->writers[i];
        s->path = r->layout->shard_paths[i];
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->nonempty, NULL);
        pthread_cond_init(&s->nonfull, NULL);
        rc = sou_doc_new(&s->doc);
        if (rc != 0) { sou_error_set(err, rc, "out of memory"); break; }
        char *js = NULL;
        size_t jl = 0;
        if (sou_writer_get_metadata(s->w, SOU_META_STATS, &js, &jl, NULL) == 0) {
            s->prior_bytes = parse_stat(js, "bytes");
            free(js);
        }
        /* A reader on the committed state: only needed when sources may be
         * replaced, i.e. the shard already holds passages. */
        uint64_t docs = 0;
        if (sou_writer_doccount(s->w, &docs, NULL) == 0 && docs > 0) {
            const char *one[1] = {s->path};
            sou_error e2;
            if (sou_reader_open(one, 1, NULL, &s->reader, &e2) != 0) s->reader = NULL;
        }
    }
    /* Start writers, then workers. */
    for (size_t i = 0; rc == 0 && i < r->nshards; i++) {
        if (pthread_create(&r->shards[i].thread, NULL, writer_main, &r->shards[i]) != 0)
            rc = sou_error_set(err, SOU_EINTERNAL, "cannot start a writer thread");
        else {
            r->shards[i].started = 1;
            pthread_mutex_lock(&r->done_mu);
            r->writers_left++;
            pthread_mutex_unlock(&r->done_mu);
        }
    }
    unsigned started = 0;
    if (rc == 0) {
        r->workers_left = nthreads;
        for (; started < nthreads; started++)
            if (pthread_create(&workers[started].thread, NULL, worker_main,
                               &workers[started]) != 0)
                break;
        pthread_mutex_lock(&r->done_mu);
        r->workers_left -= nthreads - started;
        pthread_mutex_unlock(&r->done_mu);
        wait_progress(r, &r->workers_left, stats);
        for (unsigned i = 0; i < started; i++) pthread_join(workers[i].thread, NULL);
        if (started == 0)
            rc = sou_error_set(err, SOU_EINTERNAL, "cannot start worker threads");
    }
    /* A rebuild: the base's other sources, after every input was seen. */
    uint64_t pruned = 0;
    if (rc == 0 && r->layout->base && !stopping(r))
        rc = carry_over(r, &workers[0], cfg->prune && atomic_load(&r->errors) == 0,
                        &pruned, err);
    /* Writers drain their queues (progress goes on meanwhile), then end. */
    for (size_t i = 0; i < r->nshards; i++) {
        if (!r->shards[i].started) continue;
        r->shards[i].end_marker.flags = CH_END;
        queue_push(&r->shards[i], &r->shards[i].end_marker);
    }
    wait_progress(r, &r->writers_left, stats);
    for (size_t i = 0; i < r->nshards; i++)
        if (r->shards[i].started) pthread_join(r->shards[i].thread, NULL);
    if (rc == 0 && r->fatal_rc) {
        rc = r->fatal_rc;
        if (err) *err = r->fatal_err;
    }
    int interrupted = cfg->stop && *cfg->stop;
    if (rc == 0 && cfg->prune && !interrupted) {
        if (atomic_load(&r->errors) == 0) {
            /* a rebuild pruned by not carrying them over */
            for (size_t i = 0; rc == 0 && !r->layout->base && i < r->nshards; i++)
                rc = prune_shard(r, &r->shards[i], &pruned, err);
        } else {
            report(r, cfg->dir, 0, SOU_EINVAL,
                   "--prune skipped because some inputs failed", 1);
        }
    }
    uint64_t tot[3] = {0, 0, 0};
    for (size_t i = 0; rc == 0 && i < r->nshards; i++)
        rc = shard_stats(&r->shards[i], tot, err);
    for (size_t i = 0; i < r->nshards; i++) {
        sou_reader_close(r->shards[i].reader);
        r->shards[i].reader = NULL;
    }
    if (rc == 0) rc = sou_layout_commit(r->layout, err);
    if (rc == 0 && cfg->compact && !interrupted) {
        char json[160];
        snprintf(json, sizeof json, "{\"files\":%llu,\"passages\":%llu,\"bytes\":%llu}",
                 (unsigned long long)tot[0], (unsigned long long)tot[1],
                 (unsigned long long)tot[2]);
        rc = sou_layout_compact(r->layout, json, err);
    } else if (rc == 0 && !interrupted) {
        rc = sou_layout_publish(r->layout, err);   /* a rebuild keeping its shards */
    }
    if (rc == 0 && cfg->stub_file)
        rc = sou_stubfile_update(cfg->stub_file, cfg->dir, err);

    snapshot(r, stats);
    stats->pruned = pruned;
    stats->interrupted = interrupted;
    for (size_t i = 0; i < r->nshards; i++) {
        shard *s = &r->shards[i];
        sou_doc_free(s->doc);
        while (s->head) {
            chunk *c = s->head;
            s->head = c->next;
            chunk_free(c);
        }
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->nonempty);
        pthread_cond_destroy(&s->nonfull);
    }
    free(r->shards);
    sou_layout_close(r->layout);
    for (unsigned i = 0; workers && i < nthreads; i++) {
        sou_analyzer_free(workers[i].an);
        sou_splitter_free(workers[i].sp);
        free(workers[i].header.p);
    }
    free(workers);
    sou_input_list_free(&r->inputs);
    sou_strset_free(&r->seen);
    pthread_mutex_destroy(&r->err_mu);
    pthread_mutex_destroy(&r->seen_mu);
    pthread_mutex_destroy(&r->done_mu);
    pthread_cond_destroy(&r->done_cv);
    free(r);
    return rc;
}
