/* build.c - syntax tree -> Xapian query (through sou/store.h), using the
 * index's analyzer on every unit so query terms are index terms.
 *
 * Per unit (a whitespace-delimited chunk or a quoted phrase):
 *   - Latin-only, one word: unquoted -> its stem term "Z..." (every
 *     inflection; the word itself when the analyzer gave no stem), quoted
 *     -> the exact word, word* -> every term starting with the word;
 *     several words (foo-bar, gpm(8), "a b c") -> the phrase of the words.
 *   - with CJK characters: the chain of positional terms that link each
 *     position to the next (CJK_BIGRAM for char-char, CJK_JOIN for
 *     char-word and word-char, the WORD itself where nothing links it) as
 *     a phrase whose window is the number of positions spanned: a match is
 *     exactly the query's substring. A lone CJK char is its CJK_UNIGRAM
 *     (every passage with that char). The analyzer's CJK_WORD dictionary
 *     terms are added with AND_MAYBE: ranking weight, no effect on the set.
 * Groups: positives ANDed, negatives AND_NOT'ed (only negatives: every
 * passage except), source: filters ORed then applied with FILTER (no
 * weight); the positive plain units again over title terms, added with
 * AND_MAYBE (title_boost: weight only). Each weighted term is recorded
 * for --explain and each positive body unit becomes a highlight pattern
 * for snippets.
 */
#include "search_internal.h"

#include <stdlib.h>
#include <string.h>

#include "sou/terms.h"

typedef struct aterm {
    size_t off, len;          /* term bytes in builder.buf */
    uint32_t pos;
    sou_term_kind kind;
} aterm;

typedef struct builder {
    sou_search_query *q;
    sou_analyzer *an;
    sou_error *err;
    int rc;                   /* sticky: first failure */
    aterm *t; size_t nt, capt;
    char *buf; size_t nbuf, capbuf;
    uint32_t qpos;            /* query position of the current unit's 0 */
    size_t *tslot, ntslot;    /* hash of q->terms (index + 1; 0: empty) */
} builder;

static sou_query *oom(builder *b)
{
    if (!b->rc) b->rc = sou_error_set(b->err, SOU_ENOMEM, "out of memory");
    return NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *np = realloc(*p, c * elem);
    if (!np) return -1;
    *p = np;
    *cap = c;
    return 0;
}

static int collect_cb(void *ctx, const sou_term *t)
{
    builder *b = ctx;
    if (grow((void **)&b->t, &b->capt, b->nt + 1, sizeof *b->t) ||
        grow((void **)&b->buf, &b->capbuf, b->nbuf + t->len, 1))
        return 1;
    memcpy(b->buf + b->nbuf, t->term, t->len);
    b->t[b->nt++] = (aterm){b->nbuf, t->len, t->pos, t->kind};
    b->nbuf += t->len;
    return 0;
}

static int analyze(builder *b, const char *text, size_t len)
{
    if (b->nt) b->qpos += b->t[b->nt - 1].pos + 1;   /* after the last unit */
    b->nt = 0;
    b->nbuf = 0;
    int rc = sou_analyzer_run(b->an, text, len, collect_cb, b);
    if (rc) {
        oom(b);
        return -1;
    }
    return 0;
}

static const char *kind_name(sou_term_kind k, int title)
{
    if (!title) return sou_term_kind_name(k);
    switch (k) {
    case SOU_TERM_WORD: return "title_word";
    case SOU_TERM_NUMBER: return "title_number";
    case SOU_TERM_STEM: return "title_stem";
    case SOU_TERM_CJK_UNIGRAM: return "title_cjk_unigram";
    case SOU_TERM_CJK_BIGRAM: return "title_cjk_bigram";
    case SOU_TERM_CJK_JOIN: return "title_cjk_join";
    case SOU_TERM_CJK_WORD: return "title_cjk_word";
    }
    return "title";
}

