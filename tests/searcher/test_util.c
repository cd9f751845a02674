/* test_util.c - see test_util.h. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

sou_index *t_open(const char *dir)
{
    sou_index *ix;
    sou_error err = {0};
    const char *paths[1] = {dir};
    int rc = sou_index_open(paths, 1, NULL, &ix, &err);
    if (rc) {
        fprintf(stderr, "cannot open %s: %s (%s)\n", dir, err.msg, sou_strerror(rc));
        exit(2);
    }
    return ix;
}

sou_results *t_run(sou_index *ix, const char *text, unsigned flags,
                   const sou_search_options *opts, sou_search_query **qout,
                   int *rc, sou_error *err)
{
    sou_search_options o;
    if (opts) o = *opts;
    else {
        sou_search_options_default(&o);
        o.limit = 0;
    }
    sou_search_query *q = NULL;
    sou_results *res = NULL;
    sou_error_clear(err);
    *rc = sou_search_query_parse(ix, text, strlen(text), flags, &q, err);
    if (!*rc) *rc = sou_search_run(ix, q, &o, &res, err);
    if (qout && !*rc) *qout = q;
    else sou_search_query_free(q);
    return res;
}

const char *t_name(const sou_result *r, char *buf, size_t cap)
{
    const char *s = r->source, *end = r->source + r->source_len, *rel = s;
    for (const char *p = s; p + 7 <= end; p++)
        if (memcmp(p, "corpus/", 7) == 0) rel = p + 7;
    snprintf(buf, cap, "%.*s:%llu", (int)(end - rel), rel,
             (unsigned long long)r->ordinal);
    return buf;
}

typedef struct tok { size_t start, end; int match; } tok;
typedef struct tok_ctx {
    const sou_search_query *q;
    tok *t; size_t n, cap;
} tok_ctx;

static int tok_cb(void *vctx, const sou_term *t)
{
    tok_ctx *c = vctx;
    int match = 0;
    for (size_t i = 0; i < sou_search_query_term_count(c->q); i++) {
        const sou_query_term_info *qi = sou_search_query_term(c->q, i);
        if (qi->len == t->len && memcmp(qi->term, t->term, t->len) == 0) match = 1;
    }
    if (!match) return 0;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->t = realloc(c->t, c->cap * sizeof *c->t);
        if (!c->t) abort();
    }
    c->t[c->n++] = (tok){t->start, t->end, 1};
    return 0;
}

int t_check_highlights(sou_analyzer *an, const sou_search_query *q,
                       const sou_result *r, const char *what)
{
    tok_ctx c = {q, NULL, 0, 0};
    int bad = 0;
    sou_analyzer_run(an, r->text, r->text_len, tok_cb, &c);
    for (size_t i = 0; i < r->n_highlights; i++) {
        size_t s = r->highlights[i].start, e = r->highlights[i].end;
        int starts = 0, ends = 0;
        /* every byte of [s,e) inside some matching token within [s,e) */
        size_t covered = s;
        for (int progress = 1; progress && covered < e;) {
            progress = 0;
            for (size_t k = 0; k < c.n; k++)
                if (c.t[k].start <= covered && c.t[k].end > covered &&
                    c.t[k].start >= s && c.t[k].end <= e) {
                    covered = c.t[k].end;
                    progress = 1;
                }
        }
        for (size_t k = 0; k < c.n; k++) {
            if (c.t[k].start == s) starts = 1;
            if (c.t[k].end == e) ends = 1;
        }
        if (e <= s || e > r->text_len || !starts || !ends || covered < e) {
            bad++;
            CHECK(0, "%s: highlight [%zu,%zu) \"%.*s\" is not covered by query-term tokens",
                  what, s, e, (int)(e > s && e <= r->text_len ? e - s : 0), r->text + s);
        }
    }
    for (size_t i = 0; i < r->n_snippet_highlights; i++) {
        const sou_highlight *h = &r->snippet_highlights[i];
        size_t n = h->end - h->start;
        int found = 0;
        for (size_t k = 0; k < r->n_highlights && !found; k++) {
            const sou_highlight *t = &r->highlights[k];
            /* a snippet span may be a cut-off part of a text span */
            for (size_t off = t->start; off + n <= t->end && !found; off++)
                if (memcmp(r->text + off, r->snippet + h->start, n) == 0) found = 1;
        }
        if (!found || h->end > r->snippet_len) {
            bad++;
            CHECK(0, "%s: snippet highlight [%zu,%zu) matches no text highlight", what,
                  h->start, h->end);
        }
    }
    free(c.t);
    return bad;
}
