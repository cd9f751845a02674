/* tests/indexer/test_indexer.c - end-to-end tests of the sou-index binary:
 * runs the real program on real files and inspects the resulting Xapian
 * index through sou's own reader API (sou/store.h).
 *
 *   test_indexer SOU_INDEX WORKDIR TEST
 *   TEST: sample | bad_inputs | idempotent | kill | shards | errors
 *
 * The oracle for passage text is the decoded source read back with the
 * inputs library: passage text == decoded[start..end), and every
 * non-space byte of a source lies in exactly one passage. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <unicode/ucnv.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "input.h"
#include "sou/analyzer.h"
#include "sou/record.h"
#include "sou/store.h"
#include "sou/terms.h"
#include "testlib.h"


static const char *sou_index, *workdir;

/* ---- helpers ------------------------------------------------------------ */

static char *xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    fwrite(data, 1, len, f);
    fclose(f);
}

/* Start sou-index with args (NULL-terminated), stderr to errfile. */
static pid_t spawn_index(char *const *args, const char *errfile)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        dup2(fd, 2);
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 1);
        size_t n = 0;
        while (args[n]) n++;
        char **argv = calloc(n + 2, sizeof *argv);
        argv[0] = (char *)sou_index;
        memcpy(argv + 1, args, n * sizeof *argv);
        execv(sou_index, argv);
        _exit(127);
    }
    return pid;
}

static int wait_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

static int run_index(char *const *args, char **err_out)
{
    char *errfile = xasprintf("%s/stderr.txt", workdir);
    int rc = wait_status(spawn_index(args, errfile));
    if (err_out) *err_out = tl_read_file(errfile, NULL);
    free(errfile);
    return rc;
}

/* Equal dumps, or both written to WORKDIR/<name>.{a,b} for diffing. */
static int same_dump(const char *name, const char *a, const char *b)
{
    if (strcmp(a, b) == 0) return 1;
    char *pa = xasprintf("%s/%s.a", workdir, name), *pb = xasprintf("%s/%s.b", workdir, name);
    write_file(pa, a, strlen(a));
    write_file(pb, b, strlen(b));
    fprintf(stderr, "dumps differ: diff %s %s\n", pa, pb);
    free(pa); free(pb);
    return 0;
}

/* ---- reading an index --------------------------------------------------- */

typedef struct passage {
    char *source; size_t source_len;
    uint64_t ordinal, start, end;
    char *title; size_t title_len;
    char *text; size_t text_len;
} passage;

static int cmp_passage(const void *a, const void *b)
{
    const passage *x = a, *y = b;
    sou_record rx = {.ordinal = x->ordinal, .source = x->source, .source_len = x->source_len};
    sou_record ry = {.ordinal = y->ordinal, .source = y->source, .source_len = y->source_len};
    return sou_record_order(&rx, &ry);
}

static char *stub_of(const char *dir)
{
    struct stat st;
    char *s = xasprintf("%s/sou.stub", dir);
    if (stat(dir, &st) == 0 && S_ISREG(st.st_mode)) { free(s); s = strdup(dir); }
    return s;
}

/* All passages of the index (DIR or stub file), sorted by source, ordinal.
 * Returns -1 if the index does not open. */
static long load_passages(const char *dir, passage **out)
{
    char *stub = stub_of(dir);
    const char *shards[1] = {stub};
    sou_reader *r = NULL;
    sou_error e;
    *out = NULL;
    if (sou_reader_open(shards, 1, NULL, &r, &e) != 0) {
        fprintf(stderr, "open %s: %s\n", stub, e.msg);
        free(stub);
        return -1;
    }
    free(stub);
    uint64_t n = 0;
    sou_reader_doccount(r, &n, &e);
    sou_qpool *pool;
    sou_qpool_new(&pool);
    sou_search_params p = {0};
    p.limit = n;
    p.k1 = 1.2; p.b = 0.75;
    sou_hits hits = {0};
    int rc = n ? sou_reader_search(r, sou_query_all(pool), &p, &hits, &e) : 0;
    CHECK(rc == 0, "search all: %s", e.msg);
    CHECK(hits.n == n, "all-documents search gave %zu of %llu", hits.n,
          (unsigned long long)n);
    passage *v = calloc(hits.n + 1, sizeof *v);
    for (size_t i = 0; i < hits.n; i++) {
        sou_record rec;
        int d = sou_record_decode(hits.hits[i].data, hits.hits[i].data_len, &rec);
        CHECK(d == 0, "record of docid %u does not decode", hits.hits[i].docid);
        if (d) continue;
        v[i].source = malloc(rec.source_len + 1);
        memcpy(v[i].source, rec.source, rec.source_len);
        v[i].source[rec.source_len] = 0;
        v[i].source_len = rec.source_len;
        v[i].title = malloc(rec.title_len + 1);
        memcpy(v[i].title, rec.title, rec.title_len);
        v[i].title_len = rec.title_len;
        v[i].text = malloc(rec.text_len + 1);
        memcpy(v[i].text, rec.text, rec.text_len);
        v[i].text_len = rec.text_len;
        v[i].ordinal = rec.ordinal;
        v[i].start = rec.start;
        v[i].end = rec.end;
    }
    long count = (long)hits.n;
    sou_hits_free(&hits);
    sou_qpool_free(pool);
    sou_reader_close(r);
    qsort(v, (size_t)count, sizeof *v, cmp_passage);
    *out = v;
    return count;
}