static size_t term_hash(const char *term, size_t len)
{
    size_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)term[i]) * 1099511628211ULL;
    return h;
}

/* Keep the term hash at most half full (a linear scan of q->terms made a
 * query of 100,000 distinct words quadratic). */
static int tslot_grow(builder *b)
{
    sou_search_query *q = b->q;
    if (b->ntslot >= 2 * (q->nterms + 1)) return 0;
    size_t n = b->ntslot ? b->ntslot * 2 : 64;
    while (n < 2 * (q->nterms + 1)) n *= 2;
    size_t *slots = calloc(n, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < q->nterms; i++) {
        size_t h = term_hash(q->terms[i].term, q->terms[i].len) & (n - 1);
        while (slots[h]) h = (h + 1) & (n - 1);
        slots[h] = i + 1;
    }
    free(b->tslot);
    b->tslot = slots;
    b->ntslot = n;
    return 0;
}

static int note_weighted(builder *b, const char *term, size_t len,
                         const char *kind)
{
    sou_search_query *q = b->q;
    if (tslot_grow(b)) return -1;
    size_t h = term_hash(term, len) & (b->ntslot - 1);
    for (; b->tslot[h]; h = (h + 1) & (b->ntslot - 1)) {
        size_t i = b->tslot[h] - 1;
        if (q->terms[i].len == len && memcmp(q->terms[i].term, term, len) == 0) {
            q->terms[i].wqf++;
            return 0;
        }
    }
    if (grow((void **)&q->terms, &q->capterms, q->nterms + 1, sizeof *q->terms))
        return -1;
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, term, len);
    copy[len] = '\0';
    q->terms[q->nterms++] = (sou_query_term_info){copy, len, kind, 1};
    b->tslot[h] = q->nterms;
    return 0;
}

/* Query node for prefix + the analyzed term t. */
static sou_query *mkterm(builder *b, const char *prefix, const aterm *t,
                         int weighted)
{
    size_t plen = strlen(prefix), len = plen + t->len;
    char stackbuf[256], *tb = len <= sizeof stackbuf ? stackbuf : malloc(len);
    if (!tb) return oom(b);
    memcpy(tb, prefix, plen);
    memcpy(tb + plen, b->buf + t->off, t->len);
    sou_query *node = sou_query_term(b->q->pool, tb, len, 1, b->qpos + t->pos + 1);
    if (node && weighted && note_weighted(b, tb, len, kind_name(t->kind, plen > 0)))
        node = NULL;
    if (tb != stackbuf) free(tb);
    return node ? node : oom(b);
}

static sou_query *mkop(builder *b, sou_qop op, sou_query *const *subs,
                       size_t n, uint32_t window)
{
    if (n == 1 && op != SOU_QOP_PHRASE) return subs[0];
    sou_query *node = sou_query_op(b->q->pool, op, subs, n, window);
    return node ? node : oom(b);
}

static sou_query *mkop2(builder *b, sou_qop op, sou_query *l, sou_query *r)
{
    sou_query *subs[2] = {l, r};
    return mkop(b, op, subs, 2, 0);
}

/* ---- highlight patterns ---- */

static int hl_add(builder *b, const aterm *t, uint32_t rel)
{
    sou_search_query *q = b->q;
    if (grow((void **)&q->hl_terms, &q->caphl_terms, q->nhl_terms + 1,
             sizeof *q->hl_terms))
        return -1;
    char *copy = malloc(t->len + 1);
    if (!copy) return -1;
    memcpy(copy, b->buf + t->off, t->len);
    copy[t->len] = '\0';
    q->hl_terms[q->nhl_terms++] = (sou_hl_term){copy, t->len, rel};
    return 0;
}

