/* xapian_shim.cc - the only C++ in sou: sou/store.h over Xapian 1.4.
 *
 * Every entry point runs its Xapian calls inside guard(), which catches every
 * exception and turns it into a SOU_E* code plus "Op: ClassName: message
 * (context) [errno text]" in sou_error.msg. Nothing escapes to C.
 *
 * Choices made here (and why):
 * - Writers open with DB_CREATE_OR_OPEN | DB_BACKEND_GLASS and keep the
 *   termlist table, which delete_document(term) needs; a merged database
 *   whose termlists were dropped is opened with DB_NO_TERMLIST and only
 *   added to. DB_NO_SYNC is never used (crash safety).
 * - A writer always holds an open Xapian transaction (begin_transaction(true))
 *   that sou_writer_commit ends and restarts. Two reasons: Xapian's automatic
 *   commit every XAPIAN_FLUSH_THRESHOLD documents is suppressed inside a
 *   transaction, so only sou_writer_commit makes changes durable (the indexer
 *   relies on commits falling between sources); and closing a writer cancels
 *   the transaction, so sou_writer_close really drops uncommitted changes
 *   (a plain WritableDatabase destructor would commit them).
 * - sou_compact writes a glass directory (not DBCOMPACT_SINGLE_FILE): the
 *   writer, xapian-tcpsrv and every Xapian tool open a directory, and a
 *   directory can be updated later.
 * - Readers expand stub files themselves (same syntax as Xapian 1.4's
 *   read_stub_file in backends/databasehelpers.h) so that each shard is
 *   opened separately, named in errors, and can be skipped (allow_partial).
 * - Passage records live in the record file beside each shard
 *   (record_file.h); a shard made to be served remotely (with positions)
 *   also keeps them in value slot SOU_SLOT_RECORD. When a remote shard
 *   is open, searches sort by relevance then record, so each hit's record
 *   arrives as its sort key with the match (sou/terms.h). On the full bench
 *   (1.05M passages, 2 shards on xapian-tcpsrv, loopback) remote p50 went
 *   from 2.33 ms with one document fetch per hit to 0.97 ms (the local
 *   index: 0.68 ms). Local searches do not sort: on the same index and
 *   query mix, sorting took p50 from 0.481 to 0.569 ms (compacted) and
 *   0.592 to 0.711 ms (2 shards), more than reading 10 values.
 * - Local searches read records from that file, mapped: a value slot read
 *   was ~6.6 us per hit and 41% of a median query's block reads.
 * - Phrases on shards without positions are checked against the records
 *   (fast_query, plain_query; the check is the caller's callback).
 * - Merged databases have no termlists (sou_drop_termlist): a writer adds
 *   to them but cannot delete from them.
 * - Local searches score term leaves with Bm25Source (bm25_source.h): the
 *   same BM25 as Xapian's, from document lengths held in memory, because
 *   reading each candidate's length from the index was 37% of query time.
 *   A reader loads the lengths at its second search (one pass, ~45 ms per
 *   million passages), so a one-query reader does not pay for them.
 *   sou_query keeps the recipe of every node so a search can rebuild the
 *   query with those leaves; remote shards get Xapian's own query.
 * - sou_reader_wdf reads the document's termlist (skip_to) rather than the
 *   term's posting list: its cost is bounded by the passage size, and on a
 *   remote shard a posting list is fetched whole while a termlist is one
 *   document's worth; a merged database without termlists reads the
 *   posting list.
 */
#include "sou/store.h"
#include "sou/terms.h"

#include "bm25_source.h"
#include "record_file.h"

#include <xapian.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <utility>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

/* Xapian 1.4 keeps errno private; its error string is strerror(errno). */
bool xapian_errno_is(const Xapian::Error &e, int errnum)
{
    const char *s = e.get_error_string();
    return s && std::strcmp(s, std::strerror(errnum)) == 0;
}

bool xapian_errno_readonly(const Xapian::Error &e)
{
    return xapian_errno_is(e, EACCES) || xapian_errno_is(e, EPERM) ||
           xapian_errno_is(e, EROFS);
}

bool xapian_errno_missing(const Xapian::Error &e)
{
    return xapian_errno_is(e, ENOENT) || xapian_errno_is(e, ENOTDIR);
}

/* The mapping documented at the top of sou/store.h. Xapian::Error has no
 * virtual functions (no dynamic_cast), but get_type() names the exact
 * class, and the 1.4 hierarchy is closed. */
int code_for(const Xapian::Error &e)
{
    const char *t = e.get_type();
    auto is = [t](const char *name) { return std::strcmp(t, name) == 0; };
    if (is("DatabaseLockError")) return SOU_ELOCKED;
    if (is("DatabaseCorruptError")) return SOU_ECORRUPT;
    if (is("DatabaseModifiedError")) return SOU_ESTALE;
    if (is("DatabaseVersionError")) return SOU_EVERSION;
    if (is("DatabaseNotFoundError")) return SOU_ENOTFOUND;
    if (is("DatabaseOpeningError") || is("DatabaseCreateError")) {
        if (xapian_errno_missing(e)) return SOU_ENOTFOUND;
        if (xapian_errno_readonly(e)) return SOU_EREADONLY;
        return SOU_EIO;
    }
    if (is("DatabaseClosedError")) return SOU_EINVAL;
    if (is("DatabaseError")) {
        if (xapian_errno_readonly(e)) return SOU_EREADONLY;
        return SOU_EIO;   /* includes ENOSPC, EIO, EDQUOT */
    }
    if (is("NetworkError") || is("NetworkTimeoutError")) return SOU_ENETWORK;
    if (is("DocNotFoundError")) return SOU_ENOTFOUND;
    /* "Chert backend disabled", "Flint backend no longer supported" */
    if (is("FeatureUnavailableError")) return SOU_EVERSION;
    if (is("WildcardError")) return SOU_ETOOBIG;
    if (is("QueryParserError")) return SOU_EQUERY;
    if (is("InvalidArgumentError") || is("InvalidOperationError") ||
        is("UnimplementedError") || is("RangeError"))
        return SOU_EINVAL;
    /* InternalError, AssertionError, SerialisationError: a bug somewhere */
    return SOU_EINTERNAL;
}

/* "ClassName: message (context) - errno text" */
std::string xapian_text(const Xapian::Error &e)
{
    std::string t = e.get_type();
    t += ": ";
    t += e.get_msg();
    if (!e.get_context().empty()) t += " (" + e.get_context() + ")";
    if (const char *es = e.get_error_string()) t += std::string(" - ") + es;
    return t;
}

/* "what: ClassName: message (context) - errno text" */
int set_xapian_error(sou_error *err, int code, const std::string &what,
                     const Xapian::Error &e)
{
    return sou_error_set(err, code, "%s: %s", what.c_str(), xapian_text(e).c_str());
}

/* Run f (returning 0 or SOU_E*) with every exception mapped to a code. */
template <class F>
int guard(sou_error *err, const char *what, F &&f)
{
    try {
        return f();
    } catch (const Xapian::Error &e) {
        try {
            return set_xapian_error(err, code_for(e), what, e);
        } catch (...) {
            return sou_error_set(err, code_for(e), "%s: %s", what, e.get_type());
        }
    } catch (const std::bad_alloc &) {
        return sou_error_set(err, SOU_ENOMEM, "%s: out of memory", what);
    } catch (const std::length_error &e) {
        return sou_error_set(err, SOU_ENOMEM, "%s: length_error: %s", what, e.what());
    } catch (const std::exception &e) {
        return sou_error_set(err, SOU_EINTERNAL, "%s: C++ exception: %s", what, e.what());
    } catch (...) {
        return sou_error_set(err, SOU_EINTERNAL, "%s: unknown C++ exception", what);
    }
}

/* Copy s into a malloc'd NUL-terminated buffer. */
int copy_out(const char *s, size_t n, char **out, size_t *len)
{
    char *p = static_cast<char *>(std::malloc(n + 1));
    if (!p) return SOU_ENOMEM;
    if (n) std::memcpy(p, s, n);
    p[n] = '\0';
    *out = p;
    if (len) *len = n;
    return 0;
}

int copy_out(const std::string &s, char **out, size_t *len)
{
    return copy_out(s.data(), s.size(), out, len);
}

