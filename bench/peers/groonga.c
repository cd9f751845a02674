/* bench/peers/groonga.c - the Groonga peer (not part of sou), Groonga 13.0
 * through its C API (libgroonga), one process, no server.
 *
 *   bench-groonga index PASSAGES DBDIR
 *       creates DBDIR/db (an old one is removed) with the schema below,
 *       loads every passage, then creates the index column: on a table that
 *       already holds records Groonga builds it offline (static index
 *       construction, its documented fast path for bulk loads), then
 *       flushes the database to disk. The same schema in Groonga commands:
 *         table_create Passages TABLE_HASH_KEY UInt32     (key = passage id)
 *         column_create Passages title COLUMN_SCALAR Text (stored, not searched)
 *         column_create Passages text COLUMN_SCALAR LongText
 *         table_create Terms TABLE_PAT_KEY ShortText \
 *           --default_tokenizer TokenBigram --normalizer NormalizerNFKC150
 *         load --table Passages ...
 *         column_create Terms passages_text COLUMN_INDEX|WITH_POSITION Passages text
 *         io_flush
 *       A hash key rather than TABLE_NO_KEY: a hit reports its key, so ids
 *       never depend on load order (a repeated id is an error). LongText
 *       puts no 64 KiB cap on a passage; values are stored alike either way.
 *       Prints one JSON line: passages, bytes (title + text), seconds (total,
 *       one thread), load_seconds (create + load), index_seconds (index
 *       build + flush).
 *   bench-groonga query [--limit N] [--warmup] [--passes N] DBDIR QUERIES
 *       one query per line; each query is what
 *         select Passages --match_columns 'scorer_tf_idf(text)' --query Q
 *           --sort_keys -_score --limit N --output_columns '_key,snippet_html(text)'
 *       does, through the C API (grn_expr_parse with the query syntax, no
 *       pragma or column syntax, grn_table_select, grn_table_sort on _score descending), so the
 *       select command's query cache is never involved. Scoring is
 *       scorer_tf_idf (Groonga 13.0 has no BM25). Each returned hit gets
 *       snippets as snippet_html() makes them: grn_snip with the keywords of
 *       the parsed query, width 200 bytes, at most 3 snippets, leading spaces
 *       skipped, HTML escaping, <span class="keyword">...</span>, normalized
 *       with NormalizerAuto (snippet_html's choice, not the lexicon's). Each
 *       query is timed alone, parse to last snippet and cleanup. --limit 0:
 *       every match in score order, ids only (quality mode). --warmup: one
 *       untimed pass first; --passes N: each query's time is the median of N
 *       timed passes.
 *       Output: qid \t nanoseconds \t matches \t id,id,... (matches is the
 *       exact number of matching records; -1 with no ids when Groonga
 *       rejects the query or it has no words).
 *   bench-groonga query --throughput T [--passes N] [--limit N] DBDIR QUERIES
 *       one untimed warm-up pass (always; --warmup changes nothing), then T
 *       threads, each with its own grn_ctx on the same database (grn_ctx_use
 *       of the one grn_db, as Groonga's server does), each running every
 *       query N times (default 1) from query offset i*len/T on, top --limit
 *       (default 10) with snippets; wall time from the first thread's start
 *       to the last one's end. Output: one JSON line {"engine":"groonga",
 *       "threads":T,"queries":Q,"seconds":W,"qps":X,"errors":E} (E: rejected
 *       queries among the Q).
 *
 * Query text -> Groonga query syntax: whitespace separates words, "..."
 * keeps a phrase; every word or phrase becomes a quoted Groonga phrase
 * ("word", with \ before " and \), so punctuation in a word is data, not
 * syntax, and phrases are ANDed (the query syntax's default). Upper-case OR
 * passes through as OR; upper-case AND and NOT become Groonga's + and -
 * prefixes on the next word. Groonga rejects a leading OR or NOT, matches
 * nothing for a trailing OR, and reads a lone OR as the word "or".
 *
 * What Groonga makes of the text: NormalizerNFKC150 folds case and
 * full-width forms (no Traditional -> Simplified folding, no stemming);
 * TokenBigram cuts Han and kana runs into overlapping bigrams, so a quoted
 * Han string of 2+ characters is a phrase of bigrams (exact substring) and
 * one character is a prefix search of the lexicon; a run of Latin letters or
 * digits is one token (a whole-word match). Ties in _score keep
 * grn_table_sort's order, which is the same on every run over one index.
 */