static void free_passages(passage *v, long n)
{
    for (long i = 0; i < n; i++) { free(v[i].source); free(v[i].title); free(v[i].text); }
    free(v);
}

/* A canonical text dump of the passages (no docids). */
static char *dump_passages(const passage *v, long n)
{
    size_t cap = 1024, len = 0;
    char *s = malloc(cap);
    s[0] = 0;
    for (long i = 0; i < n; i++) {
        uint64_t h = 14695981039346656037ull;
        for (size_t k = 0; k < v[i].text_len; k++) { h ^= (unsigned char)v[i].text[k]; h *= 1099511628211ull; }
        char *line = xasprintf("%s\t%llu\t%llu\t%llu\t%.*s\t%016llx\n", v[i].source,
                               (unsigned long long)v[i].ordinal,
                               (unsigned long long)v[i].start, (unsigned long long)v[i].end,
                               (int)v[i].title_len, v[i].title, (unsigned long long)h);
        size_t l = strlen(line);
        while (len + l + 1 > cap) { cap *= 2; s = realloc(s, cap); }
        memcpy(s + len, line, l + 1);
        len += l;
        free(line);
    }
    return s;
}

typedef struct termlist { char **t; size_t *l; size_t n, cap; } termlist;

static int collect_term(void *ctx, const char *term, size_t len)
{
    termlist *tl = ctx;
    if (tl->n == tl->cap) {
        tl->cap = tl->cap ? tl->cap * 2 : 1024;
        tl->t = realloc(tl->t, tl->cap * sizeof *tl->t);
        tl->l = realloc(tl->l, tl->cap * sizeof *tl->l);
    }
    tl->t[tl->n] = malloc(len + 1);
    memcpy(tl->t[tl->n], term, len);
    tl->t[tl->n][len] = 0;
    tl->l[tl->n++] = len;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every term of the index with its termfreq, as text (terms enumerated per
 * shard with a writer, frequencies from a reader over the stub). */
static char *dump_terms(const char *dir)
{
    char *stubp = xasprintf("%s/sou.stub", dir);
    char *stub = tl_read_file(stubp, NULL);
    termlist tl = {0};
    sou_error e;
    for (char *save = NULL, *line = stub ? strtok_r(stub, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "auto ", 5) != 0) continue;
        char *sp = xasprintf("%s/%s", dir, line + 5);
        sou_writer *w = NULL;
        int rc = sou_writer_open(sp, &w, &e);
        CHECK(rc == 0, "open %s: %s", sp, e.msg);
        if (rc == 0) sou_writer_allterms(w, "", 0, collect_term, &tl, &e);
        sou_writer_close(w);
        free(sp);
    }
    free(stub);
    /* Terms with binary bytes compare with strcmp up to a NUL; the analyzer
     * and source terms never contain NUL. */
    qsort(tl.t, tl.n, sizeof *tl.t, cmp_str);
    const char *shards[1] = {stubp};
    sou_reader *r = NULL;
    sou_reader_open(shards, 1, NULL, &r, &e);
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    s[0] = 0;
    for (size_t i = 0; i < tl.n; i++) {
        if (i > 0 && strcmp(tl.t[i], tl.t[i - 1]) == 0) continue;
        uint64_t tf = 0;
        if (r) sou_reader_termfreq(r, tl.t[i], strlen(tl.t[i]), &tf, &e);
        char *line = xasprintf("%s %llu\n", tl.t[i], (unsigned long long)tf);
        size_t l = strlen(line);
        while (len + l + 1 > cap) { cap *= 2; s = realloc(s, cap); }
        memcpy(s + len, line, l + 1);
        len += l;
        free(line);
    }
    for (size_t i = 0; i < tl.n; i++) free(tl.t[i]);
    sou_reader_close(r);
    free(tl.t); free(tl.l); free(stubp);
    return s;
}

static uint64_t termfreq(const char *dir, const char *term)
{
    char *stub = stub_of(dir);
    const char *shards[1] = {stub};
    sou_reader *r = NULL;
    sou_error e;
    uint64_t tf = 0;
    if (sou_reader_open(shards, 1, NULL, &r, &e) == 0)
        sou_reader_termfreq(r, term, strlen(term), &tf, &e);
    sou_reader_close(r);
    free(stub);
    return tf;
}

/* ---- checking passages against the decoded sources ---------------------- */

typedef struct decoded { char *id; char *text; size_t len; } decoded;
typedef struct decoded_set { decoded *d; size_t n; } decoded_set;

