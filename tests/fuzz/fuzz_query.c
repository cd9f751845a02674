/* fuzz_query.c - fuzz target for the query parser and searcher
 * (searcher/include/sou/search.h).
 *
 * Once per process a tiny index is written in a temporary directory with
 * sou's own library APIs (analyzer + store shim + record format, following
 * the term scheme of sou/terms.h): the sample corpus paragraphs plus a few
 * passages with titles, folders, English inflections and mixed scripts.
 * Input: byte 0 = flags (bit 0 lenient parse, bit 1 collapse, bit 2
 * offset 1, bit 3 exact count, bit 4 doclens + explain), the rest is the
 * query text. Each query is
 * parsed; a parse error must be SOU_EQUERY with a message naming a column
 * (and never happen in lenient mode). A parsed query is run, counted and
 * explained, and every result is checked: byte range and text agree,
 * highlights sorted, non-overlapping and inside the text, snippet
 * NUL-terminated with its highlights inside it.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "sou/analyzer.h"
#include "sou/error.h"
#include "sou/record.h"
#include "sou/search.h"
#include "sou/store.h"
#include "sou/terms.h"

#ifndef SOU_SAMPLE_FILE
#define SOU_SAMPLE_FILE ""
#endif

static char index_dir[64];
static sou_index *ix;

static const struct {
    const char *source, *title, *text;
} extra_docs[] = {
    { "docs/en/handbook.txt", "Configuring the network",
      "Configuring the network: the configured interfaces are listed in "
      "/etc/network/interfaces. Run ifup eth0 after configuring it." },
    { "docs/zh/设定.txt", "網絡設定",
      "網絡設定：使用Xapian建立索引，重跑gen-itgc后检查 sshd_config 与 IPv6。" },
    { "docs/zh/usb.md", "ＵＳＢ 设备",
      "插入ＵＳＢ设备后运行 gpm(8) 与 C++ 程序，参见 A/RES/72/284 与 2341 (2017)。" },
    { "notes/emoji.txt", "",
      "家庭 👨‍👩‍👧‍👦 and e\xcc\x81t\xc3\xa9 \xe2\x80\xae" "bidi\xe2\x80\xac text" },
};

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    return remove(path);
}

static void remove_index(void)
{
    sou_index_close(ix);
    ix = NULL;
    if (index_dir[0]) nftw(index_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct add_ctx {
    sou_doc *doc;
    const char *prefix;   /* "" body, SOU_PREFIX_TITLE title */
    int rc;
} add_ctx;

static int add_term(void *vctx, const sou_term *t)
{
    add_ctx *c = vctx;
    char buf[512];
    size_t plen = strlen(c->prefix);
    if (plen + t->len > sizeof buf) return 0;
    memcpy(buf, c->prefix, plen);
    memcpy(buf + plen, t->term, t->len);
    if (t->flags & SOU_TERM_POSITIONAL)
        c->rc = sou_doc_add_posting(c->doc, buf, plen + t->len, t->pos + 1);
    else
        c->rc = sou_doc_add_term(c->doc, buf, plen + t->len, 1);
    return c->rc != 0;
}

