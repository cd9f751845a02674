/* bench_analyzer.c - analyzer throughput, single thread, all in one run:
 *   sou          sou's full analyzer (fast path, the default)
 *   sou-icu      sou with ICU word break over every block (the reference
 *                path the fast path is tested against)
 *   icu-wb       ICU word break alone: utext_openUTF8 + one reused
 *                iterator, counting boundaries (the floor of any ICU analyzer)
 *   xapian-tg    stock Xapian TermGenerator, FLAG_CJK_NGRAM + english stems
 * Usage: bench-analyzer [--repeat N] [--json] FILE...
 * A .jsonl file gives one text per record ("text"); any other file one text
 * per paragraph (blank-line separated). Each figure is the best of N runs
 * (default 3) in thread CPU time (the machine is shared, wall time is
 * noise); MB are 10^6 bytes of input text. A hash of sou's terms is
 * printed so a speed run also checks answers. */
#include "analyzer_internal.h"
#include "testutil.h"
#include "xapian_termgen.h"

#include <time.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>

typedef struct corpus {
    char **t;
    size_t *len, n, cap, bytes;
} corpus;

static void add_text(void *ctx, const char *s, size_t n)
{
    corpus *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->t = realloc(c->t, c->cap * sizeof *c->t);
        c->len = realloc(c->len, c->cap * sizeof *c->len);
        if (!c->t || !c->len) abort();
    }
    c->t[c->n] = malloc(n ? n : 1);
    memcpy(c->t[c->n], s, n);
    c->len[c->n++] = n;
    c->bytes += n;
}

/* text files: split into paragraphs */
static void add_paragraphs(corpus *c, const char *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && !(b[j] == '\n' && j + 1 < n && b[j + 1] == '\n')) j++;
        if (j > i) add_text(c, b + i, j - i);
        i = j + 2;
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct count {
    uint64_t terms, hash;
} count;

static int count_term(void *ctx, const sou_term *t)
{
    count *c = ctx;
    c->terms++;
    uint64_t h = c->hash;
    for (size_t i = 0; i < t->len; i++) h = (h ^ (unsigned char)t->term[i]) * 1099511628211ull;
    c->hash = (h ^ t->pos ^ ((uint64_t)t->kind << 32)) * 1099511628211ull;
    return 0;
}

static double run_sou(const corpus *c, int pure, count *out)
{
    sou_analyzer *a;
    if (sou_analyzer_new(NULL, &a)) abort();
    sou_analyzer_set_pure_icu(a, pure);
    count k = {0, 1469598103934665603ull};
    double t0 = now();
    for (size_t i = 0; i < c->n; i++)
        if (sou_analyzer_run(a, c->t[i], c->len[i], count_term, &k)) abort();
    double t = now() - t0;
    sou_analyzer_free(a);
    *out = k;
    return t;
}

static double run_icu(const corpus *c, uint64_t *boundaries)
{
    UErrorCode st = U_ZERO_ERROR;
    UBreakIterator *bi = ubrk_open(UBRK_WORD, "root", NULL, 0, &st);
    UText *ut = NULL;
    uint64_t nb = 0;
    double t0 = now();
    for (size_t i = 0; i < c->n; i++) {
        ut = utext_openUTF8(ut, c->t[i], (int64_t)c->len[i], &st);
        ubrk_setUText(bi, ut, &st);
        if (U_FAILURE(st)) abort();
        for (int32_t b = ubrk_first(bi); b != UBRK_DONE; b = ubrk_next(bi)) nb++;
    }
    double t = now() - t0;
    utext_close(ut);
    ubrk_close(bi);
    *boundaries = nb;
    return t;
}

static double run_xapian(const corpus *c, uint64_t *terms)
{
    double t0 = now();
    if (peer_xapian_termgen((const char *const *)c->t, c->len, c->n, terms)) abort();
    return now() - t0;
}