static int keep_doc(void *ctx, const sou_source_doc *doc)
{
    decoded_set *s = ctx;
    s->d = realloc(s->d, (s->n + 1) * sizeof *s->d);
    decoded *d = &s->d[s->n++];
    d->id = strndup(doc->id, doc->id_len);
    d->text = malloc(doc->text_len + 1);
    memcpy(d->text, doc->text, doc->text_len);
    d->len = doc->text_len;
    return 0;
}

/* Index of the first non-whitespace character (Unicode White_Space, e.g.
 * NBSP and U+3000 too) in text[from..to), or to if none. */
static uint64_t first_non_space(const char *text, uint64_t from, uint64_t to)
{
    int32_t i = (int32_t)from;
    while ((uint64_t)i < to) {
        int32_t at = i;
        UChar32 c;
        U8_NEXT(text, i, (int32_t)to, c);
        if (c < 0 || !(u_isUWhiteSpace(c) || u_isspace(c))) return (uint64_t)at;
    }
    return to;
}

/* Checks the passages of one decoded source document. */
static long check_doc(const char *path, const decoded *d, const passage *v, long n)
{
    long count = 0;
    uint64_t covered = 0;   /* end of the previous passage */
    for (long i = 0; i < n; i++) {
        if (strcmp(v[i].source, d->id) != 0) continue;
        CHECK(v[i].ordinal == (uint64_t)count, "%s: ordinal %llu at position %ld",
              d->id, (unsigned long long)v[i].ordinal, count);
        CHECK(v[i].start < v[i].end && v[i].end <= d->len, "%s#%llu: range %llu..%llu of %zu",
              d->id, (unsigned long long)v[i].ordinal, (unsigned long long)v[i].start,
              (unsigned long long)v[i].end, d->len);
        if (v[i].end <= d->len && v[i].start <= v[i].end) {
            CHECK(v[i].text_len == v[i].end - v[i].start &&
                  memcmp(v[i].text, d->text + v[i].start, v[i].text_len) == 0,
                  "%s#%llu: passage text != decoded source [%llu, %llu)", d->id,
                  (unsigned long long)v[i].ordinal, (unsigned long long)v[i].start,
                  (unsigned long long)v[i].end);
            CHECK(v[i].start >= covered, "%s#%llu overlaps the previous passage", d->id,
                  (unsigned long long)v[i].ordinal);
            uint64_t k = first_non_space(d->text, covered, v[i].start);
            CHECK(k == v[i].start, "%s: byte %llu (0x%02x) is in no passage", d->id,
                  (unsigned long long)k, (unsigned char)d->text[k]);
            covered = v[i].end;
        }
        count++;
    }
    uint64_t k = first_non_space(d->text, covered, d->len);
    CHECK(k == d->len, "%s: tail byte %llu is in no passage", d->id, (unsigned long long)k);
    (void)path;
    return count;
}

/* Checks the passages of every document of input file path (one, or one
 * per JSON Lines record; none for an empty file); returns their count. */
static long check_source(const char *path, const passage *v, long n)
{
    decoded_set ds = {0};
    sou_error e;
    sou_error_clear(&e);
    int rc = sou_input_read_path(path, NULL, keep_doc, NULL, &ds, &e);
    CHECK(rc == 0, "%s: read back: %s", path, e.msg);
    long count = 0;
    if (ds.n == 0) {   /* an empty file: no document, no passages */
        for (long i = 0; i < n; i++) count += strcmp(v[i].source, path) == 0;
        CHECK(count == 0, "%s: empty, yet %ld passages", path, count);
    }
    for (size_t i = 0; i < ds.n; i++) {
        long c = check_doc(path, &ds.d[i], v, n);
        char *q = xasprintf("Q%s", ds.d[i].id);
        uint64_t tf = 0;
        (void)tf;
        free(q);
        count += c;
    }
    for (size_t i = 0; i < ds.n; i++) { free(ds.d[i].id); free(ds.d[i].text); }
    free(ds.d);
    return count;
}

static char **list_dir(const char *dir, size_t *n)
{
    char *cmd = xasprintf("ls -1 '%s'", dir);
    FILE *p = popen(cmd, "r");
    free(cmd);
    char **v = NULL;
    char line[4096];
    *n = 0;
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0] || line[0] == '.') continue;
        v = realloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = xasprintf("%s/%s", dir, line);
    }
    if (p) pclose(p);
    return v;
}

/* ---- tests -------------------------------------------------------------- */