/* db's metadata value for key, malloc'd into *out (and *len). */
int metadata_out(const Xapian::Database &db, const char *key, char **out,
                 size_t *len, sou_error *err)
{
    int rc = copy_out(db.get_metadata(key), out, len);
    if (rc) return sou_error_set(err, rc, "reading metadata: out of memory");
    return 0;
}

/* *out = a new, empty T (a sou_*_new entry point named op). */
template <class T>
int new_handle(T **out, const char *op)
{
    if (!out) return SOU_EINVAL;
    *out = nullptr;
    return guard(nullptr, op, [&] {
        *out = new T();
        return 0;
    });
}

/* Longest term glass stores ("Term too long (> 245)" otherwise). */
int check_term(const char *term, size_t len)
{
    if (!term || len == 0) return SOU_EINVAL;
    if (len > SOU_TERM_MAX_BYTES) return SOU_ETOOBIG;
    return 0;
}

} // namespace

/* ======================================================================= */
/* documents                                                               */

struct sou_doc {
    Xapian::Document doc;
    std::string record;   /* sou_doc_set_record: the writer decides where */
};

extern "C" int sou_doc_new(sou_doc **out)
{
    return new_handle(out, "sou_doc_new");
}

extern "C" void sou_doc_free(sou_doc *d)
{
    delete d;
}

extern "C" void sou_doc_clear(sou_doc *d)
{
    if (!d) return;
    guard(nullptr, "sou_doc_clear", [&] {
        d->doc = Xapian::Document();
        d->record.clear();
        return 0;
    });
}

extern "C" int sou_doc_add_posting(sou_doc *d, const char *term, size_t len,
                                   uint32_t pos)
{
    if (!d) return SOU_EINVAL;
    int rc = check_term(term, len);
    if (rc) return rc;
    return guard(nullptr, "sou_doc_add_posting", [&] {
        d->doc.add_posting(std::string(term, len), pos, 1);
        return 0;
    });
}

extern "C" int sou_doc_add_term(sou_doc *d, const char *term, size_t len,
                                uint32_t wdf_inc)
{
    if (!d) return SOU_EINVAL;
    int rc = check_term(term, len);
    if (rc) return rc;
    return guard(nullptr, "sou_doc_add_term", [&] {
        d->doc.add_term(std::string(term, len), wdf_inc);
        return 0;
    });
}

extern "C" int sou_doc_add_boolean(sou_doc *d, const char *term, size_t len)
{
    if (!d) return SOU_EINVAL;
    int rc = check_term(term, len);
    if (rc) return rc;
    return guard(nullptr, "sou_doc_add_boolean", [&] {
        d->doc.add_boolean_term(std::string(term, len));
        return 0;
    });
}

extern "C" int sou_doc_set_value(sou_doc *d, unsigned slot, const char *v,
                                 size_t len)
{
    if (!d || (!v && len)) return SOU_EINVAL;
    return guard(nullptr, "sou_doc_set_value", [&] {
        d->doc.add_value(slot, len ? std::string(v, len) : std::string());
        return 0;
    });
}

extern "C" int sou_doc_set_record(sou_doc *d, const char *rec, size_t len)
{
    if (!d || (!rec && len)) return SOU_EINVAL;
    return guard(nullptr, "sou_doc_set_record", [&] {
        d->record.assign(rec ? rec : "", len);
        return 0;
    });
}

/* ======================================================================= */
/* writing                                                                 */

namespace {

/* Does the glass database directory dir hold file name? */
bool glass_file(const std::string &dir, const char *name)
{
    struct stat st;
    return stat((dir + "/" + name).c_str(), &st) == 0;
}

} // namespace

struct sou_writer {
    Xapian::WritableDatabase db;
    std::string path;
    bool in_txn = false;   /* our transaction is open */
    bool failed = false;   /* a write failed: see sou_writer_close */
    sou_recfile *records = nullptr;   /* the record file (record_file.h) */
    bool records_in_slot = true;      /* SOU_META_RECORDS is not "file" */
    bool no_termlist = false;         /* termlists dropped: adds only */
    ~sou_writer() { sou_recfile_close(records); }
};

namespace {

/* Every change happens inside a transaction (see the top of this file). */
void ensure_txn(sou_writer *w)
{
    if (w->in_txn) return;
    w->db.begin_transaction(true);
    w->in_txn = true;
}

/* Every record of a "file" shard's documents 1..last is in its file (each
 * was synced before the commit that added its document), or the file is
 * gone or damaged: nothing else holds them. */
int records_check(sou_writer *w, uint32_t last, sou_error *err)
{
    sou_recmap m;
    sou_recmap_open(&m, w->path.c_str(), w->db.get_uuid().c_str(), last, 1);
    uint32_t bad = 0;
    sou_record rec;
    for (uint32_t d = 1; d <= last && !bad; d++)
        if (!sou_recmap_record(&m, d, &rec)) bad = d;
    sou_recmap_close(&m);
    if (!bad) return 0;
    return sou_error_set(err, SOU_ECORRUPT,
                         "%s: the passage record of document %u is missing from %s (or "
                         "damaged), and this index keeps its records nowhere else: "
                         "rebuild it into a new directory",
                         w->path.c_str(), bad, SOU_RECFILE_DATA);
}

/* Open the shard's record file and bring it up to date (record_file.h): a
 * "slot" shard copies the records it lacks from the value slot (all of
 * them for an index written before the file existed or fresh from
 * compaction, none in the usual case); a "file" shard only checks them. */
int records_attach(sou_writer *w, sou_error *err)
{
    Xapian::docid last = w->db.get_lastdocid();
    uint32_t covered = 0;
    int rc = sou_recfile_open(w->path.c_str(), w->db.get_uuid().c_str(), last,
                              &w->records, &covered, err);
    if (rc || covered >= last) return rc;
    if (!w->records_in_slot) {
        rc = records_check(w, last, err);
        return rc ? rc : sou_recfile_cover(w->records, last, err);
    }
    Xapian::ValueIterator it = w->db.valuestream_begin(SOU_SLOT_RECORD);
    const Xapian::ValueIterator end = w->db.valuestream_end(SOU_SLOT_RECORD);
    if (covered && it != end) it.skip_to(covered + 1);
    for (; it != end; ++it) {
        const std::string v = *it;
        rc = sou_recfile_put(w->records, it.get_docid(), v.data(), v.size(), err);
        if (rc) return rc;
    }
    rc = sou_recfile_sync(w->records, err);
    return rc ? rc : sou_recfile_cover(w->records, last, err);
}

} // namespace

extern "C" int sou_writer_open(const char *path, sou_writer **out,
                               sou_error *err)
{
    if (!out) return sou_error_set(err, SOU_EINVAL, "sou_writer_open: out is NULL");
    *out = nullptr;
    if (!path || !*path)
        return sou_error_set(err, SOU_EINVAL, "sou_writer_open: empty path");
    std::string what;
    try {
        what = std::string("opening index ") + path + " for writing";
    } catch (...) {
        return sou_error_set(err, SOU_ENOMEM, "sou_writer_open: out of memory");
    }
    return guard(err, what.c_str(), [&] {
        sou_writer *w = new sou_writer();
        try {
            w->path = path;
            /* a database whose termlists were dropped opens only so */
            w->no_termlist = glass_file(path, "iamglass") && !glass_file(path, "termlist.glass");
            w->db = Xapian::WritableDatabase(
                path, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS |
                          (w->no_termlist ? Xapian::DB_NO_TERMLIST : 0));
            ensure_txn(w);
            w->records_in_slot = w->db.get_metadata(SOU_META_RECORDS) != "file";
            int rc = records_attach(w, err);
            if (rc) {
                delete w;
                return rc;
            }
        } catch (const Xapian::DatabaseLockError &e) {
            delete w;
            /* Xapian reports both "already locked" and "can't create the
             * lock file" as a lock error; only the first is a lock. */
            if (e.get_msg().find("already locked") != std::string::npos)
                return set_xapian_error(err, SOU_ELOCKED,
                    what + " (another writer holds the lock)", e);
            if (access(path, W_OK) != 0 &&
                (errno == EACCES || errno == EROFS || errno == EPERM))
                return set_xapian_error(err, SOU_EREADONLY,
                    what + " (directory not writable: " + std::strerror(errno) + ")", e);
            return set_xapian_error(err, SOU_EIO, what, e);
        } catch (...) {
            delete w;
            throw;
        }
        *out = w;
        return 0;
    });
}