/* Terms ts[0..n) (ascending positions) as one pattern. */
static int hl_pattern(builder *b, const aterm *const *ts, size_t n, int prefix)
{
    sou_search_query *q = b->q;
    size_t first = q->nhl_terms;
    for (size_t i = 0; i < n; i++)
        if (hl_add(b, ts[i], ts[i]->pos - ts[0]->pos)) return -1;
    if (grow((void **)&q->patterns, &q->cappatterns, q->npatterns + 1,
             sizeof *q->patterns))
        return -1;
    q->patterns[q->npatterns++] = (sou_hl_pattern){first, n, prefix};
    return 0;
}

/* Terms ts[0..n) as a phrase (window: positions spanned), or one term. */
static sou_query *phrase_of(builder *b, const char *prefix,
                            const aterm *const *ts, size_t n, int weighted,
                            int highlight)
{
    if (n == 0) return NULL;
    sou_query *stack[16], **subs = n <= 16 ? stack : malloc(n * sizeof *subs);
    if (!subs) return oom(b);
    sou_query *res = NULL;
    size_t i;
    for (i = 0; i < n; i++)
        if (!(subs[i] = mkterm(b, prefix, ts[i], weighted))) break;
    if (i == n) {
        res = n == 1 ? subs[0]
                     : mkop(b, SOU_QOP_PHRASE, subs, n,
                            ts[n - 1]->pos - ts[0]->pos + 1);
        if (res && highlight && hl_pattern(b, ts, n, 0)) res = oom(b);
    }
    if (subs != stack) free(subs);
    return res;
}

static int is_cjk(sou_term_kind k)
{
    return k == SOU_TERM_CJK_UNIGRAM || k == SOU_TERM_CJK_BIGRAM ||
           k == SOU_TERM_CJK_JOIN || k == SOU_TERM_CJK_WORD;
}

static sou_query *build_latin(builder *b, const sou_qnode *n,
                              const char *prefix, int weighted, int highlight)
{
    int quoted = n->kind == SOU_QN_PHRASE;
    const aterm **words = malloc(b->nt * sizeof *words);
    if (!words) return oom(b);
    size_t nw = 0;
    for (size_t i = 0; i < b->nt; i++)
        if (b->t[i].kind == SOU_TERM_WORD || b->t[i].kind == SOU_TERM_NUMBER)
            words[nw++] = &b->t[i];
    sou_query *res = NULL;
    if (nw == 1 && n->wildcard && !quoted) {
        const aterm *w = words[0];
        size_t plen = strlen(prefix);
        char *tb = malloc(plen + w->len);
        if (!tb) {
            free(words);
            return oom(b);
        }
        memcpy(tb, prefix, plen);
        memcpy(tb + plen, b->buf + w->off, w->len);
        res = sou_query_wildcard(b->q->pool, tb, plen + w->len,
                                 SOU_WILDCARD_MAX_EXPANSION);
        free(tb);
        if (!res) res = oom(b);
        else if (highlight && hl_pattern(b, words, 1, 1)) res = oom(b);
    } else if (nw == 1 && !quoted) {
        const aterm *w = words[0], *stem = NULL;
        for (size_t i = 0; i < b->nt; i++)
            if (b->t[i].kind == SOU_TERM_STEM && b->t[i].pos == w->pos) stem = &b->t[i];
        const aterm *use = stem ? stem : w;
        res = mkterm(b, prefix, use, weighted);
        if (res && highlight && hl_pattern(b, &use, 1, 0)) res = oom(b);
    } else {
        res = phrase_of(b, prefix, words, nw, weighted, highlight);
    }
    free(words);
    return res;
}