static int test_sample(void)
{
    char *idx = xasprintf("%s/sample-index", workdir);
    char *src = xasprintf("%s/corpus/sample", SOU_SOURCE_DIR);
    tl_rm_rf(idx);
    char *err = NULL;
    int rc = run_index((char *[]){"--index", idx, src, NULL}, &err);
    CHECK(rc == 0, "exit %d: %s", rc, err);
    passage *v;
    long n = load_passages(idx, &v);
    CHECK(n > 0, "no passages");
    size_t nf;
    char **files = list_dir(src, &nf);
    long total = 0, by_path = 0;
    for (size_t i = 0; i < nf; i++) {
        long c = check_source(files[i], v, n);
        if (!strstr(files[i], ".jsonl")) by_path += c;
        CHECK(c > 0, "%s has no passages", files[i]);
        if (!strstr(files[i], ".jsonl")) {   /* one source, id = path */
            char *q = xasprintf("Q%s", files[i]);
            CHECK(termfreq(idx, q) == (uint64_t)c, "termfreq(%s) != %ld", q, c);
            free(q);
        }
        total += c;
    }
    CHECK(total == n, "passages of listed files %ld, index %ld", total, n);
    CHECK(termfreq(idx, "XCsample") == (uint64_t)by_path, "XCsample should match every file's passages");
    char *xp = xasprintf("XP%s/", src);
    CHECK(termfreq(idx, xp) == (uint64_t)by_path, "%s should match every file's passages", xp);
    free(xp);
    /* Metadata: identity and stats. */
    char *stub = xasprintf("%s/sou.stub", idx);
    const char *shards[1] = {stub};
    sou_reader *r;
    sou_error e;
    if (sou_reader_open(shards, 1, NULL, &r, &e) == 0) {
        char *id = NULL;
        size_t il;
        sou_analyzer *a;
        sou_analyzer_new(NULL, &a);
        sou_reader_get_metadata(r, SOU_META_IDENTITY, &id, &il, &e);
        CHECK(id && strcmp(id, sou_analyzer_identity(a)) == 0, "identity \"%s\"", id);
        free(id);
        sou_analyzer_free(a);
        sou_reader_close(r);
    }
    printf("sample: %zu files, %ld passages\n", nf, n);
    for (size_t i = 0; i < nf; i++) free(files[i]);
    free(files);
    free_passages(v, n);
    free(err); free(stub); free(idx); free(src);
    return 0;
}

/* Convert UTF-8 to charset with ICU. */
static char *convert(const char *charset, const char *utf8, size_t *out_len)
{
    UErrorCode st = U_ZERO_ERROR;
    size_t cap = strlen(utf8) * 4 + 16;
    char *out = malloc(cap);
    int32_t n = ucnv_convert(charset, "UTF-8", out, (int32_t)cap, utf8,
                             (int32_t)strlen(utf8), &st);
    if (U_FAILURE(st)) { fprintf(stderr, "convert %s: %s\n", charset, u_errorName(st)); exit(2); }
    *out_len = (size_t)n;
    return out;
}

static const char *TRAD =
    "網路安全與新技術方案旨在加強會員國和私營組織防止恐怖主義分子濫用技術發展的能力。"
    "這包括在尊重人權的同時，應對恐怖主義分子對關鍵基礎設施發動網路攻擊造成的威脅，"
    "開發利用社群媒體收集開源資訊和數位證據。該方案還向國際論壇提供專門知識，"
    "並將進一步擬訂這一領域的方案。該項目還謀求在發生此類攻擊時減輕影響，修復和復原目標系統。\n\n";
static const char *SIMP =
    "会员国表示关切在全球化社会中，恐怖主义分子及其支持者越来越多地利用信息和通信技术，"
    "特别是因特网和其他媒体，并利用这些技术实施、煽动、招募、资助或策划恐怖主义行为。\n\n"
    "联合国反恐怖主义办公室在新技术领域内有若干举措。\n\n";

static char *make_bad_batch(char ***good, size_t *ngood, char ***bad, size_t *nbad)
{
    char *dir = xasprintf("%s/batch", workdir);
    tl_rm_rf(dir);
    mkdir(dir, 0777);
    static char *g[8], *b[4];
    size_t ng = 0, nb = 0;
    /* good: UTF-8 text, Markdown, HTML */
    char *p = xasprintf("%s/a_utf8.txt", dir);
    char *t = xasprintf("Plain English text about sshd_config and IPv6.\n\n%s", SIMP);
    write_file(p, t, strlen(t)); free(t); g[ng++] = p;
    p = xasprintf("%s/b_notes.md", dir);
    t = xasprintf("# Notes 笔记\n\nMarkdown paragraph one.\n\n%s", SIMP);
    write_file(p, t, strlen(t)); free(t); g[ng++] = p;
    /* GB18030, truncated in the middle of a two-byte character */
    size_t len;
    char *big = xasprintf("%s%s%s%s", SIMP, SIMP, SIMP, SIMP);
    char *gb = convert("GB18030", big, &len);
    free(big);
    p = xasprintf("%s/c_gb18030.txt", dir);
    write_file(p, gb, len - 1); free(gb); g[ng++] = p;
    /* Big5 (Traditional), about 2.5 KB */
    big = xasprintf("%s%s%s%s%s", TRAD, TRAD, TRAD, TRAD, TRAD);
    char *b5 = convert("Big5", big, &len);
    free(big);
    p = xasprintf("%s/d_big5.txt", dir);
    write_file(p, b5, len); free(b5); g[ng++] = p;
    /* UTF-16LE with BOM */
    t = xasprintf("UTF-16 file. %s", SIMP);
    char *u16 = convert("UTF-16LE", t, &len);
    free(t);
    char *bom = malloc(len + 2);
    bom[0] = (char)0xff; bom[1] = (char)0xfe;
    memcpy(bom + 2, u16, len);
    p = xasprintf("%s/e_utf16.txt", dir);
    write_file(p, bom, len + 2); free(bom); free(u16); g[ng++] = p;
    /* empty file: indexed, zero passages, not an error */
    p = xasprintf("%s/f_empty.txt", dir);
    write_file(p, "", 0); g[ng++] = p;
    /* binary: reported */
    unsigned char bin[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof bin; i++) { x = x * 1103515245u + 12345u; bin[i] = (unsigned char)(x >> 16); }
    for (size_t i = 0; i < sizeof bin; i += 7) bin[i] = 0;
    p = xasprintf("%s/g_binary.txt", dir);
    write_file(p, bin, sizeof bin); b[nb++] = p;
    /* unreadable even for root: a dangling symbolic link (open -> ENOENT;
     * chmod 000 would not stop root) */
    p = xasprintf("%s/h_dangling.txt", dir);
    symlink("/nonexistent/sou-test-target", p);
    b[nb++] = p;
    *good = g; *ngood = ng; *bad = b; *nbad = nb;
    return dir;
}

