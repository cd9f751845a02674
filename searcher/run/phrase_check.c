/* phrase_check.c - phrases checked against the passage text, for indexes
 * built without positions (sou/terms.h).
 *
 * The store hands over each document that has every term of a phrase and
 * can still enter the result; this file analyzes the record's text (or
 * title, for "S" terms) with the index's analysis and looks for the terms
 * at the positions a positional index would have stored. The analyzer runs
 * without stems and dictionary words: both are colocated, never
 * positional, so the positions are the same and the work is smaller. Only
 * positional terms (SOU_TERM_POSITIONAL) count, as only they had positions.
 *
 * The test is Xapian 1.4's: a window as wide as the phrase is an exact
 * phrase (term i at the first term's position + i, ExactPhrasePostList);
 * a wider window wants the terms in order within it, taking each term's
 * first position after the previous one (PhrasePostList::test_doc).
 *
 * A phrase of CJK bigrams only (a Chinese string, the common case) needs
 * no segmentation: CJK characters are one position each and a bigram
 * links every two neighbours, so the phrase is there exactly when its
 * characters follow each other in the folded text: a substring search,
 * first in the text as it is (sou_analyzer_holds_as_folded: most
 * candidates hold the phrase in its folded form), else in
 * sou_analyzer_fold's output.
 *
 * The last analysis and fold of the text and of the title are kept: the
 * phrases of one query meet the same document in turn, and the passages
 * of a source share its title.
 */
#include "search_internal.h"

#include <stdlib.h>
#include <string.h>

#include "sou/record.h"

typedef struct pterm {
    size_t off, len;    /* term bytes in field_cache.buf */
    uint32_t pos;
} pterm;

typedef struct field_cache {
    int valid;                        /* text holds the field seen last */
    char *text; size_t len, cap;
    int analyzed;                     /* t: its positional terms, by position */
    pterm *t; size_t nt, capt;
    char *buf; size_t nbuf, capbuf;
    int nomem;
    char *folded; size_t flen;        /* its fold (NULL: not made yet) */
} field_cache;

struct sou_phrase_checker {
    sou_analyzer *an;
    field_cache field[2];             /* 0: text, 1: title */
    uint32_t *pos; size_t cappos;     /* positions of one phrase term */
    size_t *first; size_t capfirst;   /* per phrase term: start in pos */
    char *chain; size_t capchain;     /* a bigram phrase's characters */
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *np = realloc(*p, c * elem);
    if (!np) return -1;
    *p = np;
    *cap = c;
    return 0;
}

int sou_phrase_checker_new(sou_phrase_checker **out)
{
    *out = NULL;
    sou_phrase_checker *c = calloc(1, sizeof *c);
    if (!c) return SOU_ENOMEM;
    sou_analyzer_options o;
    sou_analyzer_options_default(&o);
    o.stem = 0;
    o.cjk_words = 0;
    int rc = sou_analyzer_new(&o, &c->an);
    if (rc) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void sou_phrase_checker_free(sou_phrase_checker *c)
{
    if (!c) return;
    sou_analyzer_free(c->an);
    for (int i = 0; i < 2; i++) {
        free(c->field[i].text);
        free(c->field[i].t);
        free(c->field[i].buf);
        free(c->field[i].folded);
    }
    free(c->chain);
    free(c->pos);
    free(c->first);
    free(c);
}

static int collect(void *ctx, const sou_term *t)
{
    field_cache *f = ctx;
    if (!(t->flags & SOU_TERM_POSITIONAL)) return 0;
    if (grow((void **)&f->t, &f->capt, f->nt + 1, sizeof *f->t) ||
        grow((void **)&f->buf, &f->capbuf, f->nbuf + t->len, 1)) {
        f->nomem = 1;
        return 1;
    }
    memcpy(f->buf + f->nbuf, t->term, t->len);
    f->t[f->nt++] = (pterm){f->nbuf, t->len, t->pos};
    f->nbuf += t->len;
    return 0;
}

/* Make f the cache of text[0..len) (kept when it already is). */
static int field_set(field_cache *f, const char *text, size_t len)
{
    if (f->valid && f->len == len && memcmp(f->text, text, len) == 0) return 0;
    f->valid = f->analyzed = 0;
    free(f->folded);
    f->folded = NULL;
    if (grow((void **)&f->text, &f->cap, len ? len : 1, 1)) return SOU_ENOMEM;
    memcpy(f->text, text, len);
    f->len = len;
    f->valid = 1;
    return 0;
}

/* The positional terms of the field. */
static int analyze(sou_phrase_checker *c, field_cache *f)
{
    if (f->analyzed) return 0;
    f->nt = f->nbuf = 0;
    f->nomem = 0;
    int rc = sou_analyzer_run(c->an, f->text, f->len, collect, f);
    if (f->nomem) return SOU_ENOMEM;
    if (rc) return rc;
    f->analyzed = 1;
    return 0;
}

/* Decode one UTF-8 code point of a term (terms are valid UTF-8). */
static uint32_t term_cp(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char b = s[*i];
    size_t n = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    if (*i + n > len) n = len - *i;
    uint32_t c = n == 1 ? b : (uint32_t)(b & (0x7f >> n));
    for (size_t k = 1; k < n; k++) c = (c << 6) | (s[*i + k] & 0x3f);
    *i += n;
    return c;
}

/* For an exact phrase whose terms are all CJK bigrams: 1 and its chain of
 * characters in c->chain (*clen bytes) when they link (the second
 * character of each is the first of the next), 0 when they cannot, -1
 * when the phrase is not of that kind; SOU_ENOMEM. */
static int bigram_chain(sou_phrase_checker *c, const sou_phrase *ph, size_t skip, size_t *clen)
{
    size_t n = ph->n, used = 0;
    if (ph->window > n) return -1;
    uint32_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *t = (const unsigned char *)ph->terms[i] + skip;
        size_t tl = ph->lens[i] - skip, k = 0;
        uint32_t a = tl ? term_cp(t, tl, &k) : 0;
        size_t mid = k;
        uint32_t b = k < tl ? term_cp(t, tl, &k) : 0;
        if (!b || k != tl || !sou_analyzer_is_cjk(c->an, a) || !sou_analyzer_is_cjk(c->an, b))
            return -1;
        if (i > 0 && a != prev) return 0;
        const unsigned char *from = i == 0 ? t : t + mid;
        size_t add = i == 0 ? tl : tl - mid;
        if (grow((void **)&c->chain, &c->capchain, used + add, 1)) return SOU_ENOMEM;
        memcpy(c->chain + used, from, add);
        used += add;
        prev = b;
    }
    *clen = used;
    return 1;
}