int main(int argc, char **argv)
{
    int repeat = 3, json = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: bench-analyzer [--repeat N] [--json] FILE...\n");
            return 2;
        }
    }
    if (i == argc || repeat < 1) {
        fprintf(stderr, "usage: bench-analyzer [--repeat N] [--json] FILE...\n");
        return 2;
    }
    corpus c = {0};
    for (; i < argc; i++) {
        size_t pl = strlen(argv[i]);
        if (pl > 6 && strcmp(argv[i] + pl - 6, ".jsonl") == 0) {
            for_each_text(argv[i], add_text, &c);
        } else {
            size_t n;
            char *b = tl_read_file(argv[i], &n);
            if (!b) {
                fprintf(stderr, "bench-analyzer: cannot read %s\n", argv[i]);
                return 1;
            }
            add_paragraphs(&c, b, n);
            free(b);
        }
    }
    if (tl_failures) return 1;
    double best[4] = {1e30, 1e30, 1e30, 1e30};
    count ks, ki;
    uint64_t nb = 0, nx = 0;
    /* BENCH_ONLY=sou|sou-icu|icu-wb|xapian-tg runs one (for profiling) */
    const char *only = getenv("BENCH_ONLY");
    memset(&ks, 0, sizeof ks);
    ki = ks;
    for (int r = 0; r < repeat; r++) {
        double t;
        if ((!only || !strcmp(only, "sou")) && (t = run_sou(&c, 0, &ks)) < best[0]) best[0] = t;
        if ((!only || !strcmp(only, "sou-icu")) && (t = run_sou(&c, 1, &ki)) < best[1])
            best[1] = t;
        if ((!only || !strcmp(only, "icu-wb")) && (t = run_icu(&c, &nb)) < best[2]) best[2] = t;
        if ((!only || !strcmp(only, "xapian-tg")) && (t = run_xapian(&c, &nx)) < best[3])
            best[3] = t;
    }
    double mb = (double)c.bytes / 1e6, mbs[4];
    for (int k = 0; k < 4; k++) mbs[k] = mb / best[k];
    if (!only && ks.hash != ki.hash) fprintf(stderr, "warning: fast path and ICU path terms differ\n");
    if (json) {
        printf("{\"texts\":%zu,\"bytes\":%zu,\"repeat\":%d,"
               "\"sou_mbs\":%.2f,\"sou_icu_path_mbs\":%.2f,\"icu_wordbreak_mbs\":%.2f,"
               "\"xapian_termgen_mbs\":%.2f,\"sou_vs_icu\":%.3f,\"sou_vs_xapian\":%.3f,"
               "\"sou_terms\":%llu,\"sou_terms_hash\":\"%016llx\",\"icu_boundaries\":%llu,"
               "\"xapian_terms\":%llu}\n",
               c.n, c.bytes, repeat, mbs[0], mbs[1], mbs[2], mbs[3], mbs[0] / mbs[2],
               mbs[0] / mbs[3], (unsigned long long)ks.terms, (unsigned long long)ks.hash,
               (unsigned long long)nb, (unsigned long long)nx);
    } else {
        printf("%zu texts, %.2f MB, best of %d, single thread\n", c.n, mb, repeat);
        printf("  sou analyzer (fast path)   %8.2f MB/s  %llu terms, hash %016llx\n", mbs[0],
               (unsigned long long)ks.terms, (unsigned long long)ks.hash);
        printf("  sou analyzer (ICU path)    %8.2f MB/s\n", mbs[1]);
        printf("  ICU word break alone       %8.2f MB/s  %llu boundaries\n", mbs[2],
               (unsigned long long)nb);
        printf("  Xapian TermGenerator CJK   %8.2f MB/s  %llu terms\n", mbs[3],
               (unsigned long long)nx);
        printf("  sou / ICU word break       %8.2fx\n", mbs[0] / mbs[2]);
        printf("  sou / Xapian TermGenerator %8.2fx\n", mbs[0] / mbs[3]);
    }
    for (size_t k = 0; k < c.n; k++) free(c.t[k]);
    free(c.t);
    free(c.len);
    return 0;
}