static sou_query *build_cjk(builder *b, const char *prefix, int weighted,
                            int highlight)
{
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t i = 0; i < b->nt; i++) {
        if (b->t[i].pos < lo) lo = b->t[i].pos;
        if (b->t[i].pos > hi) hi = b->t[i].pos;
    }
    size_t span = (size_t)(hi - lo) + 1;
    /* per position: the link to the next position, the word, the char */
    const aterm **link = calloc(span * 3, sizeof *link);
    const aterm **chain = malloc((span + b->nt) * sizeof *chain);
    sou_query **lone = malloc((span + b->nt) * sizeof *lone);
    if (!link || !chain || !lone) {
        free(link);
        free(chain);
        free(lone);
        return oom(b);
    }
    sou_query **dq = lone + span;
    const aterm **word = link + span, **uni = link + 2 * span;
    const aterm **dict = chain + span;
    size_t nchain = 0, ndict = 0;
    for (size_t i = 0; i < b->nt; i++) {
        const aterm *t = &b->t[i];
        size_t p = t->pos - lo;
        switch (t->kind) {
        case SOU_TERM_CJK_BIGRAM: case SOU_TERM_CJK_JOIN: link[p] = t; break;
        case SOU_TERM_WORD: case SOU_TERM_NUMBER: word[p] = t; break;
        case SOU_TERM_CJK_UNIGRAM: uni[p] = t; break;
        case SOU_TERM_CJK_WORD: dict[ndict++] = t; break;
        default: break;
        }
    }
    sou_query *res = NULL;
    size_t nlone = 0;
    for (size_t p = 0; p < span; p++) {
        int covered = link[p] || (p > 0 && link[p - 1]);
        if (link[p]) chain[nchain++] = link[p];
        /* a word nothing links to its successor pins the next position */
        else if (word[p] && (!covered || p + 1 < span)) chain[nchain++] = word[p];
        else if (!covered && uni[p]) {
            /* A char linked to nothing (a one-char unit, or cut off by
             * punctuation): its unigram has no positions inside longer
             * runs of the index, so it is ANDed, not part of the phrase. */
            if (!(lone[nlone] = mkterm(b, prefix, uni[p], weighted))) goto done;
            if (highlight && hl_pattern(b, &uni[p], 1, 0)) { oom(b); goto done; }
            nlone++;
        }
    }
    if (nchain) {
        if (!(res = phrase_of(b, prefix, chain, nchain, weighted, highlight)))
            goto done;
    }
    for (size_t i = 0; i < nlone; i++)
        if (!(res = res ? mkop2(b, SOU_QOP_AND, res, lone[i]) : lone[i])) goto done;
    if (res && ndict && weighted) {
        size_t nd = 0;
        for (size_t i = 0; i < ndict; i++)
            if (!(dq[nd++] = mkterm(b, prefix, dict[i], weighted))) {
                res = NULL;
                goto done;
            }
        sou_query *maybe = mkop(b, SOU_QOP_OR, dq, nd, 0);
        res = maybe ? mkop2(b, SOU_QOP_AND_MAYBE, res, maybe) : NULL;
    }
done:
    free(link);
    free(chain);
    free(lone);
    return b->rc ? NULL : res;
}

/* A CJK unit's other spellings under ICU's Traditional->Simplified word
 * rules (sou_analyzer_word_pairs: the index folds 螢幕 per character to
 * 萤幕, ICU writes 荧幕): up to MAX_WORD_MATCHES non-overlapping
 * occurrences of either side of a pair in the folded unit, and every
 * combination of swapping them, each built like the unit itself and ORed
 * with it (q). */
#define MAX_WORD_MATCHES 3