static void add_passage(sou_writer *w, sou_analyzer *a, sou_doc *d,
                        const char *source, const char *title,
                        const char *text, size_t start, size_t end,
                        uint64_t ordinal)
{
    sou_doc_clear(d);
    add_ctx c = { d, "", 0 };
    int rc = sou_analyzer_run(a, text + start, end - start, add_term, &c);
    FUZZ_CHECK(rc == 0 && c.rc == 0, "analyzing a passage: %d/%d", rc, c.rc);
    c.prefix = SOU_PREFIX_TITLE;
    rc = sou_analyzer_run(a, title, strlen(title), add_term, &c);
    FUZZ_CHECK(rc == 0 && c.rc == 0, "analyzing a title: %d/%d", rc, c.rc);

    char term[600];
    snprintf(term, sizeof term, "%s%s", SOU_PREFIX_SOURCE, source);
    sou_doc_add_boolean(d, term, strlen(term));
    for (const char *p = source; (p = strchr(p, '/')) != NULL; p++) {
        snprintf(term, sizeof term, "%s%.*s", SOU_PREFIX_SOURCE_PATH,
                 (int)(p - source + 1), source);
        sou_doc_add_boolean(d, term, strlen(term));
    }
    snprintf(term, sizeof term, "%s%s", SOU_PREFIX_SOURCE_PATH, source);
    sou_doc_add_boolean(d, term, strlen(term));
    const char *base = strrchr(source, '/');
    base = base ? base + 1 : source;
    const char *dot = strrchr(base, '.');
    snprintf(term, sizeof term, "%s%.*s", SOU_PREFIX_SOURCE_COMPONENT,
             (int)(dot ? (size_t)(dot - base) : strlen(base)), base);
    sou_doc_add_boolean(d, term, strlen(term));

    sou_doc_set_value(d, SOU_SLOT_SOURCE, source, strlen(source));
    sou_record r = { ordinal, start, end, source, strlen(source), title,
                     strlen(title), text + start, end - start };
    char *data = NULL;
    size_t data_len = 0;
    FUZZ_CHECK(sou_record_encode(&r, &data, &data_len) == 0, "encode");
    sou_doc_set_record(d, data, data_len);
    free(data);
    sou_error err = { 0, "" };
    FUZZ_CHECK(sou_writer_add(w, d, &err) == 0, "add: %s", err.msg);
}

/* Paragraphs (blank-line separated) of text become passages. */
static void add_source(sou_writer *w, sou_analyzer *a, sou_doc *d,
                       const char *source, const char *title,
                       const char *text, size_t len)
{
    uint64_t ordinal = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (text[i] == '\n' || text[i] == ' ')) i++;
        const char *end = NULL;
        for (size_t j = i; j + 1 < len; j++)
            if (text[j] == '\n' && text[j + 1] == '\n') { end = text + j; break; }
        size_t e = end ? (size_t)(end - text) : len;
        while (e > i && (text[e - 1] == '\n' || text[e - 1] == ' ')) e--;
        if (e > i) add_passage(w, a, d, source, title, text, i, e, ordinal++);
        i = end ? (size_t)(end - text) + 2 : len;
    }
}

static void build_index(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(index_dir, sizeof index_dir, "%s/sou-fuzz-query-XXXXXX",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(index_dir) != NULL, "mkdtemp %s", index_dir);
    atexit(remove_index);

    sou_analyzer *a = NULL;
    FUZZ_CHECK(sou_analyzer_new(NULL, &a) == 0, "analyzer");
    sou_writer *w = NULL;
    sou_error err = { 0, "" };
    FUZZ_CHECK(sou_writer_open(index_dir, &w, &err) == 0, "open: %s", err.msg);
    sou_doc *d = NULL;
    FUZZ_CHECK(sou_doc_new(&d) == 0, "doc");

    FILE *f = fopen(SOU_SAMPLE_FILE, "rb");
    if (f) {
        static char sample[1 << 16];
        size_t n = fread(sample, 1, sizeof sample, f);
        fclose(f);
        add_source(w, a, d, "corpus/sample/un.txt", "网络安全", sample, n);
    }
    for (size_t i = 0; i < sizeof extra_docs / sizeof extra_docs[0]; i++)
        add_source(w, a, d, extra_docs[i].source, extra_docs[i].title,
                   extra_docs[i].text, strlen(extra_docs[i].text));

    const char *id = sou_analyzer_identity(a);
    FUZZ_CHECK(sou_writer_set_metadata(w, SOU_META_IDENTITY, id, strlen(id),
                                       &err) == 0, "meta: %s", err.msg);
    FUZZ_CHECK(sou_writer_set_metadata(w, SOU_META_FORMAT, SOU_INDEX_FORMAT, 1, &err) == 0,
               "meta: %s", err.msg);
    FUZZ_CHECK(sou_writer_commit(w, &err) == 0, "commit: %s", err.msg);
    sou_writer_close(w);
    sou_doc_free(d);
    sou_analyzer_free(a);

    const char *paths[1] = { index_dir };
    FUZZ_CHECK(sou_index_open(paths, 1, NULL, &ix, &err) == 0,
               "sou_index_open: %s", err.msg);
}

