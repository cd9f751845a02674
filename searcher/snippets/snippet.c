/* snippet.c - highlights and snippets from a passage's stored text.
 *
 * Highlights: the passage text is analyzed again with the index's analyzer;
 * a token whose term is one of the query's positive terms marks its
 * ORIGINAL bytes (so a Traditional passage found by a Simplified query
 * highlights the Traditional characters). A phrase marks only its whole
 * occurrences (all of its terms at the right relative positions). Spans are
 * sorted and merged when they overlap or touch.
 *
 * Snippets: a window of N code points (not bytes) placed on the cluster of
 * spans that fits the most of them, centred on it, nudged off the middle
 * of Latin words, with control characters shown as spaces, runs of
 * whitespace collapsed, and "…" where the text was cut.
 */
#include "search_internal.h"

#include <stdlib.h>
#include <string.h>

size_t sou_utf8_seqlen(const char *s, size_t len, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2
             : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 1;
    if (i + n > len) return 1;
    for (size_t k = 1; k < n; k++)
        if (((unsigned char)s[i + k] & 0xC0) != 0x80) return 1;
    return n;
}

size_t sou_utf8_column(const char *s, size_t len, size_t off)
{
    size_t col = 1, i = 0;
    while (i < off && i < len) {
        i += sou_utf8_seqlen(s, len, i);
        col++;
    }
    return col;
}

/* ---- highlights ---- */

typedef struct hl_tok {
    uint32_t pos;
    size_t start, end;
    size_t term;      /* index into q->hl_terms of the first equal term */
} hl_tok;

typedef struct hl_ctx {
    const sou_search_query *q;
    hl_tok *toks; size_t n, cap;
    int failed;
} hl_ctx;

static int tok_push(hl_ctx *c, const sou_term *t, size_t term)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        hl_tok *nt = realloc(c->toks, cap * sizeof *nt);
        if (!nt) {
            c->failed = 1;
            return 1;
        }
        c->toks = nt;
        c->cap = cap;
    }
    c->toks[c->n++] = (hl_tok){t->pos, t->start, t->end, term};
    return 0;
}

/* Keep each token whose term a pattern uses (one record per distinct
 * pattern term it equals, or per prefix pattern it starts with). */
static int hl_cb(void *ctx, const sou_term *t)
{
    hl_ctx *c = ctx;
    const sou_search_query *q = c->q;
    for (size_t p = 0; p < q->npatterns; p++) {
        const sou_hl_pattern *pat = &q->patterns[p];
        for (size_t k = pat->first; k < pat->first + pat->n; k++) {
            const sou_hl_term *h = &q->hl_terms[k];
            int hit = pat->prefix
                ? (t->kind == SOU_TERM_WORD || t->kind == SOU_TERM_NUMBER) &&
                  t->len >= h->len && memcmp(t->term, h->term, h->len) == 0
                : t->len == h->len && memcmp(t->term, h->term, h->len) == 0;
            if (hit && tok_push(c, t, k)) return 1;
        }
    }
    return 0;
}

static int same_term(const sou_search_query *q, size_t a, size_t b)
{
    const sou_hl_term *x = &q->hl_terms[a], *y = &q->hl_terms[b];
    return x->len == y->len && memcmp(x->term, y->term, x->len) == 0;
}

static int cmp_span(const void *a, const void *b)
{
    const sou_highlight *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* First token index with pos >= want (tokens are in position order). */
static size_t lower_pos(const hl_ctx *c, uint32_t want)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->toks[mid].pos < want) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Token at position pos whose term equals pattern term k, or SIZE_MAX. */
static size_t find_at(const hl_ctx *c, uint32_t pos, size_t k)
{
    for (size_t i = lower_pos(c, pos); i < c->n && c->toks[i].pos == pos; i++)
        if (same_term(c->q, c->toks[i].term, k)) return i;
    return SIZE_MAX;
}

int sou_highlight_passage(const sou_search_query *q, sou_analyzer *an,
                          const char *text, size_t len,
                          sou_highlight **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (q->npatterns == 0 || len == 0) return 0;
    hl_ctx c = {q, NULL, 0, 0, 0};
    int rc = sou_analyzer_run(an, text, len, hl_cb, &c);
    if (c.failed || (rc && rc != SOU_ESTOPPED)) {
        free(c.toks);
        return SOU_ENOMEM;
    }
    sou_highlight *spans = NULL;
    size_t ns = 0, cap = 0;
    for (size_t p = 0; p < q->npatterns; p++) {
        const sou_hl_pattern *pat = &q->patterns[p];
        for (size_t i = 0; i < c.n; i++) {
            if (c.toks[i].term != pat->first &&
                (pat->prefix || !same_term(q, c.toks[i].term, pat->first)))
                continue;
            size_t need = ns + pat->n, ok = 1;
            if (need > cap) {
                size_t nc = cap ? cap * 2 : 32;
                while (nc < need) nc *= 2;
                sou_highlight *s = realloc(spans, nc * sizeof *s);
                if (!s) {
                    free(spans);
                    free(c.toks);
                    return SOU_ENOMEM;
                }
                spans = s;
                cap = nc;
            }
            size_t base = ns;
            spans[ns++] = (sou_highlight){c.toks[i].start, c.toks[i].end};
            for (size_t k = 1; k < pat->n && ok; k++) {
                const sou_hl_term *h = &q->hl_terms[pat->first + k];
                size_t j = find_at(&c, c.toks[i].pos + h->rel, pat->first + k);
                if (j == SIZE_MAX) ok = 0;
                else spans[ns++] = (sou_highlight){c.toks[j].start, c.toks[j].end};
            }
            if (!ok) ns = base;
        }
    }
    free(c.toks);
    if (ns == 0) {
        free(spans);
        return 0;
    }
    qsort(spans, ns, sizeof *spans, cmp_span);
    size_t m = 0;
    for (size_t i = 0; i < ns; i++) {
        if (spans[i].end <= spans[i].start) continue;
        if (m && spans[i].start <= spans[m - 1].end) {
            if (spans[i].end > spans[m - 1].end) spans[m - 1].end = spans[i].end;
        } else {
            spans[m++] = spans[i];
        }
    }
    *out = spans;
    *nout = m;
    return 0;
}