static int test_bad_inputs(void)
{
    char **good, **bad;
    size_t ng, nb;
    char *dir = make_bad_batch(&good, &ng, &bad, &nb);
    char *idx = xasprintf("%s/bad-index", workdir);
    tl_rm_rf(idx);
    char *err = NULL;
    int rc = run_index((char *[]){"--index", idx, "--threads", "2", dir, NULL}, &err);
    CHECK(rc == 1, "exit %d (want 1: some inputs failed): %s", rc, err);
    for (size_t i = 0; i < nb; i++) {
        char *want = xasprintf("sou-index: %s: ", bad[i]);
        CHECK(err && strstr(err, want), "stderr does not report %s:\n%s", bad[i], err ? err : "");
        free(want);
    }
    for (size_t i = 0; i < ng; i++) {
        char *want = xasprintf("sou-index: %s: ", good[i]);
        CHECK(!err || !strstr(err, want), "good file reported: %s\n%s", good[i], err);
        free(want);
    }
    passage *v;
    long n = load_passages(idx, &v);
    long total = 0;
    for (size_t i = 0; i < ng; i++) {
        long c = check_source(good[i], v, n);
        int empty = strstr(good[i], "empty") != NULL;
        CHECK(empty ? c == 0 : c > 0, "%s: %ld passages", good[i], c);
        total += c;
    }
    CHECK(total == n, "index has %ld passages, good files %ld", n, total);
    /* Decoding really happened: Traditional text is folded, so the bigram of
     * 網路 is 网路, and the Big5 file's passages hold UTF-8 text. */
    int found_trad = 0;
    for (long i = 0; i < n; i++)
        if (strstr(v[i].source, "big5") && strstr(v[i].text, "網路安全")) found_trad = 1;
    CHECK(found_trad, "Big5 file not decoded to UTF-8");
    CHECK(termfreq(idx, "网路") > 0, "folded bigram 网路 missing");
    CHECK(termfreq(idx, "ipv6") > 0 || termfreq(idx, "ipv") > 0, "ipv6 term missing");
    free_passages(v, n);
    free(err); free(idx); free(dir);
    return 0;
}

static int test_idempotent(void)
{
    char **good, **bad;
    size_t ng, nb;
    char *dir = make_bad_batch(&good, &ng, &bad, &nb);
    char *src = xasprintf("%s/corpus/sample", SOU_SOURCE_DIR);
    char *idx = xasprintf("%s/idem-index", workdir);
    tl_rm_rf(idx);
    char *args[] = {"--index", idx, "--quiet", src, dir, NULL};
    int rc1 = run_index(args, NULL);
    char *terms1 = dump_terms(idx);
    passage *v;
    long n1 = load_passages(idx, &v);
    char *p1 = dump_passages(v, n1);
    free_passages(v, n1);
    int rc2 = run_index(args, NULL);
    char *terms2 = dump_terms(idx);
    long n2 = load_passages(idx, &v);
    char *p2 = dump_passages(v, n2);
    free_passages(v, n2);
    CHECK(rc1 == 1 && rc2 == 1, "exits %d %d", rc1, rc2);
    CHECK(n1 == n2 && n1 > 0, "passages %ld then %ld", n1, n2);
    CHECK(same_dump("idem-passages", p1, p2), "passages differ after the second run");
    CHECK(same_dump("idem-terms", terms1, terms2), "terms/termfreqs differ after the second run");
    printf("idempotent: %ld passages, %zu bytes of term dump\n", n1, strlen(terms1));
    free(terms1); free(terms2); free(p1); free(p2); free(idx); free(src); free(dir);
    return 0;
}