#include <groonga.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "passfile.h"
#include "query_parts.h"

#define TABLE "Passages"
#define LEXICON "Terms"

static const char open_tag[] = "<span class=\"keyword\">";
static const char close_tag[] = "</span>";

static int die_grn(grn_ctx *ctx, const char *what)
{
    fprintf(stderr, "bench-groonga: %s: %s\n", what,
            ctx->rc != GRN_SUCCESS && ctx->errbuf[0] ? ctx->errbuf : "failed");
    return 1;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fputs("bench-groonga: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

/* DBDIR/db and every DBDIR/db.* file Groonga made beside it. */
static int remove_db(const char *dbdir)
{
    if (mkdir(dbdir, 0777) != 0 && errno != EEXIST) { perror(dbdir); return -1; }
    DIR *d = opendir(dbdir);
    if (!d) { perror(dbdir); return -1; }
    struct dirent *e;
    char path[4096];
    int rc = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, "db") && strncmp(e->d_name, "db.", 3)) continue;
        snprintf(path, sizeof path, "%s/%s", dbdir, e->d_name);
        if (unlink(path) != 0) { perror(path); rc = -1; }
    }
    closedir(d);
    return rc;
}

static grn_obj *create_column(grn_ctx *ctx, grn_obj *table, const char *name,
                              grn_obj_flags flags, grn_obj *type)
{
    return grn_column_create(ctx, table, name, (unsigned int)strlen(name), NULL,
                             GRN_OBJ_PERSISTENT | flags, type);
}

static int do_index(grn_ctx *ctx, const char *path, const char *dbdir)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    if (remove_db(dbdir) != 0) { fclose(f); return 1; }
    char dbpath[4096];
    snprintf(dbpath, sizeof dbpath, "%s/db", dbdir);

    double t0 = now_s();
    grn_obj *db = grn_db_create(ctx, dbpath, NULL);
    if (!db) { fclose(f); return die_grn(ctx, dbpath); }
    grn_obj *table = grn_table_create(ctx, TABLE, strlen(TABLE), NULL,
                                      GRN_OBJ_TABLE_HASH_KEY | GRN_OBJ_PERSISTENT,
                                      grn_ctx_at(ctx, GRN_DB_UINT32), NULL);
    grn_obj *title = table ? create_column(ctx, table, "title", GRN_OBJ_COLUMN_SCALAR,
                                           grn_ctx_at(ctx, GRN_DB_TEXT)) : NULL;
    grn_obj *text = title ? create_column(ctx, table, "text", GRN_OBJ_COLUMN_SCALAR,
                                          grn_ctx_at(ctx, GRN_DB_LONG_TEXT)) : NULL;
    grn_obj *lexicon = text ? grn_table_create(ctx, LEXICON, strlen(LEXICON), NULL,
                                               GRN_OBJ_TABLE_PAT_KEY | GRN_OBJ_PERSISTENT,
                                               grn_ctx_at(ctx, GRN_DB_SHORT_TEXT), NULL)
                            : NULL;
    if (!lexicon
        || grn_obj_set_info(ctx, lexicon, GRN_INFO_DEFAULT_TOKENIZER,
                            grn_ctx_get(ctx, "TokenBigram", -1)) != GRN_SUCCESS
        || grn_obj_set_info(ctx, lexicon, GRN_INFO_NORMALIZER,
                            grn_ctx_get(ctx, "NormalizerNFKC150", -1)) != GRN_SUCCESS) {
        fclose(f);
        return die_grn(ctx, "schema");
    }

    bench_passage p = {0};
    unsigned long n = 0;
    unsigned long long bytes = 0;
    grn_obj value;
    GRN_TEXT_INIT(&value, 0);
    int rc, failed = 0;
    while (!failed && (rc = bench_passage_read(f, &p)) == 1) {
        if (p.id == 0 || p.id > UINT32_MAX) {
            fprintf(stderr, "bench-groonga: passage id %lu out of range\n", p.id);
            failed = 1;
            break;
        }
        uint32_t key = (uint32_t)p.id;
        int added = 0;
        grn_id id = grn_table_add(ctx, table, &key, sizeof key, &added);
        if (id == GRN_ID_NIL) { failed = die_grn(ctx, "add passage"); break; }
        if (!added) {
            fprintf(stderr, "bench-groonga: duplicate passage id %lu\n", p.id);
            failed = 1;
            break;
        }
        GRN_TEXT_SET(ctx, &value, p.title, p.title_len);
        if (grn_obj_set_value(ctx, title, id, &value, GRN_OBJ_SET) != GRN_SUCCESS) {
            failed = die_grn(ctx, "set title");
            break;
        }
        GRN_TEXT_SET(ctx, &value, p.text, p.text_len);
        if (grn_obj_set_value(ctx, text, id, &value, GRN_OBJ_SET) != GRN_SUCCESS) {
            failed = die_grn(ctx, "set text");
            break;
        }
        n++;
        bytes += p.title_len + p.text_len;
    }
    GRN_OBJ_FIN(ctx, &value);
    bench_passage_free(&p);
    fclose(f);
    if (!failed && rc < 0) {
        fprintf(stderr, "bench-groonga: malformed passage file %s\n", path);
        failed = 1;
    }
    if (failed) { grn_obj_close(ctx, db); return 1; }
    double t1 = now_s();

    /* Offline build: the index column gets its source after the load. */
    grn_obj *index = create_column(ctx, lexicon, "passages_text",
                                   GRN_OBJ_COLUMN_INDEX | GRN_OBJ_WITH_POSITION, table);
    if (!index) { rc = die_grn(ctx, "create index column"); grn_obj_close(ctx, db); return rc; }
    grn_obj source;
    GRN_UINT32_INIT(&source, 0);
    GRN_UINT32_PUT(ctx, &source, grn_obj_id(ctx, text));
    grn_rc grc = grn_obj_set_info(ctx, index, GRN_INFO_SOURCE, &source);
    GRN_OBJ_FIN(ctx, &source);
    if (grc != GRN_SUCCESS || grn_obj_flush_recursive(ctx, db) != GRN_SUCCESS) {
        rc = die_grn(ctx, "build index");
        grn_obj_close(ctx, db);
        return rc;
    }
    grn_obj_close(ctx, db);
    double t2 = now_s();
    printf("{\"engine\":\"groonga\",\"passages\":%lu,\"bytes\":%llu,\"seconds\":%.3f,"
           "\"load_seconds\":%.3f,\"index_seconds\":%.3f}\n",
           n, bytes, t2 - t0, t1 - t0, t2 - t1);
    return 0;
}

