/* bench/query/sou_query.c - runs a query file through libsou-search, one
 * thread, timing each query alone (parse + run + every result's snippet and
 * highlights), so process start and file reading are not measured.
 *
 * usage: bench-sou-query [--limit N] [--warmup] [--passes N] [--k1 X] [--b Y]
 *                        QUERIES INDEX [INDEX...]
 *        bench-sou-query --throughput T [--passes N] [--limit N] QUERIES INDEX...
 *   --limit N   top N with snippets (default 10); 0: every match, no
 *               snippets (the quality section's mode)
 *   --warmup    run the whole file once untimed first (hot caches, as for
 *               every engine in the bench)
 *   --passes N  each query's time is the median of N timed passes (the
 *               machine is shared; a median drops one-off stalls)
 *   --k1, --b   BM25 parameters (default: the library's defaults)
 *   INDEX...    opened together (a directory, stub file or tcp:HOST:PORT)
 *   --throughput T  T threads, each with its own sou_index (search.h: one
 *               handle per thread), each runs one untimed warm-up pass over
 *               the file on its handle, then (all together, after a barrier)
 *               the whole file N times (--passes, default 1), thread i
 *               starting at query i*len/T; top --limit with snippets as
 *               below. Wall time from the barrier to the last thread's end.
 *               Output: one JSON line {"engine":"sou","threads":T,
 *               "queries":Q,"seconds":W,"qps":X,"errors":E}.
 *
 * Output, one line per query:
 *   qid \t nanoseconds \t matches \t score/ordinal:source \t ...
 * (matches: the library's estimate; exact with --limit 0; -1 on an error,
 * which is also printed to stderr).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sou/search.h"

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef struct outbuf { char *p; size_t len, cap; } outbuf;

static void out_put(outbuf *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 1 << 20;
        while (o->len + n + 1 > cap) cap *= 2;
        char *np = realloc(o->p, cap);
        if (!np) {
            fprintf(stderr, "bench-sou-query: out of memory\n");
            exit(1);
        }
        o->p = np;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

/* ---- --throughput: T threads, one sou_index each ----------------------- */

typedef struct tp_shared {
    char **qs;
    size_t *qlen, nq;
    const char *const *paths;
    size_t npaths;
    const sou_search_options *so;
    int threads, passes;
    pthread_barrier_t start, done_warm;
} tp_shared;

typedef struct tp_thread {
    tp_shared *sh;
    int id;
    sou_index *ix;
    long long errors, runs;
    size_t sink;
    int failed;
} tp_thread;

static long long tp_one(tp_thread *t, size_t q)
{
    tp_shared *sh = t->sh;
    sou_error err = {0};
    sou_search_query *sq = NULL;
    sou_results *res = NULL;
    int rc = sou_search_query_parse(t->ix, sh->qs[q], sh->qlen[q], 0, &sq, &err);
    if (!rc) rc = sou_search_run(t->ix, sq, sh->so, &res, &err);
    if (!rc) {
        size_t n = sou_results_size(res);
        for (size_t k = 0; k < n; k++) {
            const sou_result *r = sou_results_get(res, k);
            t->sink += r->snippet_len + r->n_highlights;
        }
    }
    sou_results_free(res);
    sou_search_query_free(sq);
    return rc != 0;
}

static void *tp_main(void *arg)
{
    tp_thread *t = arg;
    tp_shared *sh = t->sh;
    for (size_t q = 0; q < sh->nq; q++) tp_one(t, q);   /* warm-up, untimed */
    pthread_barrier_wait(&sh->done_warm);
    pthread_barrier_wait(&sh->start);
    size_t first = sh->nq ? (size_t)t->id * sh->nq / (size_t)sh->threads : 0;
    for (int pass = 0; pass < sh->passes; pass++)
        for (size_t k = 0; k < sh->nq; k++) {
            t->errors += tp_one(t, (first + k) % sh->nq);
            t->runs++;
        }
    return NULL;
}

static int run_throughput(int threads, int passes, char **qs, size_t *qlen, size_t nq,
                          const char *const *paths, size_t npaths,
                          const sou_search_options *so)
{
    tp_shared sh = {.qs = qs, .qlen = qlen, .nq = nq, .paths = paths, .npaths = npaths,
                    .so = so, .threads = threads, .passes = passes};
    tp_thread *ts = calloc((size_t)threads, sizeof *ts);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!ts || !tid) return 1;
    for (int k = 0; k < threads; k++) {
        sou_error err = {0};
        ts[k].sh = &sh;
        ts[k].id = k;
        int rc = sou_index_open(paths, npaths, NULL, &ts[k].ix, &err);
        if (rc) {
            fprintf(stderr, "bench-sou-query: %s: %s\n", sou_strerror(rc), err.msg);
            return 1;
        }
    }
    pthread_barrier_init(&sh.done_warm, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&sh.start, NULL, (unsigned)threads + 1);
    for (int k = 0; k < threads; k++)
        if (pthread_create(&tid[k], NULL, tp_main, &ts[k])) {
            fprintf(stderr, "bench-sou-query: cannot start thread %d\n", k);
            return 1;
        }
    pthread_barrier_wait(&sh.done_warm);   /* every handle warmed */
    long long t0 = now_ns();
    pthread_barrier_wait(&sh.start);
    for (int k = 0; k < threads; k++) pthread_join(tid[k], NULL);
    double secs = (double)(now_ns() - t0) / 1e9;
    long long runs = 0, errors = 0;
    size_t sink = 0;
    for (int k = 0; k < threads; k++) {
        runs += ts[k].runs;
        errors += ts[k].errors;
        sink += ts[k].sink;
        sou_index_close(ts[k].ix);
    }
    printf("{\"engine\":\"sou\",\"threads\":%d,\"queries\":%lld,\"seconds\":%.6f,"
           "\"qps\":%.3f,\"errors\":%lld}\n",
           threads, runs, secs, secs > 0 ? (double)runs / secs : 0.0, errors);
    if (sink == (size_t)-1) fputc(' ', stderr);   /* keep snippet reads observable */
    pthread_barrier_destroy(&sh.done_warm);
    pthread_barrier_destroy(&sh.start);
    free(ts);
    free(tid);
    return 0;
}