/* A corpus big enough for several commits: sample text in many files. */
static char *make_kill_corpus(int nfiles)
{
    char *dir = xasprintf("%s/killcorpus", workdir);
    tl_rm_rf(dir);
    mkdir(dir, 0777);
    size_t nf;
    char *src = xasprintf("%s/corpus/sample", SOU_SOURCE_DIR);
    char **files = list_dir(src, &nf);
    for (int i = 0; i < nfiles; i++) {
        size_t len;
        char *text = tl_read_file(files[(size_t)i % nf], &len);
        char *sub = xasprintf("%s/d%02d", dir, i % 7);
        mkdir(sub, 0777);
        char *p = xasprintf("%s/f%04d.txt", sub, i);
        /* distinct first paragraph so every source differs */
        char *head = xasprintf("Document %d of the kill test, token k%dz.\n\n", i, i);
        FILE *f = fopen(p, "wb");
        fputs(head, f);
        fwrite(text, 1, len, f);
        fclose(f);
        free(head); free(p); free(sub); free(text);
    }
    for (size_t i = 0; i < nf; i++) free(files[i]);
    free(files); free(src);
    return dir;
}

typedef struct source_count { char *source; long n; } source_count;

/* Passage count per source (passages sorted by source). */
static source_count *count_sources(const passage *v, long n, size_t *ns)
{
    source_count *c = NULL;
    *ns = 0;
    for (long i = 0; i < n; i++) {
        if (*ns == 0 || strcmp(c[*ns - 1].source, v[i].source) != 0) {
            c = realloc(c, (*ns + 1) * sizeof *c);
            c[*ns].source = v[i].source;
            c[*ns].n = 0;
            (*ns)++;
        }
        c[*ns - 1].n++;
    }
    return c;
}

static long lookup_count(const source_count *c, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) if (strcmp(c[i].source, s) == 0) return c[i].n;
    return -1;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int test_kill(void)
{
    char *corpus = make_kill_corpus(60);
    /* Xapian merges its buffered postings into the tables every 7 added
     * passages (sou-index keeps a value from the environment): those merges
     * happen inside the open transaction, between commits, so kills land
     * after merges that no commit made durable yet. */
    setenv("XAPIAN_FLUSH_THRESHOLD", "7", 1);
    char *ref = xasprintf("%s/kill-ref", workdir);
    char *idx = xasprintf("%s/kill-index", workdir);
    char *errfile = xasprintf("%s/kill-stderr.txt", workdir);
    tl_rm_rf(ref);
    double t0 = now();
    int rc = run_index((char *[]){"--index", ref, "--quiet", "--commit-passages", "60",
                                  corpus, NULL}, NULL);
    double clean = now() - t0;
    CHECK(rc == 0, "clean run exit %d", rc);
    passage *rv;
    long rn = load_passages(ref, &rv);
    char *ref_dump = dump_passages(rv, rn);
    char *ref_terms = dump_terms(ref);
    size_t rns;
    source_count *rc_counts = count_sources(rv, rn, &rns);
    printf("kill: reference %ld passages, %zu sources, clean run %.2f s\n", rn, rns, clean);
    srand(20240611);
    int partial = 0;
    for (int trial = 0; trial < 20; trial++) {
        tl_rm_rf(idx);
        int sig = trial % 6 == 5 ? SIGINT : SIGKILL;
        pid_t pid = spawn_index((char *[]){"--index", idx, "--quiet", "--commit-passages",
                                           "60", corpus, NULL}, errfile);
        useconds_t delay = (useconds_t)(rand() % (int)(clean * 1e6 * 0.9 + 1));
        usleep(delay);
        kill(pid, sig);
        int st = wait_status(pid);
        if (sig == SIGINT)
            CHECK(st == 130 || st == 0, "trial %d: SIGINT exit %d", trial, st);
        /* The index opens and every source has all of its passages or none. */
        char *stub = xasprintf("%s/sou.stub", idx);
        if (access(stub, F_OK) == 0) {
            passage *v;
            long n = load_passages(idx, &v);
            CHECK(n >= 0, "trial %d: index does not open after kill", trial);
            size_t ns;
            source_count *c = count_sources(v, n > 0 ? n : 0, &ns);
            for (size_t i = 0; i < ns; i++) {
                long want = lookup_count(rc_counts, rns, c[i].source);
                CHECK(c[i].n == want, "trial %d: %s has %ld of %ld passages", trial,
                      c[i].source, c[i].n, want);
            }
            if (n > 0 && n < rn) partial++;
            free(c);
            free_passages(v, n > 0 ? n : 0);
        }
        free(stub);
        /* Re-run completes to the clean result. */
        rc = run_index((char *[]){"--index", idx, "--quiet", "--commit-passages", "60",
                                  corpus, NULL}, NULL);
        CHECK(rc == 0, "trial %d: re-run exit %d", trial, rc);
        passage *v;
        long n = load_passages(idx, &v);
        char *d = dump_passages(v, n);
        CHECK(n == rn && strcmp(d, ref_dump) == 0, "trial %d: re-run gives %ld passages "
              "(clean %ld) or different ones", trial, n, rn);
        if (trial % 4 == 0) {
            char *t = dump_terms(idx);
            CHECK(same_dump("kill-terms", t, ref_terms), "trial %d: terms differ from the clean run", trial);
            free(t);
        }
        free(d);
        free_passages(v, n);
    }
    printf("kill: 20 trials, %d left a partial index\n", partial);
    CHECK(partial > 0, "no trial interrupted the run mid-way: corpus too small?");
    free(rc_counts);
    free_passages(rv, rn);
    unsetenv("XAPIAN_FLUSH_THRESHOLD");
    free(ref_dump); free(ref_terms); free(corpus); free(ref); free(idx); free(errfile);
    return 0;
}