static int contains(const char *h, size_t hl, const char *nd, size_t nl)
{
    if (nl == 0 || nl > hl) return nl == 0;
    for (const char *p = h, *end = h + hl - nl; p <= end; p++) {
        p = memchr(p, nd[0], (size_t)(end - p) + 1);
        if (!p) return 0;
        if (memcmp(p, nd, nl) == 0) return 1;
    }
    return 0;
}

/* Is there a position in sorted p[0..n) equal to want (exact) or, with
 * after, the first one above want? Returns its index, or n. */
static size_t find_pos(const uint32_t *p, size_t n, uint32_t want, int after)
{
    size_t lo = 0, hi = n;
    uint32_t key = after ? want + 1 : want;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    if (lo < n && !after && p[lo] != want) return n;
    return lo;
}

int sou_phrase_holds(void *ctx, const sou_phrase *ph, const sou_record *rec)
{
    sou_phrase_checker *c = ctx;
    const size_t n = ph->n;
    if (n == 0) return 0;
    const sou_record r = *rec;
    /* title terms are "S" + the analyzer's output over the title */
    int title = ph->lens[0] > 0 && ph->terms[0][0] == 'S';
    size_t skip = title ? 1 : 0;
    field_cache *f = &c->field[title];
    int rc = title ? field_set(f, r.title, r.title_len) : field_set(f, r.text, r.text_len);
    if (rc) return rc;
    size_t clen;
    rc = bigram_chain(c, ph, skip, &clen);
    if (rc < -1) return rc;
    if (rc == 0) return 0;
    if (rc == 1) {
        if (sou_analyzer_holds_as_folded(c->an, f->text, f->len, c->chain, clen)) return 1;
        if (!f->folded && !(f->folded = sou_analyzer_fold(c->an, f->text, f->len, &f->flen)))
            return SOU_ENOMEM;
        return contains(f->folded, f->flen, c->chain, clen);
    }
    if ((rc = analyze(c, f))) return rc;
    /* each term's positions, back to back in c->pos */
    if (grow((void **)&c->first, &c->capfirst, n + 1, sizeof *c->first)) return SOU_ENOMEM;
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        c->first[i] = np;
        const char *term = ph->terms[i] + skip;
        size_t tl = ph->lens[i] - skip;
        for (size_t k = 0; k < f->nt; k++) {
            if (f->t[k].len != tl || memcmp(f->buf + f->t[k].off, term, tl) != 0) continue;
            if (grow((void **)&c->pos, &c->cappos, np + 1, sizeof *c->pos)) return SOU_ENOMEM;
            c->pos[np++] = f->t[k].pos;
        }
        if (np == c->first[i]) return 0;   /* a term with no position here */
    }
    c->first[n] = np;
#define LIST(i) (c->pos + c->first[i])
#define COUNT(i) (c->first[(i) + 1] - c->first[i])
    if (ph->window <= n) {
        for (size_t a = 0; a < COUNT(0); a++) {
            uint32_t base = LIST(0)[a];
            size_t i = 1;
            while (i < n && find_pos(LIST(i), COUNT(i), base + (uint32_t)i, 0) < COUNT(i)) i++;
            if (i == n) return 1;
        }
        return 0;
    }
    size_t a = 0;
    while (a < COUNT(0)) {
        uint32_t base = LIST(0)[a], pos = base, b = base;
        size_t i = 0;
        for (;;) {
            if (++i == n) return 1;
            size_t k = find_pos(LIST(i), COUNT(i), pos, 1);
            if (k == COUNT(i)) return 0;
            pos = LIST(i)[k];
            b = pos + (uint32_t)(n - i);
            if (b - base > ph->window) break;
        }
        /* the first start that could fit the window with term i there */
        uint32_t from = b - ph->window;
        while (a < COUNT(0) && LIST(0)[a] < from) a++;
    }
    return 0;
#undef LIST
#undef COUNT
}
