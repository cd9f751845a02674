/* sou/store.h - the C face of the Xapian shim (lib/store/xapian_shim.cc).
 *
 * Every Xapian call in sou goes through here. Each function catches every
 * Xapian::Error (and std::bad_alloc) and maps it to a specific code:
 *   DatabaseLockError -> SOU_ELOCKED, DatabaseCorruptError -> SOU_ECORRUPT,
 *   DatabaseModifiedError -> SOU_ESTALE, DatabaseNotFoundError/
 *   DatabaseOpeningError(no such dir) -> SOU_ENOTFOUND, NetworkError/
 *   NetworkTimeoutError -> SOU_ENETWORK, DatabaseError with errno EROFS/
 *   EACCES -> SOU_EREADONLY, other DatabaseError -> SOU_EIO,
 *   bad_alloc -> SOU_ENOMEM, InvalidArgumentError etc. -> SOU_EINVAL,
 *   anything else -> SOU_EINTERNAL;
 * the Xapian class name and message go into sou_error.msg.
 * There is no logic here that C could hold: query construction policy,
 * retries, record format and statistics live in C.
 *
 * Threads: a writer, a reader, a doc and a query pool are each used by one
 * thread at a time. Different handles may be used concurrently.
 */
#ifndef SOU_STORE_H
#define SOU_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sou/error.h"
#include "sou/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- documents being built ------------------------------------------- */
/* Longest term a glass database stores. The sou_doc_add_* functions return
 * SOU_ETOOBIG for a longer term and SOU_EINVAL for an empty one, so one bad
 * token never makes sou_writer_add reject the whole passage. */
#define SOU_TERM_MAX_BYTES 245

typedef struct sou_doc sou_doc;
int sou_doc_new(sou_doc **out);
void sou_doc_free(sou_doc *d);                /* accepts NULL */
void sou_doc_clear(sou_doc *d);               /* reuse for the next passage */
/* term with a position (wdf += 1) */
int sou_doc_add_posting(sou_doc *d, const char *term, size_t len, uint32_t pos);
/* term without position (wdf += wdf_inc) */
int sou_doc_add_term(sou_doc *d, const char *term, size_t len, uint32_t wdf_inc);
/* boolean term: wdf 0, no position (filters, unique ids) */
int sou_doc_add_boolean(sou_doc *d, const char *term, size_t len);
int sou_doc_set_value(sou_doc *d, unsigned slot, const char *v, size_t len);
/* The passage record (sou/record.h): the writer appends it to the shard's
 * record file and, unless the shard keeps records there only
 * (SOU_META_RECORDS "file", set on a new shard before its first document
 * with sou_writer_set_metadata), stores it in value slot SOU_SLOT_RECORD
 * (see sou/terms.h for why not in Xapian's document data); every hit of
 * sou_reader_search returns it as sou_hit.data. */
int sou_doc_set_record(sou_doc *d, const char *rec, size_t len);

/* ---- writing ----------------------------------------------------------- */
typedef struct sou_writer sou_writer;
/* Create or open the database directory path for writing (takes Xapian's
 * lock: SOU_ELOCKED if another writer has it; SOU_EREADONLY if the directory
 * is not writable; SOU_ENOTFOUND if the parent directory is missing).
 * Changes become durable (and visible to readers) only at
 * sou_writer_commit: Xapian's automatic commits are disabled. Opening also
 * brings the shard's record file up to date (lib/store/record_file.h): a
 * shard without one (from compaction, or an older sou) gets it here, one
 * sequential pass over the record slot (~1 s per million passages). */
int sou_writer_open(const char *path, sou_writer **out, sou_error *err);
/* Close; pending changes are NOT committed (call commit first). NULL ok.
 * A writer on which a write failed (add, delete, commit, metadata: disk
 * full, I/O error) is abandoned instead, as if the process had been killed:
 * the index stays at its last commit, and the writer's memory and the
 * index lock are only released at process exit (Xapian cannot be shut
 * down safely from a half-applied state). */
void sou_writer_close(sou_writer *w);
int sou_writer_add(sou_writer *w, const sou_doc *d, sou_error *err);
/* Delete every document indexed by term (e.g. Q<source>). */
int sou_writer_delete_term(sou_writer *w, const char *term, size_t len,
                           sou_error *err);