static int test_shards(void)
{
    char *src = xasprintf("%s/corpus/sample", SOU_SOURCE_DIR);
    char *corpus = make_kill_corpus(40);
    char *one = xasprintf("%s/shards-one", workdir);
    char *a = xasprintf("%s/shards-a", workdir);
    char *b = xasprintf("%s/shards-b", workdir);
    char *stubf = xasprintf("%s/set.stub", workdir);
    tl_rm_rf(one); tl_rm_rf(a); tl_rm_rf(b); unlink(stubf);
    int rc = run_index((char *[]){"--index", one, "--quiet", "--shards", "3", "--no-compact",
                                  src, corpus, NULL}, NULL);
    CHECK(rc == 0, "3-shard run exit %d", rc);
    passage *v;
    long n = load_passages(one, &v);
    char *want = dump_passages(v, n);
    free_passages(v, n);
    char *want_terms = dump_terms(one);
    /* Two members of a 2-way set, listed in one stub file. */
    char *err = NULL;
    rc = run_index((char *[]){"--index", a, "--quiet", "--shard", "0/2", "--stub", stubf,
                              src, corpus, NULL}, &err);
    CHECK(rc == 0, "--shard 0/2 exit %d: %s", rc, err);
    free(err);
    rc = run_index((char *[]){"--index", b, "--quiet", "--shard", "1/2", "--stub", stubf,
                              src, corpus, NULL}, &err);
    CHECK(rc == 0, "--shard 1/2 exit %d: %s", rc, err);
    free(err);
    /* Again: the stub keeps one line per member. */
    rc = run_index((char *[]){"--index", b, "--quiet", "--shard", "1/2", "--stub", stubf,
                              src, corpus, NULL}, NULL);
    char *stubtext = tl_read_file(stubf, NULL);
    int lines = 0;
    for (char *p = stubtext; p && *p; p++) lines += *p == '\n';
    CHECK(lines == 2, "stub has %d lines:\n%s", lines, stubtext);
    free(stubtext);
    long na = load_passages(a, &v);
    free_passages(v, na);
    long nb = load_passages(b, &v);
    free_passages(v, nb);
    CHECK(na > 0 && nb > 0 && na + nb == n, "members %ld + %ld, whole %ld", na, nb, n);
    long ns = load_passages(stubf, &v);
    char *got = dump_passages(v, ns);
    free_passages(v, ns);
    CHECK(same_dump("set-passages", got, want), "shard set differs from the single index");
    free(got);
    /* Wrong member on an existing directory: refused. */
    rc = run_index((char *[]){"--index", a, "--quiet", "--shard", "1/2", src, NULL}, &err);
    CHECK(rc == 2 && err && strstr(err, "shard set"), "wrong --shard: exit %d: %s", rc, err);
    free(err);
    /* --compact: same passages and terms, one database, old shards gone. */
    rc = run_index((char *[]){"--index", one, "--quiet", "--compact", src, corpus, NULL}, &err);
    CHECK(rc == 0, "--compact exit %d: %s", rc, err);
    free(err);
    n = load_passages(one, &v);
    got = dump_passages(v, n);
    free_passages(v, n);
    CHECK(same_dump("compact-passages", got, want), "compacted index differs");
    char *got_terms = dump_terms(one);
    CHECK(same_dump("compact-terms", got_terms, want_terms), "compacted terms differ");
    char *sp = xasprintf("%s/sou.stub", one);
    stubtext = tl_read_file(sp, NULL);
    CHECK(stubtext && strstr(stubtext, "auto compact-0\n") && !strstr(stubtext, "shard-"),
          "stub after compact:\n%s", stubtext);
    char *s0 = xasprintf("%s/shard-0", one);
    CHECK(access(s0, F_OK) != 0, "shard-0 still there after compaction");
    /* A compacted index has no termlists: the next run rebuilds it with its
     * own writers, carrying over the sources it does not index (corpus)
     * from their records: the same passages and the same terms. */
    char *tl = xasprintf("%s/compact-0/termlist.glass", one);
    CHECK(access(tl, F_OK) != 0, "termlists kept after compaction");
    free(tl);
    rc = run_index((char *[]){"--index", one, "--quiet", "--shards", "3", src, NULL}, &err);
    CHECK(rc == 0, "rebuild with --shards 3: exit %d: %s", rc, err);
    free(err);
    n = load_passages(one, &v);
    char *rebuilt = dump_passages(v, n);
    free_passages(v, n);
    CHECK(same_dump("rebuild-passages", rebuilt, want), "rebuilt index differs");
    free(rebuilt);
    char *rebuilt_terms = dump_terms(one);
    CHECK(same_dump("rebuild-terms", rebuilt_terms, want_terms), "rebuilt terms differ");
    free(rebuilt_terms);
    char *c1 = xasprintf("%s/compact-1", one), *c0 = xasprintf("%s/compact-0", one);
    CHECK(access(c1, F_OK) == 0 && access(c0, F_OK) != 0, "rebuild did not replace compact-0");
    free(c1);
    free(c0);
    rc = run_index((char *[]){"--index", one, "--quiet", src, corpus, NULL}, NULL);
    n = load_passages(one, &v);
    char *again = dump_passages(v, n);
    free_passages(v, n);
    CHECK(rc == 0 && strcmp(again, want) == 0, "re-run on compacted index: exit %d", rc);
    free(again); free(s0); free(sp); free(stubtext); free(got); free(got_terms);
    free(want); free(want_terms); free(src); free(corpus); free(one); free(a); free(b); free(stubf);
    return 0;
}