static sou_query *with_word_variants(builder *b, const sou_qnode *n, sou_query *q,
                                     const char *prefix, int weighted, int highlight)
{
    const char *const(*pairs)[2];
    size_t npairs = sou_analyzer_word_pairs(&pairs);
    size_t flen;
    char *f = sou_analyzer_fold(b->an, n->text, n->len, &flen);
    if (!f) return oom(b);
    struct { size_t at, len; const char *to; } m[MAX_WORD_MATCHES];
    size_t nm = 0;
    for (size_t i = 0; i < flen && nm < MAX_WORD_MATCHES;) {
        size_t best = 0;
        const char *to = NULL;
        for (size_t p = 0; p < npairs; p++)
            for (int side = 0; side < 2; side++) {
                const char *w = pairs[p][side];
                size_t wl = 0;   /* common prefix of w and f + i */
                while (w[wl] && i + wl < flen && w[wl] == f[i + wl]) wl++;
                if (!w[wl] && wl > best) {
                    best = wl;
                    to = pairs[p][!side];
                }
            }
        if (best) {
            m[nm].at = i;
            m[nm].len = best;
            m[nm++].to = to;
            i += best;
        } else {   /* words start on a character: skip its other bytes */
            do i++; while (i < flen && ((unsigned char)f[i] & 0xc0) == 0x80);
        }
    }
    sou_query *subs[1 << MAX_WORD_MATCHES];
    size_t ns = 0;
    subs[ns++] = q;
    char *v = NULL;
    if (nm) {
        size_t cap = flen + 1;   /* the longest variant swaps every match */
        for (size_t k = 0; k < nm; k++) cap += strlen(m[k].to);
        if (!(v = malloc(cap))) oom(b);
    }
    for (unsigned mask = 1; mask < (1u << nm) && !b->rc; mask++) {
        size_t vl = 0, from = 0;
        for (size_t k = 0; k < nm; k++) {
            if (!(mask & (1u << k))) continue;
            memcpy(v + vl, f + from, m[k].at - from);
            vl += m[k].at - from;
            size_t tl = strlen(m[k].to);
            memcpy(v + vl, m[k].to, tl);
            vl += tl;
            from = m[k].at + m[k].len;
        }
        memcpy(v + vl, f + from, flen - from);
        vl += flen - from;
        b->nt = 0;   /* same query positions as the unit itself */
        if (analyze(b, v, vl)) break;
        sou_query *alt = b->nt ? build_cjk(b, prefix, weighted, highlight) : NULL;
        if (alt) subs[ns++] = alt;
    }
    free(v);
    free(f);
    if (b->rc) return NULL;
    return ns == 1 ? q : mkop(b, SOU_QOP_OR, subs, ns, 0);
}

/* A word, chunk or phrase of body (prefix "") or title (prefix "S") text. */
static sou_query *build_text(builder *b, const sou_qnode *n, int field,
                             int weighted)
{
    const char *prefix = field == SOU_QF_TITLE ? SOU_PREFIX_TITLE : "";
    int highlight = weighted && field == SOU_QF_NONE;
    if (analyze(b, n->text, n->len)) return NULL;
    if (b->nt == 0) return NULL;   /* punctuation only: nothing to match */
    for (size_t i = 0; i < b->nt; i++)
        if (is_cjk(b->t[i].kind)) {
            sou_query *q = build_cjk(b, prefix, weighted, highlight);
            return q ? with_word_variants(b, n, q, prefix, weighted, highlight) : NULL;
        }
    return build_latin(b, n, prefix, weighted, highlight);
}