static void check_spans(const sou_highlight *h, size_t n, size_t len,
                        const char *what)
{
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(h[i].start < h[i].end && h[i].end <= len,
                   "%s highlight %zu [%zu,%zu) of %zu", what, i, h[i].start,
                   h[i].end, len);
        FUZZ_CHECK(i == 0 || h[i].start > h[i - 1].end,
                   "%s highlights %zu and %zu overlap or touch", what, i - 1,
                   i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ix) build_index();
    if (size == 0) return 0;
    unsigned flags = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    sou_error err = { 0, "" };
    sou_search_query *q = NULL;
    unsigned pflags = (flags & 1) ? SOU_QUERY_LENIENT : 0;
    int rc = sou_search_query_parse(ix, text, len, pflags, &q, &err);
    if (rc == SOU_EQUERY) {
        FUZZ_CHECK(!(flags & 1), "lenient parse failed: %s", err.msg);
        FUZZ_CHECK(strstr(err.msg, "column") != NULL,
                   "query error without a column: '%s'", err.msg);
        FUZZ_CHECK(q == NULL, "query handed out on error");
        return 0;
    }
    FUZZ_CHECK(rc == 0 || rc == SOU_ENOMEM, "parse returned %d: %s", rc,
               err.msg);
    if (rc != 0) return 0;
    FUZZ_CHECK(sou_search_query_describe(q) != NULL, "no description");
    size_t nterms = sou_search_query_term_count(q);
    for (size_t i = 0; i < nterms; i++) {
        const sou_query_term_info *ti = sou_search_query_term(q, i);
        FUZZ_CHECK(ti && ti->term && ti->len > 0 && ti->kind, "term info %zu",
                   i);
    }

    sou_search_options so;
    sou_search_options_default(&so);
    so.collapse = (flags >> 1) & 1;
    so.offset = (flags >> 2) & 1;
    so.exact_count = (flags >> 3) & 1;
    so.with_doclen = (flags >> 4) & 1;
    sou_results *res = NULL;
    rc = sou_search_run(ix, q, &so, &res, &err);
    FUZZ_CHECK(rc == 0 || rc == SOU_ENOMEM, "run returned %d: %s", rc,
               err.msg);
    if (rc == 0) {
        size_t n = sou_results_size(res);
        FUZZ_CHECK(n <= so.limit, "%zu results for limit %lu", n,
                   (unsigned long)so.limit);
        for (size_t i = 0; i < n; i++) {
            const sou_result *r = sou_results_get(res, i);
            FUZZ_CHECK(r->start <= r->end &&
                       r->end - r->start == r->text_len,
                       "range [%lu,%lu) for %zu bytes of text",
                       (unsigned long)r->start, (unsigned long)r->end,
                       r->text_len);
            check_spans(r->highlights, r->n_highlights, r->text_len, "text");
            FUZZ_CHECK(r->snippet && r->snippet[r->snippet_len] == '\0',
                       "snippet not terminated");
            check_spans(r->snippet_highlights, r->n_snippet_highlights,
                        r->snippet_len, "snippet");
            FUZZ_CHECK(fuzz_utf8_valid(r->snippet, r->snippet_len),
                       "snippet not UTF-8");
        }
        uint64_t count = 0;
        rc = sou_search_count(ix, q, so.collapse, &count, &err);
        FUZZ_CHECK(rc == 0, "count returned %d: %s", rc, err.msg);
        FUZZ_CHECK(n == 0 || count >= so.offset + n, "count %lu < %zu results",
                   (unsigned long)count, n);
        if (n > 0 && nterms <= 64 && so.with_doclen) {
            sou_explain_part parts[64];
            uint64_t dc = 0;
            double avl = 0;
            rc = sou_search_explain(ix, q, &so, res, 0, parts, &dc, &avl,
                                    &err);
            FUZZ_CHECK(rc == 0, "explain returned %d: %s", rc, err.msg);
        }
    }
    sou_results_free(res);
    sou_search_query_free(q);
    return 0;
}