static int test_errors(void)
{
    char *src = xasprintf("%s/corpus/sample", SOU_SOURCE_DIR);
    char *idx = xasprintf("%s/err-index", workdir);
    tl_rm_rf(idx);
    char *err = NULL;
    int rc = run_index((char *[]){"--index", idx, "--quiet", "--shards", "2", "--no-compact",
                                  src, NULL}, NULL);
    CHECK(rc == 0, "exit %d", rc);
    rc = run_index((char *[]){"--index", idx, "--shards", "4", src, NULL}, &err);
    CHECK(rc == 2 && err && strstr(err, "2 shards"), "--shards 4 on 2: exit %d: %s", rc, err);
    free(err);
    /* A different analyzer identity: clear error, index untouched. */
    char *s0 = xasprintf("%s/shard-0", idx);
    sou_writer *w;
    sou_error e;
    if (sou_writer_open(s0, &w, &e) == 0) {
        sou_writer_set_metadata(w, SOU_META_IDENTITY, "other-analyzer/9", 16, &e);
        sou_writer_commit(w, &e);
        sou_writer_close(w);
    }
    rc = run_index((char *[]){"--index", idx, src, NULL}, &err);
    CHECK(rc == 2 && err && strstr(err, "other-analyzer/9"), "identity: exit %d: %s", rc, err);
    free(err);
    /* Usage errors. */
    rc = run_index((char *[]){"--index", idx, "--shard", "3/2", src, NULL}, NULL);
    CHECK(rc == 2, "--shard 3/2: exit %d", rc);
    rc = run_index((char *[]){src, NULL}, NULL);
    CHECK(rc == 2, "no --index: exit %d", rc);
    rc = run_index((char *[]){"--index", idx, "--bogus", src, NULL}, NULL);
    CHECK(rc == 2, "--bogus: exit %d", rc);
    /* --prune: a source that is no longer among the inputs goes away. */
    char *idx2 = xasprintf("%s/prune-index", workdir);
    char *corpus = make_kill_corpus(10);
    tl_rm_rf(idx2);
    run_index((char *[]){"--index", idx2, "--quiet", src, corpus, NULL}, NULL);
    uint64_t before = termfreq(idx2, "XCkillcorpus");
    rc = run_index((char *[]){"--index", idx2, "--quiet", "--prune", src, NULL}, NULL);
    CHECK(rc == 0 && before > 0 && termfreq(idx2, "XCkillcorpus") == 0,
          "prune: exit %d, before %llu after %llu", rc, (unsigned long long)before,
          (unsigned long long)termfreq(idx2, "XCkillcorpus"));
    free(idx2); free(corpus); free(s0); free(src); free(idx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s SOU_INDEX WORKDIR TEST\n", argv[0]);
        return 2;
    }
    sou_index = argv[1];
    char *wd = xasprintf("%s/%s", argv[2], argv[3]);
    workdir = wd;
    tl_rm_rf(workdir);
    mkdir(argv[2], 0777);
    mkdir(workdir, 0777);
    const char *t = argv[3];
    if (!strcmp(t, "sample")) test_sample();
    else if (!strcmp(t, "bad_inputs")) test_bad_inputs();
    else if (!strcmp(t, "idempotent")) test_idempotent();
    else if (!strcmp(t, "kill")) test_kill();
    else if (!strcmp(t, "shards")) test_shards();
    else if (!strcmp(t, "errors")) test_errors();
    else { fprintf(stderr, "unknown test %s\n", t); return 2; }
    if (tl_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", t, tl_failures);
        return 1;
    }
    printf("%s: all checks passed\n", t);
    tl_rm_rf(workdir);
    free(wd);
    return 0;
}