namespace {

/* A write that fails (disk full, I/O error) leaves Xapian's in-memory state
 * half applied. Such a writer is never touched again: see sou_writer_close. */
template <class F>
int writer_guard(sou_writer *w, sou_error *err, const char *what, F &&f)
{
    int rc = guard(err, what, std::forward<F>(f));
    if (rc && rc != SOU_EINVAL) w->failed = true;
    return rc;
}

/* Failed writers, kept reachable until exit (see sou_writer_close). */
std::mutex abandoned_mu;
std::vector<sou_writer *> *abandoned;

void abandon(sou_writer *w)
{
    std::lock_guard<std::mutex> lock(abandoned_mu);
    if (!abandoned) abandoned = new std::vector<sou_writer *>;
    abandoned->push_back(w);
}

} // namespace

extern "C" void sou_writer_close(sou_writer *w)
{
    if (!w) return;
    /* Drop uncommitted changes; the destructor then has nothing to commit
     * and releases the lock. */
    if (!w->failed && w->in_txn &&
        guard(nullptr, "sou_writer_close", [&] {
            w->db.cancel_transaction();
            return 0;
        }) != 0)
        w->failed = true;
    if (w->failed) {
        /* After a failed write (or cancel), Xapian's destructor would
         * commit what is half applied or throw out of a destructor
         * (std::terminate: seen on a full tmpfs). Abandon the writer as if
         * the process had been killed: nothing more is written, the index
         * stays at its last commit, and the memory and the lock go at
         * process exit. */
        abandon(w);
        return;
    }
    guard(nullptr, "sou_writer_close", [&] {
        delete w;
        return 0;
    });
}

extern "C" int sou_writer_add(sou_writer *w, const sou_doc *d, sou_error *err)
{
    if (!w || !d) return sou_error_set(err, SOU_EINVAL, "sou_writer_add: NULL argument");
    return writer_guard(w, err, "adding a document", [&] {
        ensure_txn(w);
        Xapian::docid did;
        if (w->records_in_slot) {
            Xapian::Document doc = d->doc;   /* shares d's: the value goes on it */
            doc.add_value(SOU_SLOT_RECORD, d->record);
            did = w->db.add_document(doc);
        } else {
            did = w->db.add_document(d->doc);
        }
        return sou_recfile_put(w->records, did, d->record.data(), d->record.size(), err);
    });
}

extern "C" int sou_writer_delete_term(sou_writer *w, const char *term,
                                      size_t len, sou_error *err)
{
    if (!w) return sou_error_set(err, SOU_EINVAL, "sou_writer_delete_term: NULL writer");
    int rc = check_term(term, len);
    if (rc)
        return sou_error_set(err, rc, "sou_writer_delete_term: term empty or longer than %d bytes",
                             SOU_TERM_MAX_BYTES);
    return writer_guard(w, err, "deleting documents by term", [&] {
        ensure_txn(w);
        const std::string t(term, len);
        if (w->no_termlist) {
            if (w->db.get_termfreq(t) == 0) return 0;
            return sou_error_set(err, SOU_EINVAL, "%s has no termlists (a compacted sou "
                                 "index): its documents cannot be deleted, only rebuilt",
                                 w->path.c_str());
        }
        w->db.delete_document(t);
        return 0;
    });
}

extern "C" int sou_writer_commit(sou_writer *w, sou_error *err)
{
    if (!w) return sou_error_set(err, SOU_EINVAL, "sou_writer_commit: NULL writer");
    return writer_guard(w, err, "committing", [&] {
        if (w->in_txn) {
            /* The records first: the header may only cover what is durable. */
            int rc = sou_recfile_sync(w->records, err);
            if (rc) return rc;
            w->in_txn = false;   /* Xapian ends it even if the commit fails */
            w->db.commit_transaction();   /* flushed: durable on return */
            rc = sou_recfile_cover(w->records, w->db.get_lastdocid(), err);
            if (rc) return rc;
        }
        ensure_txn(w);
        return 0;
    });
}

extern "C" int sou_writer_set_metadata(sou_writer *w, const char *key,
                                       const char *val, size_t len,
                                       sou_error *err)
{
    if (!w || !key || (!val && len))
        return sou_error_set(err, SOU_EINVAL, "sou_writer_set_metadata: NULL argument");
    return writer_guard(w, err, "setting metadata", [&] {
        ensure_txn(w);
        const std::string v = len ? std::string(val, len) : std::string();
        if (std::strcmp(key, SOU_META_RECORDS) == 0) {
            bool in_slot = v != "file";
            if (in_slot != w->records_in_slot && w->db.get_lastdocid() > 0)
                return sou_error_set(err, SOU_EINVAL, "%s: %s can only be set before the "
                                     "first document", w->path.c_str(), SOU_META_RECORDS);
            w->records_in_slot = in_slot;
        }
        w->db.set_metadata(key, v);
        return 0;
    });
}

extern "C" int sou_writer_get_metadata(sou_writer *w, const char *key,
                                       char **out, size_t *len, sou_error *err)
{
    if (!w || !key || !out)
        return sou_error_set(err, SOU_EINVAL, "sou_writer_get_metadata: NULL argument");
    *out = nullptr;
    if (len) *len = 0;
    return guard(err, "reading metadata",
                 [&] { return metadata_out(w->db, key, out, len, err); });
}

extern "C" int sou_writer_doccount(sou_writer *w, uint64_t *out, sou_error *err)
{
    if (!w || !out) return sou_error_set(err, SOU_EINVAL, "sou_writer_doccount: NULL argument");
    return guard(err, "counting documents", [&] {
        *out = w->db.get_doccount();
        return 0;
    });
}

namespace {

int visit_terms(const Xapian::Database &db, const char *prefix, size_t plen,
                sou_term_visit_cb cb, void *ctx)
{
    std::string pre = plen ? std::string(prefix, plen) : std::string();
    for (Xapian::TermIterator t = db.allterms_begin(pre); t != db.allterms_end(pre); ++t) {
        const std::string &term = *t;
        int rc = cb(ctx, term.data(), term.size());
        if (rc < 0) return rc;
        if (rc > 0) return static_cast<int>(SOU_ESTOPPED);
    }
    return 0;
}

} // namespace

extern "C" int sou_writer_allterms(sou_writer *w, const char *prefix,
                                   size_t plen, sou_term_visit_cb cb,
                                   void *ctx, sou_error *err)
{
    if (!w || !cb || (!prefix && plen))
        return sou_error_set(err, SOU_EINVAL, "sou_writer_allterms: NULL argument");
    return guard(err, "listing terms", [&] { return visit_terms(w->db, prefix, plen, cb, ctx); });
}

extern "C" int sou_drop_termlist(const char *dir, sou_error *err)
{
    if (!dir) return sou_error_set(err, SOU_EINVAL, "sou_drop_termlist: NULL directory");
    std::string p = std::string(dir) + "/termlist.glass";
    if (unlink(p.c_str()) != 0 && errno != ENOENT)
        return sou_error_set(err, SOU_EIO, "removing %s: %s", p.c_str(), std::strerror(errno));
    return 0;
}

extern "C" int sou_store_deletable(const char *dir)
{
    if (!dir) return 0;
    try {
        return !glass_file(dir, "iamglass") || glass_file(dir, "termlist.glass");
    } catch (...) {
        return 0;
    }
}

