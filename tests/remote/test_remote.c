/* test_remote.c - remote shards end to end: the real sou-index builds one
 * compacted index of corpus/sample and a 3-way --shard K/3 set; three real
 * xapian-tcpsrv processes on 127.0.0.1 serve the shards; the real sou-search
 * (--json -n 0, batch mode) must answer a fixed query set through a
 * "remote HOST:PORT" stub exactly as it answers on the compacted index:
 * same passages, scores (1e-6 relative, plus the 6 printed decimals), order
 * up to ties, snippets and highlights. Wildcard queries compare passage
 * sets only: Xapian 1.4 computes a wildcard's synonym statistics per
 * database, so its scores depend on the shard layout.
 *
 * Then one server is SIGKILLed (also under a running batch process):
 * default mode fails naming 127.0.0.1:PORT; --allow-partial answers from
 * the live shards, says which shard is missing (human and JSON output), and
 * its answers equal the compacted index's restricted to the live shards'
 * sources. A SIGSTOPped server must make sou-search fail within its
 * --timeout instead of hanging.
 *
 * usage: test_remote SOU-INDEX SOU-SEARCH CORPUS-DIR QUERIES COLLAPSE-QUERIES
 * Every server is killed (process group) and reaped on every exit path:
 * atexit, fatal signals, and PR_SET_PDEATHSIG if the test itself dies.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static const char *sou_index, *sou_search, *corpus, *queries_file, *collapse_file;
static char base[256];

/* Paths inside the scratch dir. Callers keep them for the whole test, so
 * every one is kept here and freed at exit (nothing for LSan to report). */
static char **base_paths;
static size_t nbase_paths;

static void free_base_paths(void)
{
    for (size_t i = 0; i < nbase_paths; i++) free(base_paths[i]);
    free(base_paths);
}

static const char *in_base(const char *name)
{
    char *b;
    if (asprintf(&b, "%s/%s", base, name) < 0) abort();
    char **grown = realloc(base_paths, (nbase_paths + 1) * sizeof *grown);
    if (!grown) abort();
    if (!base_paths) atexit(free_base_paths);
    base_paths = grown;
    base_paths[nbase_paths++] = b;
    return b;
}

/* ---- child processes: servers and the command under test ---------------- */

#define NSERVERS 3
/* sou-index / sou-search runs in flight: [0] run_argv, [1..2] coprocesses */
static volatile pid_t children[3];

static void kill_everything(void)
{
    tl_server_stop_all();
    for (int i = 0; i < 3; i++)
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = 0;
        }
}

static void on_fatal_signal(int sig)
{
    kill_everything();   /* kill and waitpid are async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* the file's text, or "" if it cannot be read */
static char *read_all(const char *path)
{
    char *s = tl_read_file(path, NULL);
    return s ? s : strdup("");
}

typedef struct run_result {
    int status;        /* exit code, or 128+signal, or -1 if killed by us */
    char *out, *err;
    long long ms;
} run_result;

static void run_result_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* Run argv (NULL-terminated) with stdin from in_path (or /dev/null);
 * stdout/stderr captured. A child still running after watchdog_ms is
 * killed and reported as status -1. */
static run_result run_argv(char *const *argv, const char *in_path, int watchdog_ms)
{
    run_result r = {0};
    const char *outp = in_base("cmd.out"), *errp = in_base("cmd.err");
    long long t0 = tl_now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0) _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0) {
        r.status = -2;
        r.out = strdup("");
        r.err = strdup("fork failed");
        return r;
    }
    children[0] = pid;
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
        if (tl_now_ms() - t0 > watchdog_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            r.status = -1;
            break;
        }
        tl_sleep_ms(5);
    }
    children[0] = 0;
    r.ms = tl_now_ms() - t0;
    r.out = read_all(outp);
    r.err = read_all(errp);
    return r;
}

/* sou-search with the given options (NULL-terminated), queries from in_path */
static run_result search(const char *in_path, int watchdog_ms, ...)
{
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)sou_search;
    va_list ap;
    va_start(ap, watchdog_ms);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 31) argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return run_argv(argv, in_path, watchdog_ms);
}

/* ---- sou-search --json output --------------------------------------------- */

typedef struct hit {
    char *key;      /* the result line without rank and score */
    char *source;   /* the JSON string of "source" */
    double score;
} hit;

