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
 *
 * Query text -> MATCH: whitespace separates tokens, "..." keeps a phrase;
 * every token or phrase becomes an FTS5 string ("tok", quotes doubled), so
 * punctuation in a token is data, not syntax, and strings are ANDed.
 * Upper-case OR/AND/NOT pass through as operators. With the trigram
 * tokenizer a string shorter than 3 characters matches nothing (FTS5's
 * documented behaviour); we do not rewrite such queries into LIKE scans.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "passfile.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

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
    while (*s) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        const char *b, *e;
        if (*s == '"') {
            b = ++s;
            while (*s && *s != '"') s++;
            e = s;
            if (*s) s++;
        } else {
            b = s;
            while (*s && *s != ' ' && *s != '\t') s++;
            e = s;
        }
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

static int do_query(int argc, char **argv)
{
    long limit = 10;
    int warmup = 0, passes = 1, i = 0;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = atol(argv[++i]);
        else if (!strcmp(argv[i], "--warmup")) warmup = 1;
        else if (!strcmp(argv[i], "--passes") && i + 1 < argc) passes = atoi(argv[++i]);
        else break;
    }
    if (passes < 1) passes = 1;
    if (argc - i != 2) {
        fprintf(stderr, "usage: bench-fts5 query [--limit N] [--warmup] [--passes N] DBFILE QUERIES\n");
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

    sqlite3 *db;
    if (sqlite3_open_v2(argv[i], &db, SQLITE_OPEN_READONLY, 0) != SQLITE_OK)
        return die_db(db, argv[i]);
    sqlite3_stmt *st;
    const char *sql = limit > 0
        ? "SELECT rowid, snippet(passages, 1, '<b>', '</b>', '…', 24) FROM passages "
          "WHERE passages MATCH ?1 ORDER BY rank LIMIT ?2"
        : "SELECT rowid FROM passages WHERE passages MATCH ?1";
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
                    "       bench-fts5 query [--limit N] [--warmup] DBFILE QUERIES\n");
    return 2;
}