namespace {

/* The record file of a compacted database whose sources keep their
 * records in files only: Xapian's compactor renumbers each source's used
 * docids to follow the previous source's (api/compactor.cc: the range
 * first..last of source i moves to after the ranges before it). */
int merge_records(const char *const *srcs, size_t n, const char *dest, sou_error *err)
{
    std::vector<std::vector<uint32_t>> docs(n);
    std::vector<std::unique_ptr<sou_recmap, void (*)(sou_recmap *)>> maps;
    std::vector<const sou_recmap *> mp;
    std::vector<const uint32_t *> dp;
    std::vector<size_t> nd;
    std::vector<uint32_t> offset;
    Xapian::docid tot = 0;
    for (size_t i = 0; i < n; i++) {
        Xapian::Database db(srcs[i]);
        for (Xapian::PostingIterator it = db.postlist_begin(std::string());
             it != db.postlist_end(std::string()); ++it)
            docs[i].push_back(*it);
        if (!docs[i].empty()) tot -= docs[i].front() - 1;
        offset.push_back(tot);
        if (!docs[i].empty()) tot += docs[i].back();
        maps.emplace_back(new sou_recmap(), [](sou_recmap *m) {
            sou_recmap_close(m);
            delete m;
        });
        sou_recmap_open(maps.back().get(), srcs[i], db.get_uuid().c_str(), db.get_lastdocid(), 1);
        mp.push_back(maps.back().get());
        dp.push_back(docs[i].data());
        nd.push_back(docs[i].size());
    }
    Xapian::Database out(dest);
    return sou_recfile_merge(dest, out.get_uuid().c_str(), out.get_lastdocid(), mp.data(),
                             srcs, dp.data(), nd.data(), offset.data(), n, err);
}

} // namespace

extern "C" int sou_compact(const char *const *srcs, size_t n, const char *dest,
                           sou_error *err)
{
    if (!srcs || n == 0 || !dest || !*dest)
        return sou_error_set(err, SOU_EINVAL, "sou_compact: no sources or no destination");
    struct stat st;
    if (stat(dest, &st) == 0) {
        /* Never write over an index: the caller compacts to a fresh path
         * and renames, so a crash leaves either the old or the new index. */
        if (!S_ISDIR(st.st_mode) || rmdir(dest) != 0)
            return sou_error_set(err, SOU_EINVAL,
                                 "compacting into %s: destination exists and is not an empty directory",
                                 dest);
    }
    return guard(err, "compacting", [&] {
        Xapian::Database all;
        for (size_t i = 0; i < n; i++) {
            if (!srcs[i]) return sou_error_set(err, SOU_EINVAL, "sou_compact: source %zu is NULL", i);
            try {
                all.add_database(Xapian::Database(srcs[i]));
            } catch (const Xapian::Error &e) {
                return set_xapian_error(err, code_for(e),
                                        std::string("compacting: opening source ") + srcs[i], e);
            }
        }
        unsigned flags = Xapian::Compactor::FULL;
        if (n > 3) flags |= Xapian::DBCOMPACT_MULTIPASS;
        try {
            all.compact(dest, flags);
        } catch (const Xapian::Error &e) {
            return set_xapian_error(err, code_for(e),
                                    std::string("compacting into ") + dest, e);
        }
        if (all.get_metadata(SOU_META_RECORDS) != "file") return 0;   /* rebuilt from slots */
        return merge_records(srcs, n, dest, err);
    });
}

/* ======================================================================= */
/* queries                                                                 */

/* A query node keeps Xapian's own query (q: what sou_query_describe shows
 * and remote shards run) and the recipe it was built from, so that a local
 * search can rebuild it with Bm25Source leaves (bm25_source.h). */
struct sou_query {
    enum kind_t { TERM, OP, SCALE, OTHER };
    Xapian::Query q;
    kind_t kind = OTHER;
    std::string term;                      /* TERM */
    uint32_t wqf = 1;                      /* TERM */
    sou_qop op = SOU_QOP_AND;              /* OP */
    Xapian::Query::op xop = Xapian::Query::OP_AND;   /* OP: op in Xapian's terms */
    std::vector<const sou_query *> subs;   /* OP; SCALE: subs[0] */
    uint32_t window = 0;                   /* OP PHRASE */
    double factor = 1;                     /* SCALE */
};

struct sou_qpool {
    std::deque<sou_query> nodes;   /* deque: push_back keeps addresses */
};

namespace {

sou_query *pool_add(sou_qpool *p, Xapian::Query &&q)
{
    p->nodes.emplace_back();
    p->nodes.back().q = std::move(q);
    return &p->nodes.back();
}

/* Run f returning a query node; NULL on any failure. */
template <class F>
sou_query *guard_query(F &&f)
{
    try {
        return f();
    } catch (...) {
        return nullptr;
    }
}

} // namespace

extern "C" int sou_qpool_new(sou_qpool **out)
{
    return new_handle(out, "sou_qpool_new");
}

extern "C" void sou_qpool_free(sou_qpool *p)
{
    delete p;
}

extern "C" sou_query *sou_query_term(sou_qpool *p, const char *term,
                                     size_t len, uint32_t wqf, uint32_t pos)
{
    if (!p || (!term && len)) return nullptr;
    return guard_query([&] {
        sou_query *n = pool_add(p, Xapian::Query(std::string(term ? term : "", len),
                                                 wqf, pos));
        n->kind = sou_query::TERM;
        n->term.assign(term ? term : "", len);
        n->wqf = wqf;
        return n;
    });
}

extern "C" sou_query *sou_query_op(sou_qpool *p, sou_qop op,
                                   sou_query *const *subs, size_t n,
                                   uint32_t window)
{
    if (!p || (!subs && n)) return nullptr;
    Xapian::Query::op xop;
    switch (op) {
    case SOU_QOP_AND: xop = Xapian::Query::OP_AND; break;
    case SOU_QOP_OR: xop = Xapian::Query::OP_OR; break;
    case SOU_QOP_AND_NOT: xop = Xapian::Query::OP_AND_NOT; break;
    case SOU_QOP_AND_MAYBE: xop = Xapian::Query::OP_AND_MAYBE; break;
    case SOU_QOP_FILTER: xop = Xapian::Query::OP_FILTER; break;
    case SOU_QOP_PHRASE: xop = Xapian::Query::OP_PHRASE; break;
    case SOU_QOP_SYNONYM: xop = Xapian::Query::OP_SYNONYM; break;
    default: return nullptr;
    }
    for (size_t i = 0; i < n; i++)
        if (!subs[i]) return nullptr;   /* a failed sub-build propagates */
    return guard_query([&] {
        std::vector<Xapian::Query> v;
        v.reserve(n);
        for (size_t i = 0; i < n; i++) v.push_back(subs[i]->q);
        sou_query *node = pool_add(p, Xapian::Query(xop, v.begin(), v.end(),
                                                    op == SOU_QOP_PHRASE ? window : 0));
        node->kind = sou_query::OP;
        node->op = op;
        node->xop = xop;
        node->subs.assign(subs, subs + n);
        node->window = op == SOU_QOP_PHRASE ? window : 0;
        return node;
    });
}

extern "C" sou_query *sou_query_wildcard(sou_qpool *p, const char *prefix,
                                         size_t len, uint32_t max_expansion)
{
    if (!p || (!prefix && len)) return nullptr;
    return guard_query([&] {
        return pool_add(p, Xapian::Query(Xapian::Query::OP_WILDCARD,
                                         std::string(prefix ? prefix : "", len),
                                         max_expansion,
                                         /* 1.4 expands to nothing with
                                          * MOST_FREQUENT and limit 0 */
                                         max_expansion
                                             ? Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT
                                             : Xapian::Query::WILDCARD_LIMIT_ERROR,
                                         Xapian::Query::OP_SYNONYM));
    });
}

extern "C" sou_query *sou_query_all(sou_qpool *p)
{
    if (!p) return nullptr;
    return guard_query([&] {
        return pool_add(p, Xapian::Query(Xapian::Query::MatchAll));
    });
}

extern "C" sou_query *sou_query_scale(sou_qpool *p, sou_query *q, double factor)
{
    if (!p || !q) return nullptr;
    return guard_query([&] {
        sou_query *n = pool_add(p, Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q->q,
                                                 factor));
        n->kind = sou_query::SCALE;
        n->subs.push_back(q);
        n->factor = factor;
        return n;
    });
}

extern "C" char *sou_query_describe(const sou_query *q)
{
    if (!q) return nullptr;
    try {
        char *out = nullptr;
        if (copy_out(q->q.get_description(), &out, nullptr)) return nullptr;
        return out;
    } catch (...) {
        return nullptr;
    }
}

/* ======================================================================= */
/* reading                                                                 */