/* source:VALUE -> boolean filter (weight 0) over XP/XC terms. */
static sou_query *build_source(builder *b, const sou_qnode *n)
{
    if (n->len == 0) return NULL;
    size_t cap = n->len + 4;
    char *t = malloc(cap);
    if (!t) return oom(b);
    sou_query *subs[3];
    size_t ns = 0;
    int has_slash = memchr(n->text, '/', n->len) != NULL;
    int ends_slash = n->text[n->len - 1] == '/';
    size_t pl = strlen(SOU_PREFIX_SOURCE_PATH);
    memcpy(t, SOU_PREFIX_SOURCE_PATH, pl);
    memcpy(t + pl, n->text, n->len);
    subs[ns++] = sou_query_term(b->q->pool, t, pl + n->len, 1, 0);
    if (!ends_slash) {
        t[pl + n->len] = '/';
        subs[ns++] = sou_query_term(b->q->pool, t, pl + n->len + 1, 1, 0);
    }
    if (!has_slash) {
        size_t cl = strlen(SOU_PREFIX_SOURCE_COMPONENT);
        memcpy(t, SOU_PREFIX_SOURCE_COMPONENT, cl);
        for (size_t i = 0; i < n->len; i++) {
            char c = n->text[i];
            t[cl + i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        subs[ns++] = sou_query_term(b->q->pool, t, cl + n->len, 1, 0);
    }
    free(t);
    for (size_t i = 0; i < ns; i++)
        if (!subs[i]) return oom(b);
    sou_query *any = mkop(b, SOU_QOP_OR, subs, ns, 0);
    if (!any) return NULL;
    sou_query *res = sou_query_scale(b->q->pool, any, 0.0);
    return res ? res : oom(b);
}

static sou_query *build_node(builder *b, const sou_qnode *n, int field,
                             int weighted);

static int same_leaf(const sou_qnode *a, const sou_qnode *b)
{
    return a->kind == b->kind && a->negated == b->negated &&
           a->field == b->field && a->wildcard == b->wildcard &&
           a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Marks in dup[] the word/phrase kids that repeat an earlier identical kid
 * of the group: "a a" matches what "a" matches, and a pasted text of
 * 100,000 words (lenient) otherwise opened a Xapian postlist per word
 * (1.4 GB). Returns -1 when out of memory. */
static int mark_duplicate_kids(const sou_qnode *n, unsigned char *dup)
{
    size_t ns = 64;
    while (ns < 2 * n->nkids) ns *= 2;
    size_t *slot = calloc(ns, sizeof *slot);
    if (!slot) return -1;
    for (size_t i = 0; i < n->nkids; i++) {
        const sou_qnode *k = n->kids[i];
        if (k->kind != SOU_QN_UNIT && k->kind != SOU_QN_PHRASE) continue;
        size_t h = term_hash(k->text, k->len) & (ns - 1);
        for (; slot[h]; h = (h + 1) & (ns - 1))
            if (same_leaf(n->kids[slot[h] - 1], k)) { dup[i] = 1; break; }
        if (!dup[i]) slot[h] = i + 1;
    }
    free(slot);
    return 0;
}

/* body AND_MAYBE title: the group's positive plain (no field:) units,
 * built again over the title's S terms and ORed, add weight to passages
 * whose page title has them without changing which passages match
 * (AND_MAYBE keeps the left side's set; counts, NOT and source: filters
 * are as before). OR, not AND, of the title units: a title holding some
 * of the words still counts (both measured the same, search.h). At most
 * SOU_QUERY_MAX_OR_TERMS units (a pasted text of 100,000 words would
 * make an OR that wide, quadratic in Xapian 1.4). Returns body unchanged
 * when there is nothing to add, NULL when out of memory. */
static sou_query *title_boost(builder *b, const sou_qnode *n,
                              const unsigned char *dup, int field,
                              int weighted, sou_query *body)
{
    if (!weighted || field != SOU_QF_NONE || SOU_TITLE_BOOST_SCALE <= 0)
        return body;
    size_t cap = n->nkids < SOU_QUERY_MAX_OR_TERMS ? n->nkids
                                                   : SOU_QUERY_MAX_OR_TERMS;
    sou_query **subs = malloc((cap ? cap : 1) * sizeof *subs);
    if (!subs) return oom(b);
    size_t ns = 0;
    for (size_t i = 0; i < n->nkids && ns < cap; i++) {
        const sou_qnode *k = n->kids[i];
        if (dup[i] || k->negated || k->field != SOU_QF_NONE ||
            (k->kind != SOU_QN_UNIT && k->kind != SOU_QN_PHRASE))
            continue;
        sou_query *t = build_text(b, k, SOU_QF_TITLE, weighted);
        if (b->rc) break;
        if (t) subs[ns++] = t;
    }
    sou_query *res = body;
    if (!b->rc && ns) {
        sou_query *title = mkop(b, SOU_QOP_OR, subs, ns, 0);
        if (title && SOU_TITLE_BOOST_SCALE != 1.0 &&
            !(title = sou_query_scale(b->q->pool, title, SOU_TITLE_BOOST_SCALE)))
            oom(b);
        if (title) res = mkop2(b, SOU_QOP_AND_MAYBE, body, title);
    }
    free(subs);
    return b->rc ? NULL : res;
}

static sou_query *build_group(builder *b, const sou_qnode *n, int field,
                              int weighted)
{
    size_t cap = n->nkids ? n->nkids : 1;
    sou_query **pos = malloc(3 * cap * sizeof *pos);
    unsigned char *dup = calloc(cap, 1);
    if (!pos || !dup || mark_duplicate_kids(n, dup)) {
        free(pos);
        free(dup);
        return oom(b);
    }
    sou_query **neg = pos + cap, **filt = pos + 2 * cap;
    size_t npos = 0, nneg = 0, nfilt = 0;
    sou_query *res = NULL;
    for (size_t i = 0; i < n->nkids; i++) {
        const sou_qnode *k = n->kids[i];
        int kfield = k->field ? k->field : field;
        if (dup[i]) continue;
        sou_query *sub = build_node(b, k, field, weighted && !k->negated);
        if (b->rc) goto done;
        if (!sub) continue;
        if (n->kind == SOU_QN_OR) {
            if (k->negated) {
                sou_query *all = sou_query_all(b->q->pool);
                if (!all || !(sub = mkop2(b, SOU_QOP_AND_NOT, all, sub))) {
                    oom(b);
                    goto done;
                }
            }
            pos[npos++] = sub;
        } else if (k->negated) {
            neg[nneg++] = sub;
        } else if (kfield == SOU_QF_SOURCE) {
            filt[nfilt++] = sub;
        } else {
            pos[npos++] = sub;
        }
    }
    if (n->kind == SOU_QN_OR) {
        res = npos ? mkop(b, SOU_QOP_OR, pos, npos, 0) : NULL;
        if (res) res = title_boost(b, n, dup, field, weighted, res);
        goto done;
    }
    if (npos) res = mkop(b, SOU_QOP_AND, pos, npos, 0);
    else if (nneg || nfilt) res = sou_query_all(b->q->pool);
    else goto done;
    if (!res) { oom(b); goto done; }
    if (npos && !(res = title_boost(b, n, dup, field, weighted, res))) goto done;
    if (nfilt) {
        sou_query *f = mkop(b, SOU_QOP_OR, filt, nfilt, 0);
        if (!f || !(res = mkop2(b, SOU_QOP_FILTER, res, f))) goto done;
    }
    if (nneg) {
        sou_query *f = mkop(b, SOU_QOP_OR, neg, nneg, 0);
        if (!f || !(res = mkop2(b, SOU_QOP_AND_NOT, res, f))) goto done;
    }
done:
    free(pos);
    free(dup);
    return b->rc ? NULL : res;
}

static sou_query *build_node(builder *b, const sou_qnode *n, int field,
                             int weighted)
{
    if (n->field) field = n->field;
    switch (n->kind) {
    case SOU_QN_AND:
    case SOU_QN_OR:
        return build_group(b, n, field, weighted);
    case SOU_QN_UNIT:
    case SOU_QN_PHRASE:
        if (field == SOU_QF_SOURCE) return build_source(b, n);
        return build_text(b, n, field, weighted);
    }
    return NULL;
}

int sou_query_build(sou_search_query *q, sou_analyzer *an,
                    const sou_qast *ast, sou_error *err)
{
    builder b = {0};
    b.q = q;
    b.an = an;
    b.err = err;
    q->root = build_node(&b, ast->root, SOU_QF_NONE, 1);
    free(b.t);
    free(b.buf);
    free(b.tslot);
    if (b.rc) return b.rc;
    q->description = q->root ? sou_query_describe(q->root) : strdup("Query()");
    if (!q->description) return sou_error_set(err, SOU_ENOMEM, "out of memory");
    return 0;
}
