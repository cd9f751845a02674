/* bench/peers/fts5.c - the SQLite FTS5 peer (not part of sou).
 *
 *   bench-fts5 index TOKENIZER PASSAGES DBFILE
 *       one FTS5 table passages(title UNINDEXED, body) with tokenize=TOKENIZER
 *       (the title is stored, not searched: as in sou, queries search text)
 *       ("trigram" or "unicode61"), rowid = passage id, everything in one
 *       transaction; prints one JSON line (passages, bytes, seconds).
 *   bench-fts5 query [--limit N] [--warmup] [--passes N] DBFILE QUERIES
 *       one query per line, mapped to an FTS5 MATCH expression (below),
 *       "ORDER BY rank LIMIT N" (rank = bm25()) with snippet() of the body,
 *       each query timed alone (prepared statement reused, as a C program
 *       would). --limit 0: every match, rowids only (quality mode).
 *       --passes N: each query's time is the median of N timed passes.
 *       Output: qid \t nanoseconds \t matches \t id,id,... (matches is -1
 *       when the expression is rejected; with a limit it is the rows
 *       returned, FTS5 does not estimate totals).
 *   bench-fts5 query --throughput T [--passes N] [--limit N] DBFILE QUERIES
 *       T threads, each with its own read-only connection and statement,
 *       each runs one untimed warm-up pass over the file, then (together,
 *       after a barrier) the whole file N times (--passes, default 1),
 *       thread i starting at query i*len/T, top --limit with snippet() as
 *       above; wall time from the start to the last thread's end. Output:
 *       one JSON line {"engine":"fts5-TOKENIZER","threads":T,"queries":Q,
 *       "seconds":W,"qps":X,"errors":E} (the tokenizer read from the table).
 *
 * Query text -> MATCH: whitespace separates tokens, "..." keeps a phrase;
 * every token or phrase becomes an FTS5 string ("tok", quotes doubled), so
 * punctuation in a token is data, not syntax, and strings are ANDed.
 * Upper-case OR/AND/NOT pass through as operators. With the trigram
 * tokenizer a string shorter than 3 characters matches nothing (FTS5's
 * documented behaviour); we do not rewrite such queries into LIKE scans.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "passfile.h"
#include "query_parts.h"

static int die_db(sqlite3 *db, const char *what)
{
    fprintf(stderr, "bench-fts5: %s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

static int do_index(const char *tokenizer, const char *path, const char *dbfile)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    remove(dbfile);
    double t0 = now_s();
    sqlite3 *db;
    if (sqlite3_open(dbfile, &db) != SQLITE_OK) return die_db(db, dbfile);
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE VIRTUAL TABLE passages USING fts5(title UNINDEXED, body, tokenize='%s')",
             tokenizer);
    if (sqlite3_exec(db, sql, 0, 0, 0) != SQLITE_OK) return die_db(db, "create");
    if (sqlite3_exec(db, "BEGIN", 0, 0, 0) != SQLITE_OK) return die_db(db, "begin");
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db, "INSERT INTO passages(rowid, title, body) VALUES(?,?,?)",
                           -1, &ins, 0) != SQLITE_OK)
        return die_db(db, "prepare insert");
    bench_passage p = {0};
    unsigned long n = 0;
    unsigned long long bytes = 0;
    int rc;
    while ((rc = bench_passage_read(f, &p)) == 1) {
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)p.id);
        sqlite3_bind_text(ins, 2, p.title, (int)p.title_len, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, p.text, (int)p.text_len, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) return die_db(db, "insert");
        sqlite3_reset(ins);
        n++;
        bytes += p.title_len + p.text_len;
    }
    bench_passage_free(&p);
    fclose(f);
    if (rc < 0) { fprintf(stderr, "bench-fts5: malformed passage file %s\n", path); return 1; }
    sqlite3_finalize(ins);
    if (sqlite3_exec(db, "COMMIT", 0, 0, 0) != SQLITE_OK) return die_db(db, "commit");
    sqlite3_close(db);
    printf("{\"engine\":\"fts5-%s\",\"passages\":%lu,\"bytes\":%llu,\"seconds\":%.3f}\n",
           tokenizer, n, bytes, now_s() - t0);
    return 0;
}

/* Map query text to an FTS5 expression (see the file comment). */
static char *to_match(const char *q)
{
    size_t len = strlen(q);
    char *out = malloc(len * 2 + 16), *o = out;
    if (!out) return NULL;
    const char *s = q;
    const char *b, *e;
    while (query_next_part(&s, &b, &e)) {
        if (e == b) continue;
        if (o != out) *o++ = ' ';
        size_t n = (size_t)(e - b);
        if ((n == 2 && !memcmp(b, "OR", 2)) || (n == 3 && (!memcmp(b, "AND", 3) || !memcmp(b, "NOT", 3)))) {
            memcpy(o, b, n);
            o += n;
            continue;
        }
        *o++ = '"';
        for (const char *c = b; c < e; c++) {
            if (*c == '"') *o++ = '"';
            *o++ = *c;
        }
        *o++ = '"';
    }
    *o = 0;
    return out;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static const char *SQL_TOP =
    "SELECT rowid, snippet(passages, 1, '<b>', '</b>', '…', 24) FROM passages "
    "WHERE passages MATCH ?1 ORDER BY rank LIMIT ?2";
static const char *SQL_ALL = "SELECT rowid FROM passages WHERE passages MATCH ?1";

/* ---- --throughput: T threads, one connection each ---------------------- */

typedef struct tp_shared {
    char **queries;
    size_t nq;
    const char *dbfile;
    long limit;
    int threads, passes;
    pthread_barrier_t warm, start;
} tp_shared;

typedef struct tp_thread {
    tp_shared *sh;
    int id, failed;
    long long runs, errors;
    size_t sink;
} tp_thread;

/* One query on st: 1 when the expression is rejected. */
static int tp_one(tp_thread *t, sqlite3_stmt *st, const char *q)
{
    sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
    if (t->sh->limit > 0) sqlite3_bind_int64(st, 2, t->sh->limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        t->sink += (size_t)sqlite3_column_int64(st, 0);
        if (t->sh->limit > 0) t->sink += (size_t)sqlite3_column_bytes(st, 1);
    }
    sqlite3_reset(st);
    return rc != SQLITE_DONE;
}

static void *tp_main(void *arg)
{
    tp_thread *t = arg;
    tp_shared *sh = t->sh;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(sh->dbfile, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, 0) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db, sh->limit > 0 ? SQL_TOP : SQL_ALL, -1, &st, 0) != SQLITE_OK) {
        fprintf(stderr, "bench-fts5: %s: %s\n", sh->dbfile, sqlite3_errmsg(db));
        t->failed = 1;
    }
    if (!t->failed)
        for (size_t q = 0; q < sh->nq; q++) tp_one(t, st, sh->queries[q]);   /* warm-up */
    pthread_barrier_wait(&sh->warm);
    pthread_barrier_wait(&sh->start);
    if (!t->failed) {
        size_t first = sh->nq ? (size_t)t->id * sh->nq / (size_t)sh->threads : 0;
        for (int pass = 0; pass < sh->passes; pass++)
            for (size_t k = 0; k < sh->nq; k++) {
                t->errors += tp_one(t, st, sh->queries[(first + k) % sh->nq]);
                t->runs++;
            }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

/* The tokenizer named in the table's CREATE statement ("trigram", ...). */
static void table_tokenizer(const char *dbfile, char *out, size_t cap)
{
    snprintf(out, cap, "?");
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open_v2(dbfile, &db, SQLITE_OPEN_READONLY, 0) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE name='passages'", -1, &st,
                           0) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *sql = (const char *)sqlite3_column_text(st, 0);
            const char *k = sql ? strstr(sql, "tokenize='") : NULL;
            if (k) {
                k += strlen("tokenize='");
                size_t n = strcspn(k, "' ");
                if (n >= cap) n = cap - 1;
                memcpy(out, k, n);
                out[n] = 0;
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static int run_throughput(const char *dbfile, char **queries, size_t nq, long limit,
                          int threads, int passes)
{
    tp_shared sh = {.queries = queries, .nq = nq, .dbfile = dbfile, .limit = limit,
                    .threads = threads, .passes = passes};
    tp_thread *ts = calloc((size_t)threads, sizeof *ts);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!ts || !tid) return 1;
    pthread_barrier_init(&sh.warm, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&sh.start, NULL, (unsigned)threads + 1);
    for (int k = 0; k < threads; k++) {
        ts[k].sh = &sh;
        ts[k].id = k;
        if (pthread_create(&tid[k], NULL, tp_main, &ts[k])) {
            fprintf(stderr, "bench-fts5: cannot start thread %d\n", k);
            return 1;
        }
    }
    pthread_barrier_wait(&sh.warm);
    long long t0 = now_ns();
    pthread_barrier_wait(&sh.start);
    for (int k = 0; k < threads; k++) pthread_join(tid[k], NULL);
    double secs = (double)(now_ns() - t0) / 1e9;
    long long runs = 0, errors = 0;
    size_t sink = 0;
    int failed = 0;
    for (int k = 0; k < threads; k++) {
        runs += ts[k].runs;
        errors += ts[k].errors;
        sink += ts[k].sink;
        failed |= ts[k].failed;
    }
    char tok[64];
    table_tokenizer(dbfile, tok, sizeof tok);
    if (!failed)
        printf("{\"engine\":\"fts5-%s\",\"threads\":%d,\"queries\":%lld,\"seconds\":%.6f,"
               "\"qps\":%.3f,\"errors\":%lld}\n",
               tok, threads, runs, secs, secs > 0 ? (double)runs / secs : 0.0, errors);
    if (sink == (size_t)-1) fputc(' ', stderr);   /* keep the work observable */
    pthread_barrier_destroy(&sh.warm);
    pthread_barrier_destroy(&sh.start);
    free(ts);
    free(tid);
    return failed;
}

static int do_query(int argc, char **argv)
{
    long limit = 10;
    int warmup = 0, passes = 1, threads = 0, i = 0;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = atol(argv[++i]);
        else if (!strcmp(argv[i], "--warmup")) warmup = 1;
        else if (!strcmp(argv[i], "--passes") && i + 1 < argc) passes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--throughput") && i + 1 < argc) threads = atoi(argv[++i]);
        else break;
    }
    if (passes < 1) passes = 1;
    if (argc - i != 2 || threads < 0) {
        fprintf(stderr, "usage: bench-fts5 query [--limit N] [--warmup] [--passes N] DBFILE QUERIES\n"
                        "       bench-fts5 query --throughput T [--passes N] [--limit N] DBFILE QUERIES\n");
        return 2;
    }
    FILE *qf = fopen(argv[i + 1], "rb");
    if (!qf) { perror(argv[i + 1]); return 1; }
    char **queries = NULL;
    size_t nq = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;
    while ((got = getline(&line, &lcap, qf)) >= 0) {
        if (got > 0 && line[got - 1] == '\n') line[got - 1] = 0;
        if (nq == cap) {
            cap = cap ? cap * 2 : 512;
            queries = realloc(queries, cap * sizeof *queries);
            if (!queries) return 1;
        }
        queries[nq++] = to_match(line);
    }
    free(line);
    fclose(qf);
    if (threads > 0) {
        int rc = run_throughput(argv[i], queries, nq, limit, threads, passes);
        for (size_t q = 0; q < nq; q++) free(queries[q]);
        free(queries);
        return rc;
    }

    sqlite3 *db;
    if (sqlite3_open_v2(argv[i], &db, SQLITE_OPEN_READONLY, 0) != SQLITE_OK)
        return die_db(db, argv[i]);
    sqlite3_stmt *st;
    const char *sql = limit > 0 ? SQL_TOP : SQL_ALL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, 0) != SQLITE_OK) return die_db(db, "prepare");
    size_t idcap = 1 << 16;
    char *ids = malloc(idcap);
    long long *times = malloc((nq ? nq : 1) * (size_t)passes * sizeof *times);
    if (!times) return 1;
    for (int pass = warmup ? -1 : 0; pass < passes; pass++) {
        for (size_t q = 0; q < nq; q++) {
            long long t0 = now_ns();
            long matches = 0;
            size_t idlen = 0, snip = 0;
            ids[0] = 0;
            sqlite3_bind_text(st, 1, queries[q], -1, SQLITE_STATIC);
            if (limit > 0) sqlite3_bind_int64(st, 2, limit);
            int rc;
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (idlen + 24 > idcap) {
                    idcap *= 2;
                    ids = realloc(ids, idcap);
                    if (!ids) return 1;
                }
                idlen += (size_t)sprintf(ids + idlen, "%s%lld", matches ? "," : "",
                                         (long long)sqlite3_column_int64(st, 0));
                if (limit > 0) snip += (size_t)sqlite3_column_bytes(st, 1);
                matches++;
            }
            if (rc != SQLITE_DONE) matches = -1;   /* malformed MATCH expression */
            sqlite3_reset(st);
            long long ns = now_ns() - t0;
            if (pass >= 0) times[q * passes + pass] = ns;
            if (pass == passes - 1) {
                qsort(times + q * passes, (size_t)passes, sizeof *times, cmp_ll);
                ns = times[q * passes + passes / 2];
            }
            if (pass == passes - 1)
                printf("%zu\t%lld\t%ld\t%s\n", q + 1, ns, matches, matches < 0 ? "" : ids);
            (void)snip;
        }
    }
    free(ids);
    free(times);
    sqlite3_finalize(st);
    sqlite3_close(db);
    for (size_t q = 0; q < nq; q++) free(queries[q]);
    free(queries);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "index")) return do_index(argv[2], argv[3], argv[4]);
    if (argc >= 2 && !strcmp(argv[1], "query")) return do_query(argc - 2, argv + 2);
    fprintf(stderr, "usage: bench-fts5 index trigram|unicode61 PASSAGES DBFILE\n"
                    "       bench-fts5 query [--limit N] [--warmup] [--passes N] DBFILE QUERIES\n"
                    "       bench-fts5 query --throughput T [--passes N] [--limit N] DBFILE QUERIES\n");
    return 2;
}