namespace {

enum shard_kind { SHARD_AUTO, SHARD_GLASS, SHARD_CHERT, SHARD_TCP, SHARD_PROG,
                  SHARD_INMEMORY };

struct shard {
    shard_kind kind = SHARD_AUTO;
    std::string name;     /* what errors and sou_reader_shard_name show */
    std::string origin;   /* "" or " (listed in STUB line N)" */
    std::string path;     /* local path, or remote program */
    std::string host;     /* tcp host, or remote program args */
    unsigned port = 0;
    bool ok = false;
    Xapian::Database db;
};

const char GLASS_MAGIC[] = "\x0f\x0dXapian Glass";

bool is_single_file_glass(const std::string &path)
{
    char buf[sizeof GLASS_MAGIC - 1];
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    size_t got = std::fread(buf, 1, sizeof buf, f);
    std::fclose(f);
    return got == sizeof buf && std::memcmp(buf, GLASS_MAGIC, sizeof buf) == 0;
}

bool file_exists(const std::string &p)
{
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/* "HOST:PORT" or "[V6ADDR]:PORT" -> host, port; false if malformed. */
bool parse_host_port(const std::string &s, std::string &host, unsigned &port)
{
    std::string::size_type colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
        return false;
    unsigned long v = 0;
    for (std::string::size_type i = colon + 1; i < s.size(); i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
        if (v > 65535) return false;
    }
    if (v == 0) return false;
    host.assign(s, 0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.empty()) return false;
    port = static_cast<unsigned>(v);
    return true;
}

/* Relative stub paths are relative to the stub file's directory (as in
 * Xapian's resolve_relative_path). */
std::string resolve_relative(const std::string &p, const std::string &stub)
{
    if (!p.empty() && p[0] == '/') return p;
    std::string::size_type slash = stub.rfind('/');
    if (slash == std::string::npos) return p;
    return stub.substr(0, slash + 1) + p;
}

struct expand_ctx {
    std::vector<shard> *out;
    sou_error *err;
};

int expand_spec(expand_ctx &cx, const std::string &spec,
                const std::string &origin, int depth);

/* Parse a Xapian stub database file into shards. Syntax (Xapian 1.4,
 * backends/databasehelpers.h read_stub_file): one database per line,
 * "TYPE REST"; empty lines and lines starting with '#' are ignored;
 *   auto PATH            any database or stub (relative to the stub's dir)
 *   glass PATH / chert PATH
 *   remote HOST:PORT     xapian-tcpsrv ("[v6addr]:PORT" also accepted)
 *   remote :PROG ARGS    xapian-progsrv through a program (e.g. ssh)
 *   inmemory             an empty in-memory database */
int expand_stub(expand_ctx &cx, const std::string &file, int depth)
{
    std::ifstream in(file);
    if (!in) {
        int e = errno;
        return sou_error_set(cx.err, e == ENOENT ? SOU_ENOTFOUND : SOU_EIO,
                             "opening stub database file %s: %s", file.c_str(),
                             std::strerror(e));
    }
    std::string line;
    unsigned line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.empty() || line[0] == '#') continue;
        std::string::size_type sp = line.find(' ');
        if (sp == std::string::npos) sp = line.size();
        std::string type(line, 0, sp);
        std::string rest = sp < line.size() ? line.substr(sp + 1) : std::string();
        std::string origin = " (listed in " + file + " line " +
                             std::to_string(line_no) + ")";
        shard s;
        s.origin = origin;
        if (type == "auto" && !rest.empty()) {
            int rc = expand_spec(cx, resolve_relative(rest, file), origin, depth + 1);
            if (rc) return rc;
            continue;
        } else if ((type == "glass" || type == "chert") && !rest.empty()) {
            s.kind = type == "glass" ? SHARD_GLASS : SHARD_CHERT;
            s.path = s.name = resolve_relative(rest, file);
        } else if (type == "remote" && rest.size() > 1 && rest[0] == ':') {
            s.kind = SHARD_PROG;
            std::string::size_type psp = rest.find(' ');
            s.path = rest.substr(1, psp == std::string::npos ? std::string::npos : psp - 1);
            s.host = psp == std::string::npos ? std::string() : rest.substr(psp + 1);
            s.name = "remote :" + s.path + (s.host.empty() ? "" : " " + s.host);
        } else if (type == "remote" && parse_host_port(rest, s.host, s.port)) {
            s.kind = SHARD_TCP;
            s.name = "tcp:" + rest;
        } else if (type == "inmemory" && rest.empty()) {
            s.kind = SHARD_INMEMORY;
            s.name = "inmemory";
        } else {
            /* Like Xapian, don't echo the line: the file may not be a stub. */
            return sou_error_set(cx.err, SOU_EINVAL,
                                 "stub database file %s line %u: bad line "
                                 "(expected auto/glass PATH, remote HOST:PORT, "
                                 "remote :PROG ARGS or inmemory)",
                                 file.c_str(), line_no);
        }
        cx.out->push_back(std::move(s));
    }
    return 0;
}

/* One shard spec: "tcp:HOST:PORT", a database directory or single file, a
 * stub file, or a stub directory (a directory holding XAPIANDB). */
int expand_spec(expand_ctx &cx, const std::string &spec,
                const std::string &origin, int depth)
{
    if (depth > 8)
        return sou_error_set(cx.err, SOU_EINVAL,
                             "stub files nested more than 8 deep at %s", spec.c_str());
    shard s;
    s.origin = origin;
    s.name = spec;
    if (spec.compare(0, 4, "tcp:") == 0) {
        if (!parse_host_port(spec.substr(4), s.host, s.port))
            return sou_error_set(cx.err, SOU_EINVAL,
                                 "shard %s%s: expected tcp:HOST:PORT", spec.c_str(),
                                 origin.c_str());
        s.kind = SHARD_TCP;
        cx.out->push_back(std::move(s));
        return 0;
    }
    s.kind = SHARD_AUTO;
    s.path = spec;
    struct stat st;
    if (stat(spec.c_str(), &st) == 0) {
        if (S_ISREG(st.st_mode) && !is_single_file_glass(spec))
            return expand_stub(cx, spec, depth);
        if (S_ISDIR(st.st_mode) && !file_exists(spec + "/iamglass") &&
            !file_exists(spec + "/iamchert") && file_exists(spec + "/XAPIANDB"))
            return expand_stub(cx, spec + "/XAPIANDB", depth);
    }
    /* A missing path stays a shard: opening it reports (or, with
     * allow_partial, skips) it like any other shard that fails. */
    cx.out->push_back(std::move(s));
    return 0;
}

} // namespace

/* A shard's mapped record file (record_file.h). */
struct record_map {
    sou_recmap m{};
    bool only = false;    /* a "file" shard: no record in the value slot */
    std::string name;     /* the shard, for errors */
    record_map() = default;
    record_map(const record_map &) = delete;
    record_map &operator=(const record_map &) = delete;
    ~record_map() { sou_recmap_close(&m); }
};

struct sou_reader {
    std::vector<shard> shards;
    sou_reader_options opts{};
    Xapian::Database combined;
    size_t n_ok = 0;
    sou_store::sou_norms norms;   /* document lengths; cleared on every reopen */
    uint64_t searches = 0;        /* sou_reader_search calls so far */
    /* Per database of combined, in its order: mapped record files, remapped
     * on every reopen (a remote shard's stays empty). Empty unless every
     * shard is one database, so that combined's docids map onto them. */
    std::vector<std::unique_ptr<record_map>> records;
    /* -1: not known yet (read at the first search of a generation);
     * 1: every shard has positions; 0: no_positions names one without */
    int positions = -1;
    std::string no_positions;
};