int main(int argc, char **argv)
{
    sou_search_options so;
    sou_search_options_default(&so);
    int warmup = 0, passes = 1, threads = 0, i = 1;
    long limit = 10;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = atol(argv[++i]);
        else if (!strcmp(argv[i], "--k1") && i + 1 < argc) so.k1 = atof(argv[++i]);
        else if (!strcmp(argv[i], "--b") && i + 1 < argc) so.b = atof(argv[++i]);
        else if (!strcmp(argv[i], "--warmup")) warmup = 1;
        else if (!strcmp(argv[i], "--passes") && i + 1 < argc) passes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--throughput") && i + 1 < argc) threads = atoi(argv[++i]);
        else break;
    }
    if (argc - i < 2 || threads < 0) {
        fprintf(stderr, "usage: bench-sou-query [--limit N] [--warmup] [--passes N] [--k1 X] [--b Y] "
                        "QUERIES INDEX [INDEX...]\n"
                        "       bench-sou-query --throughput T [--passes N] [--limit N] "
                        "QUERIES INDEX [INDEX...]\n");
        return 2;
    }
    if (passes < 1) passes = 1;
    so.limit = (uint64_t)limit;
    if (limit == 0) so.snippet_chars = 0;

    FILE *qf = fopen(argv[i], "rb");
    if (!qf) { perror(argv[i]); return 1; }
    char **qs = NULL;
    size_t *qlen = NULL, nq = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;
    while ((got = getline(&line, &lcap, qf)) >= 0) {
        if (got > 0 && line[got - 1] == '\n') got--;
        if (nq == cap) {
            cap = cap ? cap * 2 : 512;
            qs = realloc(qs, cap * sizeof *qs);
            qlen = realloc(qlen, cap * sizeof *qlen);
            if (!qs || !qlen) return 1;
        }
        qs[nq] = malloc((size_t)got + 1);
        if (!qs[nq]) return 1;
        memcpy(qs[nq], line, (size_t)got);
        qlen[nq++] = (size_t)got;
    }
    free(line);
    fclose(qf);

    if (threads > 0) {
        int trc = run_throughput(threads, passes, qs, qlen, nq,
                                 (const char *const *)(argv + i + 1), (size_t)(argc - i - 1), &so);
        for (size_t q = 0; q < nq; q++) free(qs[q]);
        free(qs);
        free(qlen);
        return trc;
    }

    sou_error err = {0};
    sou_index *ix = NULL;
    int rc = sou_index_open((const char *const *)(argv + i + 1), (size_t)(argc - i - 1), NULL,
                            &ix, &err);
    if (rc) {
        fprintf(stderr, "bench-sou-query: %s: %s\n", sou_strerror(rc), err.msg);
        return 1;
    }
    outbuf out = {0};
    size_t sink = 0;
    long long *times = malloc((nq ? nq : 1) * (size_t)passes * sizeof *times);
    if (!times) return 1;
    for (int pass = warmup ? -1 : 0; pass < passes; pass++) {
        for (size_t q = 0; q < nq; q++) {
            long long t0 = now_ns();
            sou_search_query *sq = NULL;
            sou_results *res = NULL;
            long long matches = -1;
            rc = sou_search_query_parse(ix, qs[q], qlen[q], 0, &sq, &err);
            if (!rc) rc = sou_search_run(ix, sq, &so, &res, &err);
            size_t n = 0;
            if (!rc) {
                n = sou_results_size(res);
                matches = (long long)sou_results_matches_estimated(res);
                for (size_t k = 0; k < n; k++) {
                    const sou_result *r = sou_results_get(res, k);
                    sink += r->snippet_len + r->n_highlights;
                }
            }
            long long ns = now_ns() - t0;
            if (pass >= 0) times[q * passes + pass] = ns;
            if (pass == passes - 1) {
                qsort(times + q * passes, (size_t)passes, sizeof *times, cmp_ll);
                ns = times[q * passes + passes / 2];
            }
            if (rc && pass == passes - 1)
                fprintf(stderr, "bench-sou-query: query %zu: %s: %s\n", q + 1, sou_strerror(rc),
                        err.msg);
            if (pass == passes - 1) {
                char head[96];
                int hl = snprintf(head, sizeof head, "%zu\t%lld\t%lld", q + 1, ns, matches);
                out_put(&out, head, (size_t)hl);
                for (size_t k = 0; k < n; k++) {
                    const sou_result *r = sou_results_get(res, k);
                    hl = snprintf(head, sizeof head, "\t%.9g/%llu:", r->score,
                                  (unsigned long long)r->ordinal);
                    out_put(&out, head, (size_t)hl);
                    out_put(&out, r->source, r->source_len);
                }
                out_put(&out, "\n", 1);
            }
            sou_results_free(res);
            sou_search_query_free(sq);
        }
    }
    fwrite(out.p, 1, out.len, stdout);
    if (sink == (size_t)-1) fputc(' ', stderr);   /* keep snippet reads observable */
    free(out.p);
    free(times);
    sou_index_close(ix);
    for (size_t q = 0; q < nq; q++) free(qs[q]);
    free(qs);
    free(qlen);
    return 0;
}