/* Map query text to Groonga's query syntax (see the file comment). An
 * empty result means the query has no words. */
static char *to_query(const char *q)
{
    char *out = xrealloc(NULL, strlen(q) * 2 + 16), *o = out;
    const char *s = q;
    char prefix = 0;
    const char *b, *e;
    while (query_next_part(&s, &b, &e)) {
        if (e == b) continue;
        size_t n = (size_t)(e - b);
        if (n == 2 && !memcmp(b, "OR", 2)) {
            memcpy(o, " OR", 3);
            o += 3;
            continue;
        }
        if (n == 3 && (!memcmp(b, "AND", 3) || !memcmp(b, "NOT", 3))) {
            prefix = *b == 'A' ? '+' : '-';
            continue;
        }
        if (o != out) *o++ = ' ';
        if (prefix) *o++ = prefix;
        prefix = 0;
        *o++ = '"';
        for (const char *c = b; c < e; c++) {
            if (*c == '"' || *c == '\\') *o++ = '\\';
            *o++ = *c;
        }
        *o++ = '"';
    }
    *o = 0;
    return out;
}

/* One grn_ctx on the open database and what its queries reuse. */
typedef struct searcher {
    grn_ctx ctx;
    grn_obj *table, *text, *match_columns;
    grn_obj value;               /* a hit's text */
    char *snip; size_t snip_cap; /* one snippet */
    uint32_t *ids; size_t ids_cap;
} searcher;