typedef struct answer {
    hit *hits;
    size_t n;
    char *done;     /* the summary line */
} answer;

typedef struct answers {
    answer *a;
    size_t n;
} answers;

/* The JSON string value starting at p (at its opening quote), copied. */
static char *json_string_at(const char *p)
{
    const char *q = p + 1;
    while (*q && *q != '"') q += *q == '\\' && q[1] ? 2 : 1;
    return strndup(p, (size_t)(q - p + 1));
}

static answers parse_answers(const char *out)
{
    answers as = {0};
    answer cur = {0};
    const char *p = out;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len);
        p += len + (nl ? 1 : 0);
        if (strstr(line, "\"done\":true")) {
            cur.done = line;
            as.a = realloc(as.a, (as.n + 1) * sizeof *as.a);
            as.a[as.n++] = cur;
            memset(&cur, 0, sizeof cur);
            continue;
        }
        const char *src = strstr(line, ",\"source\":");
        const char *sc = strstr(line, ",\"score\":");
        if (strncmp(line, "{\"rank\":", 8) != 0 || !src || !sc) {
            fprintf(stderr, "unexpected output line: %s\n", line);
            tl_failures++;
            free(line);
            continue;
        }
        char *end;
        hit h;
        h.score = strtod(sc + 9, &end);
        h.source = json_string_at(src + 10);
        size_t a = (size_t)(sc - (src + 1));
        h.key = malloc(strlen(line) + 1);
        memcpy(h.key, src + 1, a);   /* "source":..."title":... */
        strcpy(h.key + a, end);      /* ,"start":... to the end */
        cur.hits = realloc(cur.hits, (cur.n + 1) * sizeof *cur.hits);
        cur.hits[cur.n++] = h;
        free(line);
    }
    for (size_t i = 0; i < cur.n; i++) {   /* results without a summary */
        fprintf(stderr, "result line after the last summary: %s\n", cur.hits[i].key);
        tl_failures++;
        free(cur.hits[i].key);
        free(cur.hits[i].source);
    }
    free(cur.hits);
    return as;
}

static void answers_free(answers *as)
{
    for (size_t i = 0; i < as->n; i++) {
        for (size_t k = 0; k < as->a[i].n; k++) {
            free(as->a[i].hits[k].key);
            free(as->a[i].hits[k].source);
        }
        free(as->a[i].hits);
        free(as->a[i].done);
    }
    free(as->a);
    as->a = NULL;
    as->n = 0;
}

/* Scores are printed with 6 decimals: allow 1e-6 relative plus the
 * rounding of the last printed digit. */
static int same_score(double a, double b)
{
    return fabs(a - b) <= 1e-6 * fmax(fabs(a), fabs(b)) + 1.01e-6;
}

static int cmp_hit_key(const void *x, const void *y)
{
    return strcmp(((const hit *)x)->key, ((const hit *)y)->key);
}

static const char *query_of(const answer *a)
{
    return a->done ? a->done : "?";
}

enum { EXACT, SETS };

/* want vs got for one query: the same passages (key: everything but rank
 * and score, so snippets and highlights included); in EXACT mode also the
 * same scores, and position by position the same score (order equal up to
 * ties: only equal-scored hits may swap). */
static int compare_answer(const answer *want, const answer *got, int mode, const char *label)
{
    int bad = 0;
    if (want->n != got->n) {
        fprintf(stderr, "FAIL %s: %s: %zu hits, want %zu\n", label, query_of(got), got->n, want->n);
        tl_failures++;
        return 1;
    }
    if (mode == EXACT)
        for (size_t i = 0; i < want->n; i++)
            if (!same_score(want->hits[i].score, got->hits[i].score)) {
                fprintf(stderr, "FAIL %s: %s: rank %zu score %.6f, want %.6f\n", label, query_of(got),
                        i + 1, got->hits[i].score, want->hits[i].score);
                bad = 1;
                break;
            }
    hit *w = malloc((want->n + 1) * sizeof *w), *g = malloc((got->n + 1) * sizeof *g);
    if (want->n) memcpy(w, want->hits, want->n * sizeof *w);  /* hits may be NULL */
    if (got->n) memcpy(g, got->hits, got->n * sizeof *g);
    qsort(w, want->n, sizeof *w, cmp_hit_key);
    qsort(g, got->n, sizeof *g, cmp_hit_key);
    for (size_t i = 0; i < want->n && !bad; i++) {
        if (strcmp(w[i].key, g[i].key) != 0) {
            fprintf(stderr, "FAIL %s: %s: passage sets differ:\n  got  %.300s\n  want %.300s\n", label,
                    query_of(got), g[i].key, w[i].key);
            bad = 1;
        } else if (mode == EXACT && !same_score(w[i].score, g[i].score)) {
            fprintf(stderr, "FAIL %s: %s: score %.6f, want %.6f for %.200s\n", label, query_of(got),
                    g[i].score, w[i].score, g[i].key);
            bad = 1;
        }
    }
    free(w);
    free(g);
    tl_failures += bad;
    return bad;
}