/* ---- snippets ---- */

static int is_space_byte(unsigned char c)
{
    return c == ' ' || c < 0x20 || c == 0x7F;
}

static int is_alnum_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

int sou_snippet_make(const char *text, size_t len,
                     const sou_highlight *spans, size_t nspans, size_t chars,
                     char **snip, size_t *snip_len,
                     sou_highlight **sspans, size_t *nsspans)
{
    *snip = NULL;
    *snip_len = 0;
    *sspans = NULL;
    *nsspans = 0;
    /* byte offset of every code point, plus len at the end */
    size_t nch = 0;
    for (size_t i = 0; i < len; i += sou_utf8_seqlen(text, len, i)) nch++;
    size_t *at = malloc((nch + 1) * sizeof *at);
    if (!at) return SOU_ENOMEM;
    nch = 0;
    for (size_t i = 0; i < len; i += sou_utf8_seqlen(text, len, i)) at[nch++] = i;
    at[nch] = len;

    size_t cs = 0, ce = nch;   /* window in code points */
    if (chars && nch > chars) {
        /* spans as code point ranges */
        size_t *sc = NULL;
        if (nspans) {
            sc = malloc(2 * nspans * sizeof *sc);
            if (!sc) {
                free(at);
                return SOU_ENOMEM;
            }
            size_t k = 0;
            for (size_t i = 0; i < nspans; i++) {
                while (k < nch && at[k] < spans[i].start) k++;
                sc[2 * i] = k;
                size_t e = k;
                while (e < nch && at[e] < spans[i].end) e++;
                sc[2 * i + 1] = e;
            }
        }
        size_t best_i = 0, best_j = 0, best = 0;
        for (size_t i = 0, j = 0; i < nspans; i++) {
            if (j < i) j = i;
            while (j + 1 < nspans && sc[2 * (j + 1) + 1] - sc[2 * i] <= chars) j++;
            if (j - i + 1 > best) {
                best = j - i + 1;
                best_i = i;
                best_j = j;
            }
        }
        if (best) {
            size_t lo = sc[2 * best_i], hi = sc[2 * best_j + 1];
            if (hi - lo > chars) hi = lo + chars;   /* one huge span */
            size_t slack = chars - (hi - lo);
            cs = lo > slack / 2 ? lo - slack / 2 : 0;
            if (cs + chars > nch) cs = nch - chars;
            ce = cs + chars;
            /* don't start or end in the middle of a Latin word */
            for (size_t n = 0; n < 15 && cs > 0 && cs < lo &&
                 is_alnum_byte((unsigned char)text[at[cs - 1]]) &&
                 is_alnum_byte((unsigned char)text[at[cs]]); n++)
                cs++;
            for (size_t n = 0; n < 15 && ce < nch && ce > hi &&
                 is_alnum_byte((unsigned char)text[at[ce - 1]]) &&
                 is_alnum_byte((unsigned char)text[at[ce]]); n++)
                ce--;
        } else {
            ce = chars;
        }
        free(sc);
    }
    size_t bs = at[cs], be = at[ce];
    int cut_front = cs > 0, cut_back = ce < nch;
    free(at);
    while (bs < be && is_space_byte((unsigned char)text[bs])) bs++;
    while (be > bs && is_space_byte((unsigned char)text[be - 1])) be--;

    static const char ell[] = "\xE2\x80\xA6";   /* … */
    char *out = malloc((be - bs) + 2 * 3 + 1);
    size_t *map = malloc((be - bs + 1) * sizeof *map);  /* byte -> out offset */
    sou_highlight *os = nspans ? malloc(nspans * sizeof *os) : NULL;
    if (!out || !map || (nspans && !os)) {
        free(out);
        free(map);
        free(os);
        return SOU_ENOMEM;
    }
    size_t o = 0, nos = 0;
    if (cut_front) { memcpy(out, ell, 3); o = 3; }
    int prev_space = 0;
    for (size_t i = bs; i < be; i++) {
        unsigned char c = (unsigned char)text[i];
        map[i - bs] = o;
        if (is_space_byte(c)) {
            if (prev_space) continue;
            out[o++] = ' ';
            prev_space = 1;
        } else {
            out[o++] = (char)c;
            prev_space = 0;
        }
    }
    map[be - bs] = o;
    for (size_t i = 0; i < nspans; i++) {
        size_t s0 = spans[i].start < bs ? bs : spans[i].start;
        size_t e0 = spans[i].end > be ? be : spans[i].end;
        if (s0 >= e0) continue;
        os[nos++] = (sou_highlight){map[s0 - bs], map[e0 - bs]};
    }
    free(map);
    if (cut_back) { memcpy(out + o, ell, 3); o += 3; }
    out[o] = '\0';
    if (nos == 0) {
        free(os);
        os = NULL;
    }
    *snip = out;
    *snip_len = o;
    *sspans = os;
    *nsspans = nos;
    return 0;
}