static int searcher_open(searcher *s, grn_obj *db)
{
    memset(s, 0, sizeof *s);
    grn_ctx *ctx = &s->ctx;
    if (grn_ctx_init(ctx, 0) != GRN_SUCCESS) { fputs("bench-groonga: grn_ctx_init failed\n", stderr); return -1; }
    if (grn_ctx_use(ctx, db) != GRN_SUCCESS) { die_grn(ctx, "grn_ctx_use"); grn_ctx_fin(ctx); return -1; }
    GRN_TEXT_INIT(&s->value, 0);
    s->table = grn_ctx_get(ctx, TABLE, -1);
    s->text = s->table ? grn_obj_column(ctx, s->table, "text", 4) : NULL;
    grn_obj *var;
    if (s->text) GRN_EXPR_CREATE_FOR_QUERY(ctx, s->table, s->match_columns, var);
    static const char mc[] = "scorer_tf_idf(text)";
    if (!s->match_columns
        || grn_expr_parse(ctx, s->match_columns, mc, sizeof mc - 1, NULL, GRN_OP_MATCH,
                          GRN_OP_AND, GRN_EXPR_SYNTAX_SCRIPT) != GRN_SUCCESS) {
        die_grn(ctx, "open " TABLE);
        if (s->match_columns) grn_obj_close(ctx, s->match_columns);
        GRN_OBJ_FIN(ctx, &s->value);
        grn_ctx_fin(ctx);
        return -1;
    }
    return 0;
}

static void searcher_close(searcher *s)
{
    grn_obj_close(&s->ctx, s->match_columns);
    GRN_OBJ_FIN(&s->ctx, &s->value);
    grn_ctx_fin(&s->ctx);
    free(s->snip);
    free(s->ids);
}

/* snippet_html() for one hit: its settings, grn_snip on the hit's text. */
static void snippets(searcher *s, grn_obj *snip, grn_id record)
{
    grn_ctx *ctx = &s->ctx;
    GRN_BULK_REWIND(&s->value);
    grn_obj_get_value(ctx, s->text, record, &s->value);
    unsigned int n, max_len;
    if (GRN_TEXT_LEN(&s->value) == 0
        || grn_snip_exec(ctx, snip, GRN_TEXT_VALUE(&s->value),
                         (unsigned int)GRN_TEXT_LEN(&s->value), &n, &max_len) != GRN_SUCCESS)
        return;
    if (max_len + 1 > s->snip_cap) {
        s->snip = xrealloc(s->snip, max_len + 1);
        s->snip_cap = max_len + 1;
    }
    for (unsigned int i = 0; i < n; i++) {
        unsigned int len;
        grn_snip_get_result(ctx, snip, i, s->snip, &len);
    }
}

/* Runs one mapped query; the passage ids of the hits land in s->ids (in
 * score order, at most limit, every match when limit is 0). Returns the
 * number of matching records, -1 when the query is rejected. */