namespace {

unsigned timeout_or_default(unsigned ms)
{
    return ms ? ms : 10000;
}

/* Open one shard (throws Xapian errors). */
Xapian::Database open_shard(const sou_reader &r, const shard &s)
{
    switch (s.kind) {
    case SHARD_GLASS: return Xapian::Database(s.path, Xapian::DB_BACKEND_GLASS);
    case SHARD_CHERT: return Xapian::Database(s.path, Xapian::DB_BACKEND_CHERT);
    case SHARD_TCP:
        return Xapian::Remote::open(s.host, s.port,
                                    timeout_or_default(r.opts.timeout_ms),
                                    timeout_or_default(r.opts.connect_timeout_ms));
    case SHARD_PROG:
        return Xapian::Remote::open(s.path, s.host,
                                    timeout_or_default(r.opts.timeout_ms));
    case SHARD_INMEMORY:
        return Xapian::Database(std::string(), Xapian::DB_BACKEND_INMEMORY);
    case SHARD_AUTO: break;
    }
    return Xapian::Database(s.path);
}

bool shard_is_remote(const shard &s)
{
    return s.kind == SHARD_TCP || s.kind == SHARD_PROG;
}

/* Map the record file of a local glass directory shard at its revision. */
void map_records(record_map &rm, const shard &s)
{
    rm.name = s.name;
    if (shard_is_remote(s) || s.kind == SHARD_INMEMORY) return;
    rm.only = s.db.get_metadata(SOU_META_RECORDS) == "file";
    struct stat st;
    if (stat(s.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    sou_recmap_open(&rm.m, s.path.c_str(), s.db.get_uuid().c_str(), s.db.get_lastdocid(),
                    rm.only);
}

void rebuild_combined(sou_reader &r)
{
    Xapian::Database all;
    size_t n = 0;
    r.records.clear();
    for (shard &s : r.shards)
        if (s.ok) {
            all.add_database(s.db);
            n++;
        }
    r.combined = all;
    r.n_ok = n;
    if (all.internal.size() == n)
        for (shard &s : r.shards)
            if (s.ok) {
                r.records.emplace_back(new record_map());
                map_records(*r.records.back(), s);
            }
    r.norms.clear();   /* a reopened shard may be at a new revision */
    r.positions = -1;
}

/* Whether every open shard of r has positions (SOU_META_POSITIONS). */
void read_positions(sou_reader &r)
{
    if (r.positions >= 0) return;
    r.positions = 1;
    for (const shard &s : r.shards)
        if (s.ok && s.db.get_metadata(SOU_META_POSITIONS) == "0") {
            r.positions = 0;
            r.no_positions = s.name;
            return;
        }
}

/* Try to open shard s; on failure fill err (naming the shard). */
int try_open_shard(sou_reader &r, shard &s, sou_error *err)
{
    try {
        s.db = open_shard(r, s);
        s.ok = true;
        return 0;
    } catch (const Xapian::Error &e) {
        s.ok = false;
        s.db = Xapian::Database();
        return set_xapian_error(err, code_for(e),
                                "opening shard " + s.name + s.origin, e);
    }
}

/* After a NetworkError: reconnect every remote shard (a fresh connection is
 * both the probe and a clean protocol state: a multi-shard search that broke
 * midway may leave unread replies on the healthy connections). With
 * allow_partial, shards that cannot reconnect are marked missing; without
 * it they keep their broken connection, so every later call fails again
 * (naming them) until they answer. Returns 0 if the caller may retry, else
 * SOU_ENETWORK naming the shards that did not answer. */
int recover_remote_shards(sou_reader &r, const std::string &what,
                          sou_error *err)
{
    std::string failed, first;
    for (shard &s : r.shards) {
        if (!shard_is_remote(s) || !s.ok) continue;
        try {
            Xapian::Database fresh = open_shard(r, s);
            s.db = fresh;
        } catch (const Xapian::Error &e) {
            if (failed.empty()) first = xapian_text(e);
            failed += (failed.empty() ? "" : ", ") + s.name + s.origin;
            if (r.opts.allow_partial) {
                s.ok = false;
                s.db = Xapian::Database();
            }
        }
    }
    rebuild_combined(r);
    if (failed.empty() || (r.opts.allow_partial && r.n_ok > 0)) return 0;
    return sou_error_set(err, SOU_ENETWORK, "%s: shard %s did not answer: %s",
                         what.c_str(), failed.c_str(), first.c_str());
}

/* Reader operation with one retry after a NetworkError (see above). */
template <class F>
int reader_guard(sou_reader *r, sou_error *err, const char *what, F &&f)
{
    for (int attempt = 0;; attempt++) {
        if (r->n_ok == 0)
            return sou_error_set(err, SOU_ENETWORK, "%s: no shard is available", what);
        bool retry = false;
        int rc = guard(err, what, [&]() -> int {
            try {
                return f();
            } catch (const Xapian::NetworkError &e) {
                int rc2 = recover_remote_shards(*r, what, err);
                if (rc2) return rc2;
                if (attempt > 0)   /* failed twice although shards answer */
                    return set_xapian_error(err, SOU_ENETWORK, what, e);
                retry = true;
                return 0;
            }
        });
        if (!retry) return rc;
    }
}

} // namespace

extern "C" int sou_reader_open(const char *const *shards, size_t n,
                               const sou_reader_options *opts, sou_reader **out,
                               sou_error *err)
{
    if (!out) return sou_error_set(err, SOU_EINVAL, "sou_reader_open: out is NULL");
    *out = nullptr;
    if (!shards || n == 0)
        return sou_error_set(err, SOU_EINVAL, "sou_reader_open: no shards given");
    return guard(err, "opening index", [&]() -> int {
        sou_reader *r = new sou_reader();
        if (opts) r->opts = *opts;
        expand_ctx cx{&r->shards, err};
        for (size_t i = 0; i < n; i++) {
            int rc = shards[i] ? expand_spec(cx, shards[i], std::string(), 0)
                               : sou_error_set(err, SOU_EINVAL,
                                               "sou_reader_open: shard %zu is NULL", i);
            if (rc) {
                delete r;
                return rc;
            }
        }
        if (r->shards.empty()) {
            delete r;
            return sou_error_set(err, SOU_ENOTFOUND,
                                 "opening index: the stub files list no databases");
        }
        int first_rc = 0;
        sou_error first_err;
        sou_error_clear(&first_err);
        for (shard &s : r->shards) {
            sou_error e2;
            int rc = try_open_shard(*r, s, &e2);
            if (rc && !r->opts.allow_partial) {
                delete r;
                if (err) *err = e2;
                return rc;
            }
            if (rc && !first_rc) {
                first_rc = rc;
                first_err = e2;
            }
        }
        rebuild_combined(*r);
        if (r->n_ok == 0) {
            delete r;
            if (err) *err = first_err;
            return first_rc;
        }
        *out = r;
        return 0;
    });
}

extern "C" void sou_reader_close(sou_reader *r)
{
    if (!r) return;
    guard(nullptr, "sou_reader_close", [&] {
        delete r;   /* remote connections close in the destructors */
        return 0;
    });
}

#define SOU_REOPEN_TRIES 5

extern "C" int sou_reader_reopen(sou_reader *r, sou_error *err)
{
    if (!r) return sou_error_set(err, SOU_EINVAL, "sou_reader_reopen: NULL reader");
    return guard(err, "reopening index", [&]() -> int {
        for (shard &s : r->shards) {
            sou_error e2;
            int rc = 0;
            if (s.ok) {
                try {
                    /* A commit landing while reopen() opens the new revision
                     * discards it again: reopen once more (bounded). */
                    for (int tries = 1;; tries++) {
                        try {
                            s.db.reopen();
                            break;
                        } catch (const Xapian::DatabaseModifiedError &) {
                            if (tries == SOU_REOPEN_TRIES) throw;
                        }
                    }
                } catch (const Xapian::NetworkError &) {
                    rc = try_open_shard(*r, s, &e2);   /* reconnect once */
                } catch (const Xapian::Error &e) {
                    rc = set_xapian_error(&e2, code_for(e),
                                          "reopening shard " + s.name + s.origin, e);
                    s.ok = false;
                }
            } else {
                rc = try_open_shard(*r, s, &e2);   /* a missing shard may be back */
            }
            if (rc && !r->opts.allow_partial) {
                rebuild_combined(*r);
                if (err) *err = e2;
                return rc;
            }
        }
        rebuild_combined(*r);
        if (r->n_ok == 0)
            return sou_error_set(err, SOU_ENETWORK, "reopening index: no shard is available");
        return 0;
    });
}

extern "C" size_t sou_reader_shard_count(const sou_reader *r)
{
    return r ? r->shards.size() : 0;
}

extern "C" const char *sou_reader_shard_name(const sou_reader *r, size_t i)
{
    if (!r || i >= r->shards.size()) return nullptr;
    return r->shards[i].name.c_str();
}

extern "C" int sou_reader_shard_ok(const sou_reader *r, size_t i)
{
    if (!r || i >= r->shards.size()) return 0;
    return r->shards[i].ok ? 1 : 0;
}

extern "C" int sou_reader_get_metadata(sou_reader *r, const char *key,
                                       char **out, size_t *len, sou_error *err)
{
    if (!r || !key || !out)
        return sou_error_set(err, SOU_EINVAL, "sou_reader_get_metadata: NULL argument");
    *out = nullptr;
    if (len) *len = 0;
    return reader_guard(r, err, "reading metadata",
                        [&] { return metadata_out(r->combined, key, out, len, err); });
}

extern "C" int sou_reader_doccount(sou_reader *r, uint64_t *out, sou_error *err)
{
    if (!r || !out) return sou_error_set(err, SOU_EINVAL, "sou_reader_doccount: NULL argument");
    return reader_guard(r, err, "counting documents", [&] {
        *out = r->combined.get_doccount();
        return 0;
    });
}

extern "C" int sou_reader_termfreq(sou_reader *r, const char *term, size_t len,
                                   uint64_t *out, sou_error *err)
{
    if (!r || !out || (!term && len))
        return sou_error_set(err, SOU_EINVAL, "sou_reader_termfreq: NULL argument");
    return reader_guard(r, err, "reading term frequency", [&] {
        *out = r->combined.get_termfreq(std::string(term ? term : "", len));
        return 0;
    });
}

extern "C" int sou_reader_allterms(sou_reader *r, const char *prefix, size_t plen,
                                   sou_term_visit_cb cb, void *ctx, sou_error *err)
{
    if (!r || !cb || (!prefix && plen))
        return sou_error_set(err, SOU_EINVAL, "sou_reader_allterms: NULL argument");
    return reader_guard(r, err, "listing terms",
                        [&] { return visit_terms(r->combined, prefix, plen, cb, ctx); });
}

extern "C" int sou_reader_avlength(sou_reader *r, double *out, sou_error *err)
{
    if (!r || !out) return sou_error_set(err, SOU_EINVAL, "sou_reader_avlength: NULL argument");
    return reader_guard(r, err, "reading average length", [&] {
        *out = r->combined.get_avlength();
        return 0;
    });
}

extern "C" void sou_hits_free(sou_hits *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->n; i++) std::free(h->hits[i].data);
    std::free(h->hits);
    h->hits = nullptr;
    h->n = 0;
}

namespace {

/* The document lengths of every open shard, once per reader generation.
 * Only for readers whose open shards are all local (the caller checks). */
const sou_store::sou_norms &reader_norms(sou_reader &r)
{
    if (!r.norms.built) {
        std::vector<Xapian::Database> dbs;
        for (const shard &s : r.shards)
            if (s.ok) dbs.push_back(s.db);
        r.norms.build(dbs);
    }
    return r.norms;
}

struct fast_ctx {
    const sou_store::sou_norms *norms;   /* NULL: Xapian's leaves */
    const sou_search_params &p;
    Xapian::doccount collection_size;
    double average_length;
    std::map<std::string, sou_store::term_stats> terms;   /* each term read once */
    /* NULL: the index has positions; else phrases are checked by it */
    const sou_store::phrase_checker *check;
    bool unchecked_phrase;   /* a phrase met with no callback to check it */
};

Xapian::Query scaled(const Xapian::Query &q, double factor)
{
    return factor == 1.0 ? q : Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q, factor);
}

bool is_term_leaf(const sou_query *n)
{
    return n->kind == sou_query::TERM && !n->term.empty();
}

/* The scoring recipe of term leaf n under factor (statistics read once). */
sou_store::bm25_term bm25_term_of(const sou_query *n, double factor, fast_ctx &cx)
{
    auto it = cx.terms.find(n->term);
    if (it == cx.terms.end())
        it = cx.terms.emplace(n->term, sou_store::term_stats_read(*cx.norms, n->term)).first;
    return sou_store::bm25_term_make(n->term, it->second, cx.collection_size,
                                     cx.average_length, n->wqf, factor, cx.p.k1, cx.p.b,
                                     cx.p.min_normlen);
}

/* The unweighted leaf that checks phrase n (of term leaves) in records. */
Xapian::Query phrase_check_leaf(const sou_query *n, fast_ctx &cx)
{
    std::vector<sou_store::bm25_term> terms;
    for (const sou_query *c : n->subs)
        terms.push_back(sou_store::bm25_term{c->term, {}, 0, 0, 0, 0, 0});
    if (!cx.check->cb) cx.unchecked_phrase = true;
    return Xapian::Query((new sou_store::Bm25PhraseSource(nullptr, terms, cx.collection_size,
                                                          cx.check, n->window))
                             ->release());
}

/* n as Xapian's own query. With positions that is n->q; without, every
 * phrase becomes the AND of its terms (Xapian's leaves: they weigh it as
 * Xapian weighs a phrase) filtered by an unweighted Bm25PhraseSource that
 * checks each candidate's record. Xapian would read a phrase on a database
 * without positions as a plain AND. */
Xapian::Query plain_query(const sou_query *n, fast_ctx &cx)
{
    if (!cx.check) return n->q;
    switch (n->kind) {
    case sou_query::SCALE:
        return Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, plain_query(n->subs[0], cx),
                             n->factor);
    case sou_query::OP: {
        std::vector<Xapian::Query> v;
        v.reserve(n->subs.size());
        for (const sou_query *c : n->subs) v.push_back(plain_query(c, cx));
        if (n->op != SOU_QOP_PHRASE) return Xapian::Query(n->xop, v.begin(), v.end());
        for (const sou_query *c : n->subs)
            if (!is_term_leaf(c)) {   /* the builder makes phrases of terms only */
                cx.unchecked_phrase = true;
                return n->q;
            }
        return Xapian::Query(Xapian::Query::OP_FILTER,
                             Xapian::Query(Xapian::Query::OP_AND, v.begin(), v.end()),
                             phrase_check_leaf(n, cx));
    }
    case sou_query::TERM:
    case sou_query::OTHER:
        break;
    }
    return n->q;
}