int sou_writer_commit(sou_writer *w, sou_error *err);
int sou_writer_set_metadata(sou_writer *w, const char *key, const char *val,
                            size_t len, sou_error *err);
/* *out malloc'd (caller frees), NUL-terminated; empty if unset. */
int sou_writer_get_metadata(sou_writer *w, const char *key, char **out,
                            size_t *len, sou_error *err);
int sou_writer_doccount(sou_writer *w, uint64_t *out, sou_error *err);
/* Call cb for every term starting with prefix (prefix included in term),
 * in byte order. cb returns 0 to go on; a negative value stops the walk and
 * is returned; a positive value stops it and SOU_ESTOPPED is returned. cb
 * must not modify w (collect terms, then delete). */
typedef int (*sou_term_visit_cb)(void *ctx, const char *term, size_t len);
int sou_writer_allterms(sou_writer *w, const char *prefix, size_t plen,
                        sou_term_visit_cb cb, void *ctx, sou_error *err);

/* Termlists: Xapian keeps each document's terms (termlist.glass, a third
 * of a compacted sou index) only to delete or replace documents. A
 * database without them answers queries as before; a writer on it adds
 * documents, and sou_writer_delete_term fails with SOU_EINVAL where the
 * term has documents (sou-index rebuilds such an index instead).
 * sou_drop_termlist removes them from the closed glass database in
 * directory dir (xapian/constants.h: "deleting termlist.*");
 * sou_store_deletable says whether dir can delete (1: it has termlists,
 * or no database yet; 0: not). */
int sou_drop_termlist(const char *dir, sou_error *err);
int sou_store_deletable(const char *dir);

/* Merge n source databases (directories or stub files) into a new compact
 * glass database directory at dest. dest must not exist (or be an empty
 * directory): compact to a fresh path and rename. Doc ids are renumbered
 * (source i's ids follow source i-1's); metadata keys present in several
 * sources keep the first source's value. */
int sou_compact(const char *const *srcs, size_t n, const char *dest,
                sou_error *err);

/* ---- queries ----------------------------------------------------------- */
/* A pool owns every query node made from it; free the pool to free them. */
typedef struct sou_qpool sou_qpool;
typedef struct sou_query sou_query;        /* owned by its pool */
int sou_qpool_new(sou_qpool **out);
void sou_qpool_free(sou_qpool *p);          /* accepts NULL */

typedef enum sou_qop {
    SOU_QOP_AND, SOU_QOP_OR, SOU_QOP_AND_NOT, SOU_QOP_AND_MAYBE,
    SOU_QOP_FILTER,   /* first sub scores, the rest only filter */
    SOU_QOP_PHRASE,   /* subs in order within `window` positions */
    SOU_QOP_SYNONYM
} sou_qop;

/* Each returns NULL on allocation failure. */
sou_query *sou_query_term(sou_qpool *p, const char *term, size_t len,
                          uint32_t wqf, uint32_t pos);
sou_query *sou_query_op(sou_qpool *p, sou_qop op, sou_query *const *subs,
                        size_t n, uint32_t window);
/* All terms starting with prefix, OR'd (synonym-weighted); max_expansion
 * terms at most (most frequent kept). */
sou_query *sou_query_wildcard(sou_qpool *p, const char *prefix, size_t len,
                              uint32_t max_expansion);
/* Matches every document (for pure-negative / pure-filter queries). */
sou_query *sou_query_all(sou_qpool *p);
/* Query scaled by factor (0 makes it a pure filter). */
sou_query *sou_query_scale(sou_qpool *p, sou_query *q, double factor);
/* Xapian's description of q, malloc'd; caller frees. */
char *sou_query_describe(const sou_query *q);

/* ---- reading ----------------------------------------------------------- */
typedef struct sou_reader sou_reader;

/* One shard to open: a local directory, a Xapian stub file, or a remote
 * "tcp:HOST:PORT" server (xapian-tcpsrv). */
typedef struct sou_reader_options {
    unsigned connect_timeout_ms;  /* remote connect timeout (0: 10000) */
    unsigned timeout_ms;          /* remote idle timeout (0: 10000) */
    int allow_partial;            /* skip shards that fail to open/answer */
} sou_reader_options;

int sou_reader_open(const char *const *shards, size_t n,
                    const sou_reader_options *opts, sou_reader **out,
                    sou_error *err);