static long run_query(searcher *s, const char *query, long limit, size_t *n_ids)
{
    grn_ctx *ctx = &s->ctx;
    *n_ids = 0;
    if (!*query) return -1;
    long matches = -1;
    grn_obj *cond, *var, *res = NULL, *sorted = NULL, *score = NULL, *snip = NULL;
    GRN_EXPR_CREATE_FOR_QUERY(ctx, s->table, cond, var);
    if (!cond) goto done;
    if (grn_expr_parse(ctx, cond, query, (unsigned int)strlen(query), s->match_columns,
                       GRN_OP_MATCH, GRN_OP_AND, GRN_EXPR_SYNTAX_QUERY) != GRN_SUCCESS)
        goto done;
    res = grn_table_select(ctx, s->table, cond, NULL, GRN_OP_OR);
    if (!res || ctx->rc != GRN_SUCCESS) goto done;
    unsigned int size = grn_table_size(ctx, res);
    int want = limit > 0 && (unsigned long)limit < size ? (int)limit : (int)size;
    if (want > 0) {
        sorted = grn_table_create(ctx, NULL, 0, NULL, GRN_OBJ_TABLE_NO_KEY, NULL, res);
        score = sorted ? grn_obj_column(ctx, res, GRN_COLUMN_NAME_SCORE,
                                        GRN_COLUMN_NAME_SCORE_LEN) : NULL;
        if (!score) goto done;
        grn_table_sort_key key = {score, GRN_TABLE_SORT_DESC, 0};
        if (grn_table_sort(ctx, res, 0, want, sorted, &key, 1) != want
            || ctx->rc != GRN_SUCCESS)
            goto done;
        if (limit > 0) {
            snip = grn_snip_open(ctx, GRN_SNIP_SKIP_LEADING_SPACES, 200, 3,
                                 open_tag, sizeof open_tag - 1, close_tag, sizeof close_tag - 1,
                                 GRN_SNIP_MAPPING_HTML_ESCAPE);
            if (snip) {
                grn_snip_set_normalizer(ctx, snip, GRN_NORMALIZER_AUTO);
                grn_expr_snip_add_conditions(ctx, cond, snip, 0, NULL, NULL, NULL, NULL);
            }
        }
        if ((size_t)want > s->ids_cap) {
            s->ids = xrealloc(s->ids, (size_t)want * sizeof *s->ids);
            s->ids_cap = (size_t)want;
        }
        GRN_TABLE_EACH_BEGIN(ctx, sorted, cursor, sid) {
            void *value;
            grn_id rid, record;
            uint32_t pid;
            grn_table_cursor_get_value(ctx, cursor, &value);
            rid = *(grn_id *)value;
            if (grn_table_get_key(ctx, res, rid, &record, sizeof record) != sizeof record
                || grn_table_get_key(ctx, s->table, record, &pid, sizeof pid) != sizeof pid)
                break;
            s->ids[(*n_ids)++] = pid;
            if (snip) snippets(s, snip, record);
        } GRN_TABLE_EACH_END(ctx, cursor);
    }
    matches = (long)size;
done:
    if (snip) grn_obj_close(ctx, snip);
    if (score) grn_obj_unlink(ctx, score);
    if (sorted) grn_obj_close(ctx, sorted);
    if (res) grn_obj_close(ctx, res);
    if (cond) grn_obj_close(ctx, cond);
    if (matches < 0) { *n_ids = 0; ctx->rc = GRN_SUCCESS; ctx->errbuf[0] = 0; }
    return matches;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Reads the query file, one mapped query per line. */
static char **read_queries(const char *path, size_t *nq)
{
    FILE *qf = fopen(path, "rb");
    if (!qf) { perror(path); return NULL; }
    char **queries = NULL, *line = NULL;
    size_t cap = 0, lcap = 0;
    ssize_t got;
    *nq = 0;
    while ((got = getline(&line, &lcap, qf)) >= 0) {
        if (got > 0 && line[got - 1] == '\n') line[got - 1] = 0;
        if (*nq == cap) {
            cap = cap ? cap * 2 : 512;
            queries = xrealloc(queries, cap * sizeof *queries);
        }
        queries[(*nq)++] = to_query(line);
    }
    int bad = ferror(qf);
    free(line);
    fclose(qf);
    if (bad) {
        fprintf(stderr, "bench-groonga: cannot read %s\n", path);
        for (size_t q = 0; q < *nq; q++) free(queries[q]);
        free(queries);
        return NULL;
    }
    return queries ? queries : xrealloc(NULL, sizeof *queries);   /* an empty file */
}

typedef struct worker {
    searcher s;
    char **queries;
    size_t nq, start;
    long limit;
    int passes;
    unsigned long long errors;   /* rejected queries */
} worker;

static void *worker_run(void *arg)
{
    worker *w = arg;
    size_t n_ids;
    for (int pass = 0; pass < w->passes; pass++)
        for (size_t k = 0; k < w->nq; k++)
            if (run_query(&w->s, w->queries[(w->start + k) % w->nq], w->limit, &n_ids) < 0)
                w->errors++;
    return NULL;
}

static int throughput(grn_obj *db, searcher *main_s, char **queries, size_t nq, long limit,
                      int threads, int passes)
{
    size_t n_ids;
    for (size_t q = 0; q < nq; q++)            /* the untimed warm-up pass */
        run_query(main_s, queries[q], limit, &n_ids);
    worker *w = xrealloc(NULL, (size_t)threads * sizeof *w);
    pthread_t *tid = xrealloc(NULL, (size_t)threads * sizeof *tid);
    int opened = 0, rc = 0;
    for (; opened < threads; opened++) {
        w[opened] = (worker){.queries = queries, .nq = nq, .limit = limit, .passes = passes,
                             .start = nq * (size_t)opened / (size_t)threads};
        if (searcher_open(&w[opened].s, db) != 0) { rc = 1; break; }
    }
    int started = 0;
    double t0 = now_s();
    if (!rc)
        for (; started < threads; started++)
            if ((errno = pthread_create(&tid[started], NULL, worker_run, &w[started]))) {
                perror("bench-groonga: pthread_create");
                rc = 1;
                break;
            }
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    double wall = now_s() - t0;
    unsigned long long errors = 0;
    for (int t = 0; t < opened; t++) {
        errors += w[t].errors;
        searcher_close(&w[t].s);
    }
    free(w);
    free(tid);
    if (rc) return rc;
    unsigned long long total = (unsigned long long)threads * (unsigned long long)passes * nq;
    printf("{\"engine\":\"groonga\",\"threads\":%d,\"queries\":%llu,\"seconds\":%.6f,"
           "\"qps\":%.3f,\"errors\":%llu}\n",
           threads, total, wall, wall > 0 ? (double)total / wall : 0.0, errors);
    return 0;
}

static int latency(searcher *s, char **queries, size_t nq, long limit, int warmup, int passes)
{
    long long *times = xrealloc(NULL, (nq ? nq : 1) * (size_t)passes * sizeof *times);
    size_t idcap = 1 << 16;
    char *ids = xrealloc(NULL, idcap);
    for (int pass = warmup ? -1 : 0; pass < passes; pass++) {
        for (size_t q = 0; q < nq; q++) {
            size_t n_ids;
            long long t0 = now_ns();
            long matches = run_query(s, queries[q], limit, &n_ids);
            long long ns = now_ns() - t0;
            if (pass < 0) continue;
            times[q * passes + pass] = ns;
            if (pass < passes - 1) continue;
            qsort(times + q * passes, (size_t)passes, sizeof *times, cmp_ll);
            ns = times[q * passes + passes / 2];
            if (n_ids * 12 + 1 > idcap) {
                idcap = n_ids * 12 + 1;
                ids = xrealloc(ids, idcap);
            }
            size_t len = 0;
            ids[0] = 0;
            for (size_t k = 0; k < n_ids; k++)
                len += (size_t)sprintf(ids + len, "%s%u", k ? "," : "", (unsigned)s->ids[k]);
            printf("%zu\t%lld\t%ld\t%s\n", q + 1, ns, matches, ids);
        }
    }
    free(times);
    free(ids);
    return 0;
}

static int usage(void)
{
    fputs("usage: bench-groonga index PASSAGES DBDIR\n"
          "       bench-groonga query [--limit N] [--warmup] [--passes N] DBDIR QUERIES\n"
          "       bench-groonga query --throughput T [--passes N] [--limit N] DBDIR QUERIES\n",
          stderr);
    return 2;
}

static int do_query(grn_ctx *ctx, int argc, char **argv)
{
    long limit = 10;
    int warmup = 0, passes = 1, threads = 0, i = 0;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = atol(argv[++i]);
        else if (!strcmp(argv[i], "--warmup")) warmup = 1;
        else if (!strcmp(argv[i], "--passes") && i + 1 < argc) passes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--throughput") && i + 1 < argc) {
            threads = atoi(argv[++i]);
            if (threads < 1) return usage();
        } else return usage();
    }
    if (passes < 1) passes = 1;
    if (argc - i != 2 || limit < 0) return usage();

    size_t nq;
    char **queries = read_queries(argv[i + 1], &nq);
    if (!queries) return 1;
    char dbpath[4096];
    snprintf(dbpath, sizeof dbpath, "%s/db", argv[i]);
    int rc = 1;
    grn_obj *db = grn_db_open(ctx, dbpath);
    if (!db) {
        die_grn(ctx, dbpath);
    } else {
        searcher s;
        if (searcher_open(&s, db) == 0) {
            rc = threads ? throughput(db, &s, queries, nq, limit, threads, passes)
                         : latency(&s, queries, nq, limit, warmup, passes);
            searcher_close(&s);
        }
        grn_obj_close(ctx, db);
    }
    for (size_t q = 0; q < nq; q++) free(queries[q]);
    free(queries);
    return rc;
}

int main(int argc, char **argv)
{
    int index = argc == 4 && !strcmp(argv[1], "index");
    if (!index && !(argc >= 2 && !strcmp(argv[1], "query"))) return usage();
    grn_default_logger_set_path(NULL);     /* errors come back in ctx->errbuf */
    if (grn_init() != GRN_SUCCESS) { fputs("bench-groonga: grn_init failed\n", stderr); return 1; }
    grn_ctx ctx;
    grn_ctx_init(&ctx, 0);
    int rc = index ? do_index(&ctx, argv[2], argv[3]) : do_query(&ctx, argc - 2, argv + 2);
    grn_ctx_fin(&ctx);
    grn_fin();
    return rc;
}