static int is_wildcard(const char *query)
{
    return strchr(query, '*') != NULL;
}

static char **read_lines(const char *path, size_t *n)
{
    char *text = read_all(path);
    char **lines = NULL;
    *n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        lines = realloc(lines, (*n + 1) * sizeof *lines);
        lines[(*n)++] = strdup(l);
    }
    free(text);
    return lines;
}

/* Every query answered, no errors, no missing shards; then compare. */
static void compare_runs(const run_result *want_r, const run_result *got_r, char **queries,
                         size_t nq, int all_sets, const char *label)
{
    CHECK(want_r->status == 0 && got_r->status == 0, "%s: exit %d / %d: %s%s", label, want_r->status,
          got_r->status, want_r->err, got_r->err);
    answers want = parse_answers(want_r->out), got = parse_answers(got_r->out);
    CHECK(want.n == nq && got.n == nq, "%s: %zu / %zu answers for %zu queries", label, want.n, got.n, nq);
    size_t nonempty = 0, exact = 0;
    for (size_t i = 0; i < nq && i < want.n && i < got.n; i++) {
        CHECK(strstr(got.a[i].done, "\"missing_shards\":[]") && !strstr(got.a[i].done, "\"error\""),
              "%s: %s", label, got.a[i].done);
        int mode = all_sets || is_wildcard(queries[i]) ? SETS : EXACT;
        compare_answer(&want.a[i], &got.a[i], mode, label);
        nonempty += want.a[i].n > 0;
        exact += mode == EXACT;
    }
    CHECK(nonempty == nq, "%s: %zu of %zu queries match nothing in the reference", label, nq - nonempty, nq);
    printf("%s: %zu queries (%zu with scores, %zu sets only) equal\n", label, nq, exact, nq - exact);
    answers_free(&want);
    answers_free(&got);
}

/* ---- a long-lived batch sou-search: one query in, one answer out -------- */

typedef struct coproc {
    int slot;   /* in children[] */
    pid_t pid;
    int to, from;   /* its stdin, its stdout */
} coproc;