/* q rebuilt with a Bm25Source for every weighted term leaf; scale factors
 * are carried down into the leaves the way Xapian carries them (outer
 * factor times inner). A phrase keeps Xapian's phrase as a filter and takes
 * its weight from its terms' sources: Xapian's phrase weight is the sum of
 * its terms' weights; without positions the phrase leaf checks records
 * itself. Wildcards, match-all and synonyms stay Xapian's. */
Xapian::Query fast_query(const sou_query *n, double factor, fast_ctx &cx)
{
    if (factor == 0.0) return scaled(plain_query(n, cx), 0.0);
    switch (n->kind) {
    case sou_query::TERM: {
        if (n->term.empty()) break;
        return Xapian::Query(
            (new sou_store::Bm25Source(cx.norms, bm25_term_of(n, factor, cx)))->release());
    }
    case sou_query::SCALE:
        return fast_query(n->subs[0], factor * n->factor, cx);
    case sou_query::OP: {
        std::vector<Xapian::Query> v;
        v.reserve(n->subs.size());
        switch (n->op) {
        case SOU_QOP_AND:
        case SOU_QOP_OR:
        case SOU_QOP_AND_MAYBE:
            for (const sou_query *c : n->subs) v.push_back(fast_query(c, factor, cx));
            break;
        case SOU_QOP_FILTER:
        case SOU_QOP_AND_NOT:   /* only the first sub is weighted */
            for (size_t i = 0; i < n->subs.size(); i++)
                v.push_back(i ? plain_query(n->subs[i], cx)
                              : fast_query(n->subs[i], factor, cx));
            break;
        case SOU_QOP_PHRASE: {
            for (const sou_query *c : n->subs)
                if (!is_term_leaf(c)) return scaled(plain_query(n, cx), factor);
            if (!n->subs.empty() && (cx.check || n->window == n->subs.size())) {
                /* one weighted leaf, filtered by Xapian's phrase or by a
                 * leaf checking records (any window) */
                std::vector<sou_store::bm25_term> terms;
                terms.reserve(n->subs.size());
                for (const sou_query *c : n->subs) terms.push_back(bm25_term_of(c, factor, cx));
                Xapian::Query leaf((new sou_store::Bm25PhraseSource(cx.norms, terms,
                                                                     cx.collection_size))
                                       ->release());
                return Xapian::Query(cx.check ? Xapian::Query::OP_AND : Xapian::Query::OP_FILTER,
                                     leaf, cx.check ? phrase_check_leaf(n, cx) : n->q);
            }
            for (const sou_query *c : n->subs) v.push_back(fast_query(c, factor, cx));
            return Xapian::Query(Xapian::Query::OP_FILTER,
                                 Xapian::Query(Xapian::Query::OP_AND, v.begin(), v.end()),
                                 n->q);
        }
        default:
            return scaled(plain_query(n, cx), factor);
        }
        return Xapian::Query(n->xop, v.begin(), v.end());
    }
    case sou_query::OTHER:
        break;
    }
    return scaled(plain_query(n, cx), factor);
}

} // namespace