void sou_reader_close(sou_reader *r);       /* accepts NULL */
/* Reopen to the latest committed revision (after SOU_ESTALE). */
int sou_reader_reopen(sou_reader *r, sou_error *err);
/* Shards configured / shards missing (allow_partial). Names are owned by
 * the reader. */
size_t sou_reader_shard_count(const sou_reader *r);
const char *sou_reader_shard_name(const sou_reader *r, size_t i);
int sou_reader_shard_ok(const sou_reader *r, size_t i);
int sou_reader_get_metadata(sou_reader *r, const char *key, char **out,
                            size_t *len, sou_error *err);
int sou_reader_doccount(sou_reader *r, uint64_t *out, sou_error *err);
int sou_reader_termfreq(sou_reader *r, const char *term, size_t len,
                        uint64_t *out, sou_error *err);
/* As sou_writer_allterms, over every shard of r. */
int sou_reader_allterms(sou_reader *r, const char *prefix, size_t plen,
                        sou_term_visit_cb cb, void *ctx, sou_error *err);
int sou_reader_avlength(sou_reader *r, double *out, sou_error *err);

/* A phrase to check against one passage record, for indexes built without
 * positions (sou/terms.h): terms[i] (lens[i] bytes, with their prefix: "S"
 * for title terms) in phrase order, as given to sou_query_op, and its
 * window. The callback returns 1 when the record (sou/record.h; valid only
 * during the call) holds the phrase at the positions the analyzer gives
 * its text or title, 0 when not, or a negative SOU_E* code, which fails
 * the search. */
typedef struct sou_phrase {
    const char *const *terms;
    const size_t *lens;
    size_t n;
    uint32_t window;
} sou_phrase;
typedef int (*sou_phrase_check_cb)(void *ctx, const sou_phrase *phrase,
                                   const sou_record *rec);

typedef struct sou_search_params {
    uint64_t offset, limit;   /* limit 0 is valid: counts only */
    int collapse;             /* best passage per source (SOU_SLOT_SOURCE) */
    double k1, b, min_normlen;/* BM25 */
    uint64_t check_at_least;  /* for exact counts */
    /* 1: leave sou_hit.doclen 0. Xapian 1.4 fetches a document length
     * from a remote shard with one round trip per hit (measured: 10 hits
     * from xapian-tcpsrv on loopback took about 2x as long with lengths);
     * set this unless the caller shows doclen (e.g. for explain). */
    int skip_doclen;
    /* 1: score with Xapian's BM25Weight leaves, which read each candidate's
     * length from the index. 0 (default): local shards score term leaves
     * from lengths held in memory (same scores, see lib/store/bm25_source.h);
     * remote shards always use Xapian's leaves. */
    int xapian_weights;
    /* 1: read every hit's record from the index's value slot. 0 (default):
     * from the shard's record file where it covers the hit (one mapped
     * read; lib/store/record_file.h), else from the value slot. */
    int records_from_values;
    /* Checks phrases on indexes without positions (required there when the
     * query has a phrase: SOU_EINVAL otherwise); called from inside the
     * search, on the calling thread, for documents that have every term of
     * a phrase, at most once per document and phrase. */
    sou_phrase_check_cb phrase_check;
    void *phrase_ctx;
} sou_search_params;

typedef struct sou_hit {
    uint32_t docid;
    double score;
    char *data; size_t data_len;   /* the passage record, malloc'd */
    uint32_t doclen;               /* 0 if params->skip_doclen */
} sou_hit;

typedef struct sou_hits {
    sou_hit *hits; size_t n;
    uint64_t matches_estimated, matches_lower, matches_upper;
    int lengths_in_memory;   /* 1: term leaves scored from in-memory lengths */
    size_t records_from_file;/* hits whose record came from a record file */
} sou_hits;

/* Shards without positions (SOU_META_POSITIONS "0") have their phrases
 * checked by params->phrase_check; a reader with a remote shard needs
 * positions on every shard (SOU_EINVAL naming the shard otherwise). */
int sou_reader_search(sou_reader *r, const sou_query *q,
                      const sou_search_params *params, sou_hits *out,
                      sou_error *err);
void sou_hits_free(sou_hits *h);          /* frees contents; NULL ok */
/* wdf of term in document docid (0 if absent). */
int sou_reader_wdf(sou_reader *r, uint32_t docid, const char *term,
                   size_t len, uint32_t *out, sou_error *err);

#ifdef __cplusplus
}
#endif
#endif