static int coproc_start(coproc *c, int slot, const char *const *args)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out)) return -1;
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)sou_search;
    for (; *args && n < 31; args++) argv[n++] = (char *)*args;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        int err = open(in_base("coproc.err"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err >= 0) dup2(err, 2);
        close(in[1]);
        close(out[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    children[slot] = pid;
    c->slot = slot;
    close(in[0]);
    close(out[1]);
    c->pid = pid;
    c->to = in[1];
    c->from = out[0];
    return 0;
}

/* Send one query, read its answer up to the summary line (at most
 * watchdog_ms). Raw read(): stdio buffering would hide data from poll(). */
static char *coproc_ask(coproc *c, const char *query, int watchdog_ms)
{
    dprintf(c->to, "%s\n", query);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    buf[0] = 0;
    long long t0 = tl_now_ms();
    for (;;) {
        char *last = len ? memrchr(buf, '\n', len - 1) : NULL;
        if (len && buf[len - 1] == '\n' && strstr(last ? last : buf, "\"done\":true")) break;
        struct pollfd pfd = {c->from, POLLIN, 0};
        int left = watchdog_ms - (int)(tl_now_ms() - t0);
        if (left <= 0 || poll(&pfd, 1, left) <= 0) {
            fprintf(stderr, "FAIL: no answer to %s within %d ms\n", query, watchdog_ms);
            tl_failures++;
            break;
        }
        if (cap - len < 4096) buf = realloc(buf, cap *= 2);
        ssize_t got = read(c->from, buf + len, cap - len - 1);
        if (got <= 0) break;
        len += (size_t)got;
        buf[len] = 0;
    }
    return buf;
}

static int coproc_finish(coproc *c)
{
    close(c->to);
    int st = 0;
    long long t0 = tl_now_ms();
    while (waitpid(c->pid, &st, WNOHANG) != c->pid) {
        if (tl_now_ms() - t0 > 10000) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &st, 0);
            break;
        }
        tl_sleep_ms(5);
    }
    close(c->from);
    children[c->slot] = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the test --------------------------------------------------------------- */

static int build_indexes(void)
{
    char *one[] = {(char *)sou_index, "--index", (char *)in_base("one"), "--compact", "--quiet",
                   (char *)corpus, NULL};
    run_result r = run_argv(one, NULL, 60000);
    CHECK(r.status == 0, "sou-index --compact: %d %s", r.status, r.err);
    int ok = r.status == 0;
    run_result_free(&r);
    for (int k = 0; k < NSERVERS; k++) {
        char dir[16], spec[16];
        snprintf(dir, sizeof dir, "s%d", k);
        snprintf(spec, sizeof spec, "%d/%d", k, NSERVERS);
        char *argv[] = {(char *)sou_index, "--index", (char *)in_base(dir), "--shard", spec, "--stub",
                        (char *)in_base("local.stub"), "--quiet", (char *)corpus, NULL};
        r = run_argv(argv, NULL, 60000);
        CHECK(r.status == 0, "sou-index --shard %s: %d %s", spec, r.status, r.err);
        ok &= r.status == 0;
        run_result_free(&r);
    }
    return ok ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: test_remote SOU-INDEX SOU-SEARCH CORPUS QUERIES COLLAPSE-QUERIES\n");
        return 2;
    }
    sou_index = argv[1];
    sou_search = argv[2];
    corpus = argv[3];
    queries_file = argv[4];
    collapse_file = argv[5];
    if (!tl_have_program("xapian-tcpsrv")) {
        printf("SKIP: xapian-tcpsrv not installed (apt-get install xapian-tools)\n");
        return 77;
    }
    if (tl_mkdtemp(base, sizeof base, "sou-remote")) return 1;
    atexit(kill_everything);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGALRM};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], on_fatal_signal);
    signal(SIGPIPE, SIG_IGN);
    alarm(120);   /* whatever hangs, the servers still die */

    size_t nq, nc;
    char **queries = read_lines(queries_file, &nq), **collapse_q = read_lines(collapse_file, &nc);
    CHECK(nq >= 20 && nc >= 1, "query files: %zu, %zu queries", nq, nc);
    if (build_indexes()) goto done;

    /* Each shard dir of a --shard set holds sou.stub listing its own
     * shard-i databases; xapian-tcpsrv opens that stub like a database. */
    int port[NSERVERS];
    char stub_text[256] = "# the 3 shards of corpus/sample, each on xapian-tcpsrv\n";
    char names[NSERVERS][64];
    for (int k = 0; k < NSERVERS; k++) {
        char db[16];
        snprintf(db, sizeof db, "s%d/sou.stub", k);
        CHECK(tl_server_start(k, in_base(db), 0, &port[k]) == 0, "start xapian-tcpsrv %d", k);
        if (!tl_server_pid(k)) goto done;
        size_t o = strlen(stub_text);
        snprintf(stub_text + o, sizeof stub_text - o, "remote 127.0.0.1:%d\n", port[k]);
        snprintf(names[k], sizeof names[k], "127.0.0.1:%d", port[k]);
    }
    const char *rstub = in_base("remote.stub");
    write_file(rstub, stub_text);
    const char *one = in_base("one"), *lstub = in_base("local.stub");

    /* 1. the same answers: compacted vs local shard set vs remote shards */
    run_result ref = search(queries_file, 20000, "--index", one, "--json", "-n", "0", NULL);
    run_result loc = search(queries_file, 20000, "--index", lstub, "--json", "-n", "0", NULL);
    run_result rem = search(queries_file, 20000, "--index", rstub, "--json", "-n", "0", NULL);
    compare_runs(&ref, &loc, queries, nq, 0, "3 local shards vs compacted");
    compare_runs(&ref, &rem, queries, nq, 0, "3 remote shards vs compacted");
    run_result_free(&loc);
    run_result_free(&rem);
    /* --shard tcp:HOST:PORT on the command line, collapsed */
    char t0[80], t1[80], t2[80];
    snprintf(t0, sizeof t0, "tcp:%s", names[0]);
    snprintf(t1, sizeof t1, "tcp:%s", names[1]);
    snprintf(t2, sizeof t2, "tcp:%s", names[2]);
    run_result cref = search(collapse_file, 20000, "--index", one, "--json", "-n", "0", "--collapse", NULL);
    run_result crem = search(collapse_file, 20000, "--shard", t0, "--shard", t1, "--shard", t2,
                             "--connect-timeout", "2000", "--json", "-n", "0", "--collapse", NULL);
    compare_runs(&cref, &crem, collapse_q, nc, 0, "collapsed, --shard tcp: x3 vs compacted");
    run_result_free(&cref);
    run_result_free(&crem);

    /* 2. a batch process running while server 2 is SIGKILLed */
    coproc strict, partial;
    const char *strict_args[] = {"--index", rstub, "--json", "-n", "0", NULL};
    const char *partial_args[] = {"--index", rstub, "--json", "-n", "0", "--allow-partial", NULL};
    CHECK(coproc_start(&strict, 1, strict_args) == 0, "start batch");
    char *before = coproc_ask(&strict, "ssh", 10000);
    CHECK(coproc_start(&partial, 2, partial_args) == 0, "start partial batch");
    char *pbefore = coproc_ask(&partial, "ssh", 10000);
    CHECK(strstr(before, "\"missing_shards\":[]") && strstr(pbefore, "\"missing_shards\":[]"),
          "before the kill: %s / %s", before, pbefore);
    tl_server_stop(2);
    char *after = coproc_ask(&strict, "ssh", 10000);
    CHECK(strstr(after, "\"error\":") && strstr(after, names[2]) && !strstr(after, "\"rank\""),
          "default mode after the kill names %s: %s", names[2], after);
    char *pafter = coproc_ask(&partial, "ssh", 10000);
    char want_missing[128];
    snprintf(want_missing, sizeof want_missing, "\"missing_shards\":[\"tcp:%s\"]", names[2]);
    CHECK(strstr(pafter, want_missing) && strstr(pafter, "\"rank\":1,") && !strstr(pafter, "\"error\""),
          "partial after the kill: %s", pafter);
    int pst = coproc_finish(&partial);
    int sst = coproc_finish(&strict);
    CHECK(sst == 1 && pst == 0, "batch exit status: default %d (want 1), partial %d (want 0)", sst, pst);
    printf("running batch, server killed: default mode: %.*s\n", (int)strcspn(after, "\n"), after);
    free(before);
    free(pbefore);
    free(after);
    free(pafter);

    /* 3. fresh processes with server 2 dead */
    run_result r = search(NULL, 20000, "--index", rstub, "ssh", NULL);
    CHECK(r.status == 1 && strstr(r.err, names[2]) && r.out[0] == 0, "default mode, dead shard: %d %s",
          r.status, r.err);
    printf("default mode, dead shard: %s", r.err);
    run_result_free(&r);
    char human[128];
    snprintf(human, sizeof human, "(partial results: shard tcp:%s did not answer)", names[2]);
    r = search(NULL, 20000, "--index", rstub, "--allow-partial", "-n", "3", "ssh", NULL);
    CHECK(r.status == 0 && strstr(r.out, human) && strstr(r.out, "1. "), "human partial: %d %s %s", r.status,
          r.out, r.err);
    run_result_free(&r);

    /* partial answers == compacted answers minus the dead shard's sources,
     * and == a local stub of the live shard dirs (same statistics) exactly */
    run_result part = search(queries_file, 20000, "--index", rstub, "--allow-partial", "--json", "-n", "0",
                             NULL);
    run_result dead = search(queries_file, 20000, "--index", in_base("s2"), "--json", "-n", "0", NULL);
    char live_text[512];
    snprintf(live_text, sizeof live_text, "auto %s\nauto %s\n", in_base("s0/sou.stub"), in_base("s1/sou.stub"));
    const char *live_stub = in_base("live.stub");
    write_file(live_stub, live_text);
    run_result live = search(queries_file, 20000, "--index", live_stub, "--json", "-n", "0", NULL);
    CHECK(part.status == 0 && dead.status == 0 && live.status == 0, "partial runs: %d %d %d %s", part.status,
          dead.status, live.status, part.err);
    answers P = parse_answers(part.out), D = parse_answers(dead.out), L = parse_answers(live.out),
            C = parse_answers(ref.out);
    CHECK(P.n == nq && D.n == nq && L.n == nq && C.n == nq, "answers %zu %zu %zu %zu", P.n, D.n, L.n, C.n);
    size_t dead_hits = 0, live_hits = 0;
    for (size_t i = 0; i < nq && i < P.n && i < D.n && i < L.n && i < C.n; i++) {
        CHECK(strstr(P.a[i].done, want_missing), "partial summary: %s", P.a[i].done);
        compare_answer(&L.a[i], &P.a[i], is_wildcard(queries[i]) ? SETS : EXACT, "partial vs live shards");
        /* C restricted: drop hits whose source any query found in shard 2 */
        answer restricted = {malloc((C.a[i].n + 1) * sizeof(hit)), 0, C.a[i].done};
        for (size_t h = 0; h < C.a[i].n; h++) {
            int in_dead = 0;
            for (size_t q = 0; q < D.n && !in_dead; q++)
                for (size_t k = 0; k < D.a[q].n && !in_dead; k++)
                    in_dead = strcmp(D.a[q].hits[k].source, C.a[i].hits[h].source) == 0;
            if (!in_dead) restricted.hits[restricted.n++] = C.a[i].hits[h];
        }
        compare_answer(&restricted, &P.a[i], SETS, "partial vs compacted restricted");
        dead_hits += D.a[i].n;
        live_hits += P.a[i].n;
        free(restricted.hits);
    }
    CHECK(dead_hits > 0 && live_hits > 0, "the dead shard held %zu hits, the live ones %zu", dead_hits,
          live_hits);
    printf("--allow-partial with shard 2 dead: %zu queries, %zu hits from the live shards "
           "(%zu were in the dead one) equal\n", nq, live_hits, dead_hits);
    answers_free(&P);
    answers_free(&D);
    answers_free(&L);
    answers_free(&C);
    run_result_free(&part);
    run_result_free(&dead);
    run_result_free(&live);

    /* 4. a hung server (SIGSTOPped: the kernel still accepts connections)
     * must fail within --timeout, not hang (the default is 10 s) */
    int p2;
    CHECK(tl_server_start(2, in_base("s2/sou.stub"), 0, &p2) == 0, "restart server 2");
    if (tl_server_pid(2)) {
        char hung[64];
        snprintf(hung, sizeof hung, "tcp:127.0.0.1:%d", p2);
        kill(-tl_server_pid(2), SIGSTOP);
        r = search(NULL, 8000, "--shard", t0, "--shard", t1, "--shard", hung, "--connect-timeout", "500",
                   "--timeout", "1000", "ssh", NULL);
        CHECK(r.status == 1 && strstr(r.err, hung + 4) && strstr(r.err, "Timeout"),
              "hung shard: status %d (-1: still running after 8 s) %s", r.status, r.err);
        printf("hung shard, --timeout 1000: failed after %lld ms: %s", r.ms, r.err);
        run_result_free(&r);
        r = search(NULL, 8000, "--shard", t0, "--shard", t1, "--shard", hung, "--connect-timeout", "500",
                   "--timeout", "1000", "--allow-partial", "--json", "ssh", NULL);
        CHECK(r.status == 0 && strstr(r.out, hung) && strstr(r.out, "\"rank\":1,"),
              "hung shard, partial: status %d %s %s", r.status, r.out, r.err);
        run_result_free(&r);
        tl_server_stop(2);
    }
    run_result_free(&ref);

done:
    kill_everything();
    for (size_t i = 0; i < nq; i++) free(queries[i]);
    for (size_t i = 0; i < nc; i++) free(collapse_q[i]);
    free(queries);
    free(collapse_q);
    tl_rm_scratch(base);
    if (tl_failures) {
        fprintf(stderr, "%d check(s) failed\n", tl_failures);
        return 1;
    }
    printf("all remote checks passed\n");
    return 0;
}