extern "C" int sou_reader_search(sou_reader *r, const sou_query *q,
                                 const sou_search_params *params, sou_hits *out,
                                 sou_error *err)
{
    if (!r || !q || !params || !out)
        return sou_error_set(err, SOU_EINVAL, "sou_reader_search: NULL argument");
    std::memset(out, 0, sizeof *out);
    r->searches++;
    int rc = reader_guard(r, err, "searching", [&]() -> int {
        sou_hits_free(out);
        /* With a remote shard, each hit's record comes back as its sort key
         * (sou/terms.h); locally sorting costs more than reading 10 values. */
        bool remote = false;
        for (const shard &s : r->shards) remote = remote || (s.ok && shard_is_remote(s));
        Xapian::Enquire enq(r->combined);
        read_positions(*r);
        sou_store::phrase_checker checker;
        if (r->positions == 0) {
            if (remote)
                return sou_error_set(err, SOU_EINVAL,
                                     "shard %s has no positions, and a search with remote "
                                     "shards needs them on every shard: index it with "
                                     "sou-index --positions", r->no_positions.c_str());
            checker.cb = params->phrase_check;
            checker.ctx = params->phrase_ctx;
            for (size_t k = 0; k < r->records.size(); k++)
                checker.maps.emplace_back(r->combined.internal[k].get(), &r->records[k]->m);
        }
        /* Loading the lengths costs about 45 ms per million passages, so a
         * reader that answers one query (sou-search QUERY) does not. */
        const sou_store::sou_norms *norms =
            remote || params->xapian_weights || (r->searches < 2 && !r->norms.built)
                ? nullptr : &reader_norms(*r);
        if (norms && !norms->usable) norms = nullptr;
        const bool own_leaves = norms || r->positions == 0;
        fast_ctx cx{norms, *params, own_leaves ? r->combined.get_doccount() : 0,
                    own_leaves ? r->combined.get_avlength() : 0, {},
                    r->positions == 0 ? &checker : nullptr, false};
        if (cx.norms) {
            enq.set_query(fast_query(q, 1.0, cx));
            out->lengths_in_memory = 1;
        } else {
            enq.set_query(plain_query(q, cx));
        }
        if (cx.unchecked_phrase)
            return sou_error_set(err, SOU_EINVAL,
                                 "shard %s has no positions: a phrase query needs a phrase "
                                 "check (sou_search_params.phrase_check)",
                                 r->no_positions.c_str());
        enq.set_weighting_scheme(Xapian::BM25Weight(params->k1, 0, 1, params->b,
                                                    params->min_normlen));
        if (params->collapse) enq.set_collapse_key(SOU_SLOT_SOURCE);
        Xapian::doccount first = static_cast<Xapian::doccount>(
            params->offset > 0xffffffffu ? 0xffffffffu : params->offset);
        Xapian::doccount max = static_cast<Xapian::doccount>(
            params->limit > 0xffffffffu ? 0xffffffffu : params->limit);
        remote = remote && max > 0;   /* counting only: no records to carry */
        if (remote) enq.set_sort_by_relevance_then_value(SOU_SLOT_RECORD, false);
        Xapian::doccount check = static_cast<Xapian::doccount>(
            params->check_at_least > 0xffffffffu ? 0xffffffffu : params->check_at_least);
        Xapian::MSet mset = enq.get_mset(first, max, check);
        out->matches_estimated = mset.get_matches_estimated();
        out->matches_lower = mset.get_matches_lower_bound();
        out->matches_upper = mset.get_matches_upper_bound();
        if (mset.size() == 0) return 0;
        out->hits = static_cast<sou_hit *>(std::calloc(mset.size(), sizeof(sou_hit)));
        if (!out->hits) return sou_error_set(err, SOU_ENOMEM, "searching: out of memory");
        for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
            sou_hit &h = out->hits[out->n];
            h.docid = *it;
            h.score = it.get_weight();
            if (!params->skip_doclen) h.doclen = r->combined.get_doclength(*it);
            if (remote && copy_out(it.get_sort_key(), &h.data, &h.data_len)) {
                sou_hits_free(out);
                return sou_error_set(err, SOU_ENOMEM, "searching: out of memory");
            }
            out->n++;
        }
        if (remote) return 0;
        /* From the shards' record files where they cover the hit; the rest
         * from the value slot, in docid order: the value cursor then only
         * moves forward and hits in one chunk share its read. */
        std::vector<std::pair<Xapian::docid, size_t>> order;
        const size_t nsub = r->records.size();
        for (size_t i = 0; i < out->n; i++) {
            sou_hit &h = out->hits[i];
            sou_record rec;
            bool found = false;
            if (!params->records_from_values && nsub > 0) {
                Xapian::docid d = h.docid - 1;
                found = sou_recmap_record(&r->records[d % nsub]->m,
                                          static_cast<uint32_t>(d / nsub + 1), &rec) != 0;
            }
            if (!found) {
                order.emplace_back(h.docid, i);
                continue;
            }
            if (sou_record_encode(&rec, &h.data, &h.data_len) != 0) {
                sou_hits_free(out);
                return sou_error_set(err, SOU_ENOMEM, "searching: out of memory");
            }
            out->records_from_file++;
        }
        std::sort(order.begin(), order.end());
        for (const auto &o : order) {
            sou_hit &h = out->hits[o.second];
            const record_map *rm = nsub ? r->records[(o.first - 1) % nsub].get() : nullptr;
            if (rm && rm->only && params->records_from_values) {
                sou_hits_free(out);
                return sou_error_set(err, SOU_EINVAL, "shard %s keeps its records in its "
                                     "record file only, not in the value slot",
                                     rm->name.c_str());
            }
            if (rm && rm->only) {
                sou_hits_free(out);
                return sou_error_set(err, SOU_ECORRUPT,
                                     "shard %s: the passage record of document %u is missing "
                                     "from its %s (or damaged), and this index keeps its "
                                     "records nowhere else: rebuild it",
                                     rm->name.c_str(), static_cast<unsigned>((o.first - 1) / nsub + 1),
                                     SOU_RECFILE_DATA);
            }
            if (copy_out(r->combined.get_document(o.first, Xapian::DOC_ASSUME_VALID)
                             .get_value(SOU_SLOT_RECORD),
                         &h.data, &h.data_len)) {
                sou_hits_free(out);
                return sou_error_set(err, SOU_ENOMEM, "searching: out of memory");
            }
        }
        return 0;
    });
    /* An exception mid-fetch (a writer committed: stale) leaves partial
     * hits; callers retry with the same struct, so free them here. */
    if (rc) sou_hits_free(out);
    return rc;
}

extern "C" int sou_reader_wdf(sou_reader *r, uint32_t docid, const char *term,
                              size_t len, uint32_t *out, sou_error *err)
{
    if (!r || !out || !term || len == 0)
        return sou_error_set(err, SOU_EINVAL, "sou_reader_wdf: bad argument");
    *out = 0;
    return reader_guard(r, err, "reading wdf", [&] {
        std::string t(term, len);
        try {
            Xapian::TermIterator it = r->combined.termlist_begin(docid);
            it.skip_to(t);
            if (it != r->combined.termlist_end(docid) && *it == t)
                *out = it.get_wdf();
        } catch (const Xapian::FeatureUnavailableError &) {
            /* a merged database has no termlists: the term's posting list */
            Xapian::PostingIterator it = r->combined.postlist_begin(t);
            it.skip_to(docid);
            if (it != r->combined.postlist_end(t) && *it == docid) *out = it.get_wdf();
        }
        return 0;
    });
}
